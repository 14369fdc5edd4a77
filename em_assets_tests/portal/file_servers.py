"""Loopback file servers holding the fixture OME-Zarr tomograms: plain HTTP and S3 (moto)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import boto3
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server

from em_assets_tests.portal.loopback_http import LoopbackServer

BUCKET = "cryoet-data-portal-public"


def http_file_server(root: Path) -> LoopbackServer:
    """Serve the files below `root` read-only: 200 with the bytes, 404 for anything else."""
    resolved_root = root.resolve()

    def answer(method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        target = (resolved_root / unquote(urlparse(path).path).lstrip("/")).resolve()
        if method not in ("GET", "HEAD") or not target.is_file() or resolved_root not in target.parents:
            return 404, "text/plain", b"not found"
        return 200, "application/octet-stream", target.read_bytes()

    return LoopbackServer(answer).start()


class RequestLines(logging.Handler):
    """Collects the request lines werkzeug logs for the moto server, without printing them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class NoDelayHandler(WSGIRequestHandler):
    """werkzeug's request handler with Nagle's algorithm off on every accepted connection.

    werkzeug answers every request with `Connection: close`, so no client setting can make it reuse
    connections; on loopback a new connection costs well under a millisecond.
    """

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()


class S3Server:
    """moto's S3 on a free loopback port with the portal's public bucket, logging requests.

    Served by werkzeug like moto's own threaded server, but with `TCP_NODELAY` and `latency` seconds
    added before every answer (0 unless a benchmark sets it).
    """

    def __init__(self) -> None:
        self.log = RequestLines()
        werkzeug = logging.getLogger("werkzeug")
        self.saved_logger = (werkzeug.level, werkzeug.propagate)
        werkzeug.setLevel(logging.INFO)
        werkzeug.propagate = False
        werkzeug.addHandler(self.log)
        self.latency = 0.0
        app = DomainDispatcherApplication(create_backend_app)
        self.server = make_server("127.0.0.1", 0, self._delayed(app), threaded=True, request_handler=NoDelayHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_port}"
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="fixture",
            aws_secret_access_key="fixture",
        )
        self.client.create_bucket(Bucket=BUCKET)

    def upload_tree(self, root: Path, folder: Path) -> str:
        """Put every file of `folder` into the bucket under its path relative to `root`; its s3 URL."""
        prefix = folder.relative_to(root).as_posix()
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                self.client.put_object(
                    Bucket=BUCKET, Key=path.relative_to(root).as_posix(), Body=path.read_bytes(), ACL="public-read"
                )
        return f"s3://{BUCKET}/{prefix}"

    def _delayed(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def delayed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if self.latency:
                time.sleep(self.latency)
            return app(environ, start_response)

        return delayed

    def count(self, method: str, path_part: str) -> int:
        """How many logged requests used `method` on a path containing `path_part`."""
        return sum(1 for line in self.log.lines if f'"{method} ' in line and path_part in line)

    def stop(self) -> None:
        """Stop the moto server and give werkzeug's logger back its own settings."""
        self.server.shutdown()
        self.server.server_close()
        werkzeug = logging.getLogger("werkzeug")
        werkzeug.removeHandler(self.log)
        werkzeug.setLevel(self.saved_logger[0])
        werkzeug.propagate = self.saved_logger[1]
