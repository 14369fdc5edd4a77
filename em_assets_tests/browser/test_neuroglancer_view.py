"""`em-assets view` in a real browser: the local Neuroglancer shows the tomogram at the stored limits, offline."""

from __future__ import annotations

import http.client
import json
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from playwright.sync_api import Page

from em_assets_tests.browser.conftest import REPO_ROOT, WEBGL_ARGS, DemoRun
from em_assets_tests.browser.pixels import grey_levels, outlined_region, rgb
from em_assets_tests.browser.servers import ServerProcess, is_listening

CHROMIUM_ARGS = WEBGL_ARGS
EM_ASSETS = Path(sys.executable).with_name("em-assets")
RENDER_TIMEOUT_S = 30
LAYER_STATUS = """() => viewer.layerManager.managedLayers.map(m => ({
    name: m.name,
    sources: m.layer.dataSources.map(d => d.loadState === undefined ? 'loading'
        : d.loadState.error !== undefined ? 'error: ' + d.loadState.error.message : 'loaded'),
}))"""


def _get(base: str, path: str, origin: str | None = None) -> tuple[int, dict[str, str]]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", path, headers={"Origin": origin} if origin else {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, dict(response.headers)


def _wait_for_tomogram(page: Page, screenshot: Path) -> np.ndarray:
    """The xy panel's data region once it shows more than one grey level (bounded by RENDER_TIMEOUT_S)."""
    panel = page.locator(".neuroglancer-rendered-data-panel").first
    deadline = time.monotonic() + RENDER_TIMEOUT_S
    while True:
        region = outlined_region(rgb(panel.screenshot(path=screenshot)))
        if region is not None and grey_levels(region).std() > 10 or time.monotonic() > deadline:
            return region
        time.sleep(0.5)


def test_view_serves_the_stored_state_in_a_local_neuroglancer(
    demo_run: DemoRun, server_env: dict[str, str], page: Page, artifacts: Path
) -> None:
    key = demo_run.partition
    stored = json.loads(demo_run.layout.state_file(key).read_text())
    escaped = demo_run.layout.store.parent / "outside.txt"
    escaped.write_text("not for the viewer")
    zarr = demo_run.layout.tomogram_zarr(key)
    (zarr / "escape").symlink_to(escaped)

    view = ServerProcess([str(EM_ASSETS), "view", key, "--port", "0", "--viewer-port", "0"], server_env, REPO_ROOT)
    try:
        store_url = view.wait_for(r"served read-only at (http://127\.0\.0\.1:\d+)/", 60).group(1)
        viewer_url = view.wait_for(rf"Neuroglancer for {key}: (http://127\.0\.0\.1:\d+/v/\w+/)", 10).group(1)
        viewer_origin = viewer_url.split("/v/")[0]

        chunk = f"/raw_tomogram/{key}/tomogram.zarr/.zattrs"
        status, headers = _get(store_url, chunk, origin=viewer_origin)
        assert status == 200 and headers["Access-Control-Allow-Origin"] == viewer_origin
        assert "Access-Control-Allow-Origin" not in _get(store_url, chunk, origin="http://example.org")[1]
        for path, refused in [
            (f"/raw_tomogram/{key}/tomogram.zarr/../../../../outside.txt", 403),
            (f"/raw_tomogram/{key}/tomogram.zarr/%2e%2e/%2e%2e/%2e%2e/%2e%2e/outside.txt", 403),
            (f"/raw_tomogram/{key}/tomogram.zarr/escape", 403),
            ("/%2Fetc/hostname", 403),
            (f"/neuroglancer_state/{key}/state.json", 404),
            (f"/raw_tomogram/{key}/tomogram.zarr/", 404),
        ]:
            assert _get(store_url, path)[0] == refused, path

        page.goto(viewer_url)
        expected = [layer["name"] for layer in stored["layers"]]
        page.wait_for_function(
            f"() => window.viewer !== undefined && viewer.layerManager.managedLayers.length == {len(expected)}"
        )
        page.wait_for_function(f"() => ({LAYER_STATUS})().every(l => l.sources.every(s => s !== 'loading'))")
        layers = page.evaluate(LAYER_STATUS)
        assert [layer["name"] for layer in layers] == expected == [f"{key}_gmm", f"{key}_cdf", f"{key}_percentile"]
        assert all(layer["sources"] == ["loaded"] for layer in layers), layers

        region = _wait_for_tomogram(page, artifacts / "neuroglancer-xy-panel.png")
        page.screenshot(path=artifacts / "neuroglancer.png")
        assert region is not None and min(region.shape[:2]) >= 100, "no volume outline in the xy panel"
        levels = grey_levels(region)
        assert levels.std() > 10 and np.unique(levels.round()).size > 16, "the data region is uniform"

        shown = page.evaluate("() => viewer.state.toJSON()")
        for shown_layer, stored_layer in zip(shown["layers"], stored["layers"]):
            assert shown_layer["source"] == f"zarr://{store_url}/raw_tomogram/{key}/tomogram.zarr"
            assert shown_layer["shaderControls"]["contrast"]["range"] == stored_layer["shaderControls"]["contrast"]["range"]
        assert "visible" not in shown["layers"][0] and all(layer["visible"] is False for layer in shown["layers"][1:])
        assert page.outside_requests == []

        view.signal_group(signal.SIGINT)
        assert view.process.wait(timeout=10) == 0
        assert "Stopping." in view.output()
        assert not is_listening(store_url) and not is_listening(viewer_origin)
    finally:
        view.stop()
