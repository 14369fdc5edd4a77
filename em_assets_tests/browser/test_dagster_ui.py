"""The Dagster UI of `make dev` in a real browser: lineage of both groups, a run launched from the partition
picker, its checks and plot, the catalogue as a table."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from playwright.sync_api import Page, expect

from em_assets.dagster_support.local_runs import code_location
from em_assets_tests.browser.conftest import REPO_ROOT, DemoRun
from em_assets_tests.browser.servers import ServerProcess, free_port, is_listening

CHROMIUM_ARGS: list[str] = []
VENV_STAMP = ".venv/.installed"
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 120_000
STOP_TIMEOUT_S = 30
# The lineage as the UI draws it: each asset node (a foreignObject) by its label, and each edge (an SVG path)
# by the node whose right side it leaves and the node whose left side its arrow reaches.
DRAWN_LINEAGE = """() => {
    const nodes = [...document.querySelectorAll('foreignObject[style*="overflow: visible"]')].map(f => ({
        name: (f.firstElementChild ? f.firstElementChild.innerText : '').trim().split('\\n')[0],
        x: +f.getAttribute('x'), y: +f.getAttribute('y'), w: +f.getAttribute('width'), h: +f.getAttribute('height'),
    }));
    const near = (px, py, side) => nodes.find(n => Math.abs((side === 'out' ? n.x + n.w : n.x) - px) < 8
        && py >= n.y && py <= n.y + n.h);
    const edges = [...document.querySelectorAll('path[stroke="var(--color-lineage-edge)"]')].map(p => {
        const xy = p.getAttribute('d').match(/-?[\\d.]+/g).map(Number);
        const [source, target] = [near(xy[0], xy[1], 'out'), near(xy[xy.length - 2], xy[xy.length - 1], 'in')];
        return [source ? source.name : null, target ? target.name : null];
    });
    return {nodes: nodes.map(n => n.name), edges};
}"""


def _expected_lineage() -> tuple[list[str], list[list[str]]]:
    graph = code_location().resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys())
    edges = sorted([parent.to_user_string(), key.to_user_string()] for key in keys for parent in graph.get(key).parent_keys)
    return sorted(key.to_user_string() for key in keys), edges


def _dev_server(demo_run: DemoRun, server_env: dict[str, str]) -> tuple[ServerProcess, str]:
    """`make dev` (local profile) on a free loopback port with the demo run's homes; `-o` keeps the venv as it is."""
    homes = {"DAGSTER_HOME": str(demo_run.dagster_home), "EM_ASSETS_HOME": str(demo_run.layout.home)}
    env = {**server_env, **homes, "EM_ASSETS_PROFILE": "local"}
    command = ["make", "--no-print-directory", "-o", VENV_STAMP, "dev", f"DEV_PORT={free_port()}"]
    server = ServerProcess(command, env, REPO_ROOT)
    url = server.wait_for(r"Serving dagster-webserver on (http://127\.0\.0\.1:\d+)", START_TIMEOUT_S).group(1)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not is_listening(url) and time.monotonic() < deadline:
        time.sleep(0.2)
    return server, url


def _wait_until_gone(server: ServerProcess) -> bool:
    """Whether every process of the server's group ended within STOP_TIMEOUT_S (Ctrl-C stops them all)."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    return not server.group_alive()


def _see_lineage(page: Page, base: str, artifacts: Path) -> None:
    page.goto(f"{base}/asset-groups")
    page.get_by_role("dialog").get_by_role("button", name="Skip").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    groups = ",".join(f"global@global:{group}" for group in ("tomograms", "synapse_chunks"))
    page.goto(f"{base}/asset-groups?expanded={quote(groups)}")
    names, edges = _expected_lineage()
    page.wait_for_function(f"() => ({DRAWN_LINEAGE})().edges.length >= {len(edges)}")
    drawn = page.evaluate(DRAWN_LINEAGE)
    page.screenshot(path=artifacts / "dagster-lineage.png", animations="disabled")
    assert sorted(drawn["nodes"]) == names and len(names) == 9
    assert sorted(drawn["edges"]) == edges


RUN_LINKS = "() => [...document.querySelectorAll('a[href^=\"/runs/\"]')].map(a => a.getAttribute('href'))"


def _run_links(page: Page, base: str) -> set[str]:
    """The run pages linked from the Runs page, once its table has loaded."""
    page.goto(f"{base}/runs")
    page.wait_for_function(f"() => ({RUN_LINKS})().length > 0")
    return {href for href in page.evaluate(RUN_LINKS) if re.fullmatch(r"/runs/[0-9a-f-]{36}", href)}


def _launch_from_partition_picker(page: Page, base: str, partition: str, artifacts: Path) -> str:
    """Launch `contrast_limits` for `partition` through the picker; the launched run's page, once it succeeded."""
    earlier = _run_links(page, base)
    page.goto(f"{base}/assets/contrast_limits")
    page.get_by_role("button", name="Materialize…").click()
    dialog = page.locator(".dagster-dialog")
    expect(dialog).to_contain_text("Launch runs to materialize contrast_limits")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_role("menuitem", name=partition).click()
    page.keyboard.press("Escape")
    expect(dialog).to_contain_text("1 partition")
    page.screenshot(path=artifacts / "dagster-partition-picker.png", animations="disabled")
    dialog.get_by_role("button", name="Launch 1 run").click()
    expect(dialog).to_have_count(0)
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not (launched := _run_links(page, base) - earlier) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    assert len(launched) == 1, launched
    run = launched.pop()
    page.goto(f"{base}{run}")
    expect(page.get_by_text(f"partition: {partition}", exact=True)).to_be_visible()
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.screenshot(path=artifacts / "dagster-run.png", animations="disabled")
    return run


def _see_checks_and_plot(page: Page, base: str, run: str, partition: str, artifacts: Path) -> None:
    checks = sorted(spec.name for spec in code_location().resolve_assets_def("contrast_limits").check_specs)
    for name in checks:
        page.goto(f"{base}/assets/contrast_limits?{urlencode({'view': 'checks', 'checkDetail': name})}")
        expect(page.get_by_text(name, exact=True).filter(visible=True).last).to_be_visible()
        expect(page.get_by_text("Passed", exact=True)).to_be_visible()
        expect(page.locator(f'a[href^="{run}?"]')).to_be_visible()
    page.screenshot(path=artifacts / "dagster-checks.png", animations="disabled")
    page.goto(f"{base}/assets/contrast_limits")
    expect(page.get_by_text("Latest check results").locator("xpath=..")).to_contain_text(str(len(checks)))
    page.get_by_role("row").filter(has=page.get_by_text("plot", exact=True)).get_by_text("Show Markdown").click()
    plot = page.get_by_role("dialog").get_by_role("img", name=f"{partition} contrast limits")
    plot.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=plot.element_handle())
    page.screenshot(path=artifacts / "dagster-plot.png", animations="disabled")
    assert plot.evaluate("img => Math.max(img.naturalWidth, img.naturalHeight)") >= 512


def _see_catalogue_table(page: Page, base: str, partition: str, artifacts: Path) -> None:
    page.goto(f"{base}/assets/tomogram_catalog")
    preview = page.get_by_role("row").filter(has=page.get_by_text("preview", exact=True)).get_by_role("table")
    expect(preview.get_by_role("columnheader", name="key", exact=True)).to_be_visible()
    row = preview.get_by_role("row").filter(has=page.get_by_role("cell", name=partition, exact=True))
    expect(row.get_by_role("cell", name="complete", exact=True)).to_be_visible()
    page.screenshot(path=artifacts / "dagster-catalogue.png", animations="disabled")


def test_dagster_ui_shows_lineage_launches_a_partition_and_shows_its_results(
    demo_run: DemoRun, server_env: dict[str, str], page: Page, artifacts: Path
) -> None:
    server, base = _dev_server(demo_run, server_env)
    try:
        _see_lineage(page, base, artifacts)
        run = _launch_from_partition_picker(page, base, demo_run.partition, artifacts)
        _see_checks_and_plot(page, base, run, demo_run.partition, artifacts)
        _see_catalogue_table(page, base, demo_run.partition, artifacts)
        assert page.outside_requests == []
        server.signal_group(signal.SIGINT)
        code = server.process.wait(timeout=STOP_TIMEOUT_S)
        stopped = _wait_until_gone(server)
    finally:
        server.stop()
        server.signal_group(signal.SIGKILL)
    output = server.output()
    assert "superseded" not in output and "does not match the virtual environment" not in output, output
    # Ctrl-C: make re-raises the interrupt once its recipe (dg dev and every process it started) has ended.
    assert code == -signal.SIGINT and "Dagster services shut down." in output, output
    assert stopped and not is_listening(base), output
