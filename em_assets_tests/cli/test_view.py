"""`em-assets view` serves the store with CORS, so a viewer on another origin can read the zarr."""

import json
import threading
import urllib.request
from pathlib import Path

from em_assets.cli.view import serve_store


def test_store_files_are_served_with_cors(tmp_path: Path) -> None:
    zarr_dir = tmp_path / "raw_tomogram" / "t" / "tomogram.zarr"
    zarr_dir.mkdir(parents=True)
    (zarr_dir / ".zattrs").write_text(json.dumps({"multiscales": []}))
    server = serve_store(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/raw_tomogram/t/tomogram.zarr/.zattrs") as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert json.loads(response.read()) == {"multiscales": []}
    finally:
        server.shutdown()
        server.server_close()
