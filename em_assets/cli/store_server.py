"""A read-only HTTP server for the zarr stores under the store folder, for a local Neuroglancer.

Only regular files inside a `*.zarr` folder below the store are served, by GET or HEAD; there are
no directory listings; paths that climb (`..`, also percent-encoded), contain backslashes or NUL,
or resolve (through symlinks) outside the store are refused; the CORS header names only the local
viewer's origins, never `*`.
"""

from __future__ import annotations

import http.server
import mimetypes
import shutil
from collections.abc import Collection
from http import HTTPStatus
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

ZARR_SUFFIX = ".zarr"
READ_METHODS = "GET, HEAD, OPTIONS"


class Refused(Exception):
    """A request path the server will not serve, with the HTTP status to answer."""

    def __init__(self, status: HTTPStatus) -> None:
        super().__init__(status.phrase)
        self.status = status


def resolve_request(store: Path, raw_path: str) -> Path:
    """The file below `store` that the request path `raw_path` names.

    Parameters
    ----------
    store
        The resolved store folder.
    raw_path
        The request target as sent (percent-encoded, possibly with a query string).

    Returns
    -------
    Path
        The resolved regular file inside a `*.zarr` folder below `store`.

    Raises
    ------
    Refused
        403 for paths that climb, are malformed or resolve outside the store; 404 for anything
        that is not a regular file inside a zarr store.
    """
    path = unquote(raw_path.split("?", 1)[0].split("#", 1)[0])
    if not path.startswith("/") or path.startswith("//") or "\\" in path or "\0" in path:
        raise Refused(HTTPStatus.FORBIDDEN)
    parts = PurePosixPath(path).parts[1:]
    if ".." in parts:
        raise Refused(HTTPStatus.FORBIDDEN)
    zarr_depth = next((i for i, part in enumerate(parts) if part.endswith(ZARR_SUFFIX)), None)
    if zarr_depth is None or zarr_depth == len(parts) - 1:
        raise Refused(HTTPStatus.NOT_FOUND)
    target = store.joinpath(*parts).resolve()
    if not target.is_relative_to(store):
        raise Refused(HTTPStatus.FORBIDDEN)
    if not target.is_relative_to(store.joinpath(*parts[: zarr_depth + 1]).resolve()):
        raise Refused(HTTPStatus.FORBIDDEN)
    if not target.is_file():
        raise Refused(HTTPStatus.NOT_FOUND)
    return target


class StoreRequestHandler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD of zarr files below `store`, with CORS for `allowed_origins` only."""

    store: Path
    allowed_origins: Collection[str]
    server_version = "em-assets-store"

    def _cors_headers(self) -> None:
        origin = self.headers.get("Origin")
        if origin in self.allowed_origins:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", READ_METHODS)
            self.send_header("Access-Control-Allow-Headers", "Range")
        self.send_header("Vary", "Origin")

    def _refuse(self, status: HTTPStatus) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self._cors_headers()
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_file(self, with_body: bool) -> None:
        try:
            target = resolve_request(self.store, self.path)
        except Refused as refusal:
            self._refuse(refusal.status)
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        with target.open("rb") as handle:
            size = target.stat().st_size
            self.send_response(HTTPStatus.OK)
            self._cors_headers()
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if with_body:
                shutil.copyfileobj(handle, self.wfile)

    def do_GET(self) -> None:
        """Send the file."""
        self._send_file(with_body=True)

    def do_HEAD(self) -> None:
        """Send the file's headers only."""
        self._send_file(with_body=False)

    def do_OPTIONS(self) -> None:
        """Answer a CORS preflight: allowed for the viewer's origins, with no body."""
        self.send_response(HTTPStatus.NO_CONTENT)
        self._cors_headers()
        self.send_header("Allow", READ_METHODS)
        self.end_headers()

    def _method_not_allowed(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", READ_METHODS)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: a viewer fetches many chunks."""


def serve_store(
    store: Path, host: str, port: int, allowed_origins: Collection[str]
) -> http.server.ThreadingHTTPServer:
    """A threaded HTTP server (bound, not yet serving) for the zarr stores below `store`.

    Parameters
    ----------
    store
        The store folder; it must exist.
    host, port
        Where to bind; port 0 picks a free port (read it from `server_address`).
    allowed_origins
        The browser origins (`http://host:port`) allowed to read the files cross-origin.

    Returns
    -------
    http.server.ThreadingHTTPServer
        The server; call `serve_forever()` (e.g. in a thread) and later `shutdown()`.
    """
    handler = type(
        "BoundStoreRequestHandler",
        (StoreRequestHandler,),
        {"store": store.resolve(), "allowed_origins": frozenset(allowed_origins)},
    )
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
