"""Fixtures for the browser tests: Debian's chromium through Playwright, a materialised demo run, artefacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets.dagster_support.local_runs import (
    code_location,
    local_instance,
    run_automation_once,
    run_sensor_once,
)
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor

CHROMIUM = "/usr/bin/chromium"
QUIET_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WEBGL_ARGS = ["--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
ARTIFACTS = Path(os.environ.get("EM_ASSETS_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = DemoTomogram("demo-small", (32, 160, 160), 10.0, "ngff-0.4", lambda v: (0.1 * v).astype("float32"), seed=5)
LOOPBACK_PREFIXES = ("http://127.0.0.1:", "http://localhost:", "data:", "blob:", "about:")


@dataclass(frozen=True)
class DemoRun:
    """A temporary home and Dagster instance holding one fully materialised tomogram partition."""

    layout: StoreLayout
    dagster_home: Path
    partition: str


def _materialise(layout: StoreLayout) -> Path:
    write_demo_tomogram(layout.tomogram_landing, DEMO)
    defs, instance = code_location(), local_instance()
    baseline = run_automation_once(defs, instance, progress=lambda _: None)
    tick = run_sensor_once(defs, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    catalogue = run_automation_once(defs, instance, baseline.cursor, progress=lambda _: None)
    assert [o.success for o in tick.outcomes + catalogue.outcomes] == [True, True]
    return Path(instance.root_directory)


@pytest.fixture
def demo_run(isolated_homes: Path, monkeypatch: pytest.MonkeyPatch) -> DemoRun:
    """Materialise one small tomogram in process (sensor tick, pipeline run, catalogue refresh).

    It runs in a worker thread: Dagster's automation evaluation starts an asyncio loop, which the
    thread holding Playwright's sync API (already running a loop) cannot.
    """
    monkeypatch.setenv("EM_ASSETS_LANDING_QUIET_SECONDS", "0")
    layout = StoreLayout(isolated_homes)
    with ThreadPoolExecutor(max_workers=1) as worker:
        dagster_home = worker.submit(_materialise, layout).result()
    return DemoRun(layout, dagster_home, DEMO.name)


@pytest.fixture
def server_env(demo_run: DemoRun) -> dict[str, str]:
    """The environment for servers under test: this test's homes, telemetry off, this checkout first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["DAGSTER_DISABLE_TELEMETRY"] = "1"
    return env


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Debian's headless chromium, background networking off, with the test module's CHROMIUM_ARGS."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=QUIET_ARGS + request.module.CHROMIUM_ARGS, timeout=30_000
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page whose requests beyond loopback are aborted and listed in `page.outside_requests`."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.outside_requests = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(LOOPBACK_PREFIXES):
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A folder for this test's screenshots, copied to ARTIFACTS afterwards (kept even on failure)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    yield folder
    target = ARTIFACTS / request.node.name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target)
