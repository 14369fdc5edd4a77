"""`em-assets view`: serve the store over HTTP (with CORS) so Neuroglancer can read local tomograms."""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path
from urllib.parse import urlparse

from em_assets.core.store import StoreLayout, default_home
from em_assets.defs.resources import DEFAULT_LOCAL_DATA_URL


class CorsFileHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the CORS header a viewer on another origin needs."""

    def end_headers(self) -> None:
        """Allow any origin to read, as Neuroglancer fetches zarr chunks cross-origin."""
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: chunk requests are many."""


def serve_store(store: Path, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server (not yet started) serving `store` at host:port."""
    handler = functools.partial(CorsFileHandler, directory=str(store))
    return http.server.ThreadingHTTPServer((host, port), handler)


def run_view(args: argparse.Namespace) -> int:
    """Serve the store and print the state URLs of every tomogram until interrupted."""
    default = urlparse(DEFAULT_LOCAL_DATA_URL)
    host = default.hostname if args.host is None else args.host
    port = default.port if args.port is None else args.port
    layout = StoreLayout(default_home())
    server = serve_store(layout.store, host, port)
    print(f"Serving {layout.store} at http://{host}:{port}/ (Ctrl-C to stop)")
    for key in layout.state_keys():
        print(f"  {key}: {layout.url_file(key).read_text().strip()}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
