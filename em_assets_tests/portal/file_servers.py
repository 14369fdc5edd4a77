"""Loopback file servers holding the fixture OME-Zarr tomograms: plain HTTP and S3 (moto)."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

import boto3
from moto.server import ThreadedMotoServer

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


class S3Server:
    """A moto S3 server on a free loopback port with the portal's public bucket, logging requests."""

    def __init__(self) -> None:
        self.log = RequestLines()
        werkzeug = logging.getLogger("werkzeug")
        self.saved_logger = (werkzeug.level, werkzeug.propagate)
        werkzeug.setLevel(logging.INFO)
        werkzeug.propagate = False
        werkzeug.addHandler(self.log)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
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

    def count(self, method: str, path_part: str) -> int:
        """How many logged requests used `method` on a path containing `path_part`."""
        return sum(1 for line in self.log.lines if f'"{method} ' in line and path_part in line)

    def stop(self) -> None:
        """Stop the moto server and give werkzeug's logger back its own settings."""
        self.moto.stop()
        werkzeug = logging.getLogger("werkzeug")
        werkzeug.removeHandler(self.log)
        werkzeug.setLevel(self.saved_logger[0])
        werkzeug.propagate = self.saved_logger[1]
