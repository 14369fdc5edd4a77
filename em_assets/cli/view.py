"""`em-assets view [PARTITION]`: look at a tomogram in a local Neuroglancer, with no internet needed.

The local viewer serves a local store (a folder, shared or not). With an object-store root
(EM_ASSETS_STORE=s3://...) nothing is served: the stored states already point at the zarr's own
URL, so the command prints the layer sources and the Neuroglancer URL to open where the browser
can read the bucket.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from urllib.parse import urlsplit

from em_assets.cli import local_viewer
from em_assets.cli.store_server import serve_store
from em_assets.core.errors import InputError
from em_assets.core.store import StoreLayout, configured_layout, is_url
from em_assets.core.tomograms.neuroglancer import DEFAULT_URL_PREFIX, state_url
from em_assets.defs.resources import DEFAULT_LOCAL_DATA_URL, NEUROGLANCER_URL_VARIABLE

DEFAULT_VIEWER_PORT = 8766


def _origin(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def viewer_origins(viewer_url: str, host: str, port: int) -> set[str]:
    """The browser origins the viewer page may have: its printed URL's, and loopback spellings."""
    parts = urlsplit(viewer_url)
    origins = {f"{parts.scheme}://{parts.netloc}", _origin(host, port)}
    if host in ("127.0.0.1", "localhost"):
        origins |= {_origin("127.0.0.1", port), _origin("localhost", port)}
    return origins


def list_partitions(layout: StoreLayout) -> int:
    """Print the partitions with a stored state and how to view one."""
    states = local_viewer.stored_states(layout)
    if not states:
        print(f"No Neuroglancer states in {layout.store}. Run `make demo` (or materialise neuroglancer_state) first.")
        return 0
    print(f"Partitions with a Neuroglancer state in {layout.store}:")
    for partition in states:
        methods = ", ".join(local_viewer.layer_methods(local_viewer.load_state(layout, partition), partition))
        print(f"  {partition}  (methods: {methods})")
    print(f"View one with: em-assets view {next(iter(states))}")
    return 0


def print_object_store_partition(layout: StoreLayout, args: argparse.Namespace) -> int:
    """Print the layer sources and Neuroglancer URL of a partition whose store is an object store."""
    state = local_viewer.load_state(layout, args.partition)
    if args.method:
        state = local_viewer.show_method(state, args.partition, args.method)
    print(f"Store: {layout.store} is an object store; the local viewer serves a local store only, so nothing is served.")
    for source in local_viewer.layer_sources(state):
        print(f"Layer source: {source}")
    url = state_url(state, prefix=os.environ.get(NEUROGLANCER_URL_VARIABLE, DEFAULT_URL_PREFIX))
    print(f"Neuroglancer for {args.partition} (the browser must be able to read the bucket): {url}")
    return 0


def serve_partition(layout: StoreLayout, args: argparse.Namespace) -> int:
    """Serve the store and a local viewer on the partition's state until interrupted."""
    state = local_viewer.load_state(layout, args.partition)
    if args.method:
        state = local_viewer.show_method(state, args.partition, args.method)
    viewer = local_viewer.open_viewer(args.host, args.viewer_port)
    try:
        url = viewer.get_viewer_url()
        origins = viewer_origins(url, args.host, urlsplit(url).port)
        with serve_store(layout.store, args.host, args.port, allowed_origins=origins) as store_server:
            data_url = _origin(args.host, store_server.server_address[1])
            state = local_viewer.point_local_sources(state, layout.store, data_url)
            viewer.set_state(state)
            threading.Thread(target=store_server.serve_forever, name="store-server", daemon=True).start()
            print(f"Store: {layout.store} served read-only at {data_url}/")
            for source in local_viewer.layer_sources(state):
                where = "this store" if f"{data_url}/" in source else "the internet"
                print(f"Layer source ({where}): {source}")
            print(f"Neuroglancer for {args.partition}: {url}")
            print("Open that URL in a browser on this machine. Ctrl-C stops both servers.", flush=True)
            _wait_for_interrupt()
            store_server.shutdown()
    finally:
        local_viewer.stop_viewer()
    return 0


def _wait_for_interrupt() -> None:
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopping.", flush=True)


def run_view(args: argparse.Namespace) -> int:
    """List the partitions with a state, or view one; bad input ends with a one-line error."""
    local_data = urlsplit(os.environ.get("EM_ASSETS_LOCAL_DATA_URL", DEFAULT_LOCAL_DATA_URL))
    args.host = local_data.hostname if args.host is None else args.host
    args.port = local_data.port if args.port is None else args.port
    args.viewer_port = DEFAULT_VIEWER_PORT if args.viewer_port is None else args.viewer_port
    try:
        layout = configured_layout()
        if not layout.store.is_dir():
            raise InputError(layout.store, "no store here yet: run `make demo`, or set EM_ASSETS_HOME")
        if args.partition is None:
            return list_partitions(layout)
        if is_url(layout.store):
            return print_object_store_partition(layout, args)
        return serve_partition(layout, args)
    except (InputError, OSError) as error:
        print(f"em-assets view: {error}", file=sys.stderr)
        return 2
