"""The store file server serves zarr files read-only to the viewer's origin and refuses everything else."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from em_assets.cli.store_server import serve_store

VIEWER_ORIGIN = "http://127.0.0.1:8766"
ZATTRS = "/raw_tomogram/t/tomogram.zarr/.zattrs"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with one zarr, a non-zarr file, a secret beside the store and symlinks to it."""
    store = tmp_path / "store"
    zarr_dir = store / "raw_tomogram" / "t" / "tomogram.zarr"
    (zarr_dir / "0").mkdir(parents=True)
    (zarr_dir / ".zattrs").write_text(json.dumps({"multiscales": []}))
    (zarr_dir / "0" / "0.0.0").write_bytes(b"\x01\x02\x03")
    (store / "neuroglancer_state" / "t").mkdir(parents=True)
    (store / "neuroglancer_state" / "t" / "state.json").write_text("{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the store")
    (zarr_dir / "leak").symlink_to(secret)
    (store / "raw_tomogram" / "t" / "outside.zarr").symlink_to(tmp_path, target_is_directory=True)
    return store


@pytest.fixture
def port(store: Path) -> Iterator[int]:
    """The port of a running store server for `store`."""
    server = serve_store(store, "127.0.0.1", 0, allowed_origins={VIEWER_ORIGIN})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def request(port: int, path: str, method: str = "GET", origin: str | None = None) -> http.client.HTTPResponse:
    """Send `path` exactly as written (no client-side normalisation) and return the read response."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path, headers={"Origin": origin} if origin else {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_zarr_files_are_served_with_cors_for_the_viewer_origin_only(port: int) -> None:
    served = request(port, ZATTRS, origin=VIEWER_ORIGIN)
    assert served.status == 200
    assert json.loads(served.body) == {"multiscales": []}
    assert served.headers["Access-Control-Allow-Origin"] == VIEWER_ORIGIN
    chunk = request(port, "/raw_tomogram/t/tomogram.zarr/0/0.0.0")
    assert chunk.body == b"\x01\x02\x03" and chunk.headers["Content-Length"] == "3"
    other = request(port, ZATTRS, origin="http://evil.example")
    assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers
    head = request(port, ZATTRS, method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/raw_tomogram/t/tomogram.zarr/../../../../secret.txt", 403),
        ("/../secret.txt", 403),
        ("/raw_tomogram/t/tomogram.zarr/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt", 403),
        ("/raw_tomogram/t/tomogram.zarr/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt", 403),
        ("/%2Fetc/passwd", 403),
        ("/raw_tomogram/t/tomogram.zarr/..%5C..%5Csecret.txt", 403),
        ("/raw_tomogram/t/tomogram.zarr/leak", 403),
        ("/raw_tomogram/t/outside.zarr/secret.txt", 403),
        # http.server itself folds a leading '//' to '/', leaving a path that is in no zarr store
        ("//etc/passwd", 404),
    ],
)
def test_paths_leaving_the_store_are_refused(port: int, path: str, status: int) -> None:
    response = request(port, path)
    assert response.status == status, path
    assert b"outside the store" not in response.body and b"root:" not in response.body


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/raw_tomogram/",
        "/raw_tomogram/t/tomogram.zarr",
        "/raw_tomogram/t/tomogram.zarr/",
        "/raw_tomogram/t/tomogram.zarr/0/",
        "/neuroglancer_state/t/state.json",
        "/raw_tomogram/t/tomogram.zarr/missing",
    ],
)
def test_directories_and_files_outside_zarr_stores_are_not_found(port: int, path: str) -> None:
    response = request(port, path)
    assert response.status == 404, path
    assert b"tomogram.zarr" not in response.body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_are_not_allowed(port: int, store: Path, method: str) -> None:
    response = request(port, ZATTRS, method=method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert json.loads((store / ZATTRS.lstrip("/")).read_text()) == {"multiscales": []}


def test_cors_preflight_names_only_the_viewer_origin(port: int) -> None:
    allowed = request(port, ZATTRS, method="OPTIONS", origin=VIEWER_ORIGIN)
    assert allowed.status == 204 and allowed.headers["Access-Control-Allow-Origin"] == VIEWER_ORIGIN
    refused = request(port, ZATTRS, method="OPTIONS", origin="http://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers
