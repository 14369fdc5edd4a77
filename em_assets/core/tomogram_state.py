"""The Neuroglancer state of one tomogram: one image layer per contrast method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from em_assets.core.neuroglancer import combine_json_layers, generate_image_layer
from em_assets.core.tomogram_record import TomogramRecord

METRES_PER_ANGSTROM = 1e-10
PROJECTION_SCALE = 2000


def tomogram_state(
    record: TomogramRecord,
    source: str,
    limits: Mapping[str, Sequence[float]],
    limits_2d: str = "gmm",
    limits_3d: str = "gmm",
) -> dict[str, Any]:
    """The state: a layer per method in `limits`, the `limits_2d` one visible with the chosen 2D/3D pair."""
    shape, voxel_size = record.display_geometry
    scale = tuple(v * METRES_PER_ANGSTROM for v in voxel_size)
    size = dict(zip("zyx", shape))
    layers = []
    for method, pair in limits.items():
        primary = method == limits_2d
        layer = generate_image_layer(
            source=source,
            scale=scale,
            size=size,
            name=f"{record.key}_{method}",
            twodee_contrast_limits=pair,
            threedee_contrast_limits=limits[limits_3d] if primary else pair,
            has_volume_rendering_shader=True,
            volume_rendering_is_visible=True,
            is_visible=primary,
        )
        layer["_projectionScale"] = PROJECTION_SCALE
        layers.append(layer)
    layers.sort(key=lambda layer: layer.get("visible", True), reverse=True)
    return combine_json_layers(layers, scale)
