"""The contrast limits the CryoET Data Portal publishes in a tomogram's `neuroglancerConfig`.

The portal's ingestion writes one Neuroglancer state per visualisation-default tomogram: the
tomogram is an image layer whose shader has an `invlerp` control `contrast` (2D slices) and, in
states with volume rendering, a second one `contrast3D` (older states: `contrast_3D`), each with a
`range` (the limits) and a `window` (the slider's bounds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from em_assets.core.errors import InputError

CONTROLS = {"2d": ("contrast",), "3d": ("contrast3D", "contrast_3D")}
Limits = tuple[float, float]


def parse_portal_limits(config: str | None, subject: str, source_url: str | None = None) -> dict[str, Limits]:
    """The 2D and 3D contrast limits of the tomogram's image layer in a portal Neuroglancer state.

    Parameters
    ----------
    config
        The tomogram's `neuroglancerConfig` (compact JSON); empty or None when the portal has none.
    subject
        The tomogram, named in errors.
    source_url
        The tomogram's OME-Zarr URL: the image layer reading it is preferred over other image layers.

    Returns
    -------
    dict
        `{"2d": (low, high), "3d": (low, high)}`, each key present when its control is, each pair
        sorted (a range written high-to-low inverts the display, not the limits); empty when there
        is no config.

    Raises
    ------
    InputError
        If the config is not JSON, holds no image layer, or a contrast range is not two finite
        numbers.
    """
    if not config:
        return {}
    try:
        state = json.loads(config)
    except ValueError as error:
        raise InputError(subject, f"its neuroglancerConfig is not JSON ({error})") from None
    layer = _image_layer(state, source_url)
    if layer is None:
        raise InputError(subject, "its neuroglancerConfig holds no image layer")
    controls = layer.get("shaderControls") or {}
    limits = {}
    for dimension, names in CONTROLS.items():
        name = next((n for n in names if isinstance(controls.get(n), Mapping) and "range" in controls[n]), None)
        if name is not None:
            limits[dimension] = _range(controls[name]["range"], subject, name)
    return limits


def _image_layer(state: Any, source_url: str | None) -> Mapping[str, Any] | None:
    layers = state.get("layers") if isinstance(state, Mapping) else None
    images = [layer for layer in layers or [] if isinstance(layer, Mapping) and layer.get("type") == "image"]
    if source_url:
        wanted = source_url.rstrip("/")
        for layer in images:
            if _layer_url(layer).removeprefix("zarr://").rstrip("/") == wanted:
                return layer
    return images[0] if images else None


def _layer_url(layer: Mapping[str, Any]) -> str:
    source = layer.get("source")
    if isinstance(source, Mapping):
        source = source.get("url")
    return source if isinstance(source, str) else ""


def _range(values: Any, subject: str, name: str) -> Limits:
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != 2:
        raise InputError(subject, f"its neuroglancerConfig control {name!r} has range {values!r}, not two numbers")
    try:
        low, high = (float(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(subject, f"its neuroglancerConfig control {name!r} has range {values!r}, not two numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError(subject, f"its neuroglancerConfig control {name!r} has a non-finite range {values!r}")
    return (min(low, high), max(low, high))


def limits_difference_percent(ours: Sequence[float], reference: Sequence[float], robust_range: Sequence[float]) -> float:
    """How far two pairs of limits lie apart, in % of the data's robust range.

    Parameters
    ----------
    ours, reference
        (low, high) limits.
    robust_range
        The data's robust range, e.g. its 0.1 and 99.9 percentiles.

    Returns
    -------
    float
        The larger of the low and the high limits' distances, × 100 / the robust range's width
        (infinite when the width is not positive).
    """
    width = float(robust_range[1]) - float(robust_range[0])
    distance = max(abs(float(ours[0]) - float(reference[0])), abs(float(ours[1]) - float(reference[1])))
    return 100.0 * distance / width if width > 0 else math.inf
