"""The stored Neuroglancer states, adapted for and opened in the `neuroglancer` package's own viewer.

The package serves its bundled client from a local Python server, so nothing is fetched from the
internet; layer sources that pointed at a local store server are re-pointed at the one running now.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import neuroglancer

from em_assets.core.errors import InputError
from em_assets.core.store import StoreLayout

LOOPBACK_NAMES = ("localhost",)


def stored_states(layout: StoreLayout) -> dict[str, Path]:
    """Every partition with a stored state, mapped to its `state.json`."""
    return {key: layout.state_file(key) for key in layout.state_keys()}


def load_state(layout: StoreLayout, partition: str) -> dict[str, Any]:
    """The stored state of `partition`.

    Raises
    ------
    InputError
        If the partition has no state or its state.json is not a JSON object with layers.
    """
    states = stored_states(layout)
    if partition not in states:
        known = ", ".join(states) or "none yet (run `make demo` or materialise neuroglancer_state)"
        raise InputError(partition, f"no Neuroglancer state in {layout.store}; partitions: {known}")
    path = states[partition]
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(path, f"unreadable Neuroglancer state ({error})") from error
    layers = state.get("layers") if isinstance(state, dict) else None
    if not layers or not all(isinstance(layer, dict) and "name" in layer for layer in layers):
        raise InputError(path, "not a Neuroglancer state with named layers")
    return state


def layer_methods(state: dict[str, Any], partition: str) -> dict[str, dict[str, Any]]:
    """The state's layers keyed by contrast method (layer `<partition>_<method>`)."""
    prefix = f"{partition}_"
    return {layer["name"][len(prefix) :]: layer for layer in state["layers"] if layer["name"].startswith(prefix)}


def show_method(state: dict[str, Any], partition: str, method: str) -> dict[str, Any]:
    """A copy of `state` with only `method`'s layer visible and selected.

    Raises
    ------
    InputError
        If the state has no layer for `method`.
    """
    shown = copy.deepcopy(state)
    layers = layer_methods(shown, partition)
    if method not in layers:
        raise InputError(partition, f"the stored state has no {method!r} layer; it has: {', '.join(layers)}")
    for name, layer in layers.items():
        layer.pop("visible", None)
        if name != method:
            layer["visible"] = False
    shown["selectedLayer"] = {"visible": True, "layer": layers[method]["name"]}
    return shown


def _is_loopback(host: str | None) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _local_url(url: str, store: Path, data_url: str) -> str:
    scheme, separator, address = url.partition("://")
    parts = urlsplit(address)
    relative = parts.path.strip("/")
    if not separator or parts.scheme not in ("http", "https") or not _is_loopback(parts.hostname):
        return url
    if not relative or not (store / relative).is_dir():
        return url
    return f"{scheme}://{data_url.rstrip('/')}/{relative}"


def point_local_sources(state: dict[str, Any], store: Path, data_url: str) -> dict[str, Any]:
    """A copy of `state` whose loopback layer sources naming a store folder use `data_url`."""
    pointed = copy.deepcopy(state)
    for layer in pointed["layers"]:
        source = layer.get("source")
        if isinstance(source, dict):
            source["url"] = _local_url(source["url"], store, data_url)
        elif isinstance(source, str):
            layer["source"] = _local_url(source, store, data_url)
    return pointed


def layer_sources(state: dict[str, Any]) -> list[str]:
    """The distinct source URLs of the state's layers, in order."""
    urls = [layer["source"]["url"] if isinstance(layer["source"], dict) else layer["source"] for layer in state["layers"]]
    return list(dict.fromkeys(urls))


def open_viewer(host: str, port: int) -> neuroglancer.Viewer:
    """Start the package's viewer server on host:port (0: any free port) with an empty viewer."""
    neuroglancer.set_server_bind_address(host, port)
    viewer = neuroglancer.Viewer()
    viewer.get_viewer_url()
    return viewer


def stop_viewer() -> None:
    """Stop the package's viewer server."""
    neuroglancer.stop()
