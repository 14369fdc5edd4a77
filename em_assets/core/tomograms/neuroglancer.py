"""Neuroglancer image layers with 2D/3D contrast controls, a tomogram's viewer state, and its URL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import neuroglancer
from neuroglancer.url_state import to_url

from em_assets.core.tomograms.record import TomogramRecord

DEFAULT_URL_PREFIX = "https://neuroglancer-demo.appspot.com/"
DEFAULT_PROJECTION_QUATERNION = (0.3826834261417389, 0.0, 0.0, 0.9238795042037964)
WINDOW_WIDENING_2D = 0.2
WINDOW_WIDENING_3D = 2.0
METRES_PER_ANGSTROM = 1e-10
PROJECTION_SCALE = 2000

VOLUME_RENDERING_SHADER = """#uicontrol invlerp contrast
#uicontrol bool invert_contrast checkbox
#uicontrol invlerp contrast_3D(clamp=false)
#uicontrol bool invert_contrast_3D checkbox
#uicontrol bool hide_values_outside_limits_3D checkbox

float get_contrast() {
  float value = invert_contrast ? 1.0 - contrast() : contrast();
  return value;
}
float get_contrast_3D() {
  float value = invert_contrast_3D ? 1.0 - contrast_3D() : contrast_3D();
  value = (hide_values_outside_limits_3D && value > 1.0) ? 0.0 : clamp(value, 0.0, 1.0);
  return value;
}

void main() {
  float outputValue;
  if (VOLUME_RENDERING) {
    outputValue = get_contrast_3D();
    emitIntensity(outputValue);
  } else {
    outputValue = get_contrast();
  }
  emitGrayscale(outputValue);
}"""

SLICE_SHADER = """#uicontrol invlerp contrast
#uicontrol bool invert_contrast checkbox

void main() {
  float value = invert_contrast ? 1.0 - contrast() : contrast();
  emitGrayscale(value);
}"""


def contrast_window(limits: Sequence[float], widening: float) -> list[float]:
    """The slider window: the limits widened by `widening` × their width on each side.

    Parameters
    ----------
    limits : sequence of float
        The (low, high) contrast limits.
    widening : float
        The fraction of the limits' width added on each side.

    Returns
    -------
    list of float
        The [low, high] window.
    """
    low, high = float(limits[0]), float(limits[1])
    margin = (high - low) * widening
    return [low - margin, high + margin]


def _dimensions(scale: Sequence[float], axes: str) -> dict[str, list[Any]]:
    return {axis: [float(scale["zyx".index(axis)]), "m"] for axis in axes}


def generate_image_layer(
    source: str,
    scale: Sequence[float],
    size: Mapping[str, int],
    name: str,
    twodee_contrast_limits: Sequence[float],
    threedee_contrast_limits: Sequence[float],
    has_volume_rendering_shader: bool = True,
    volume_rendering_is_visible: bool = True,
    is_visible: bool = True,
    opacity: float = 0.51,
    volume_rendering_gain: float = -7.8,
    volume_rendering_depth_samples: int = 128,
) -> dict[str, Any]:
    """One image layer: `source` a zarr URL, `scale` the voxel size (z, y, x) in metres, `size` in voxels.

    Parameters
    ----------
    source : str
        The volume's URL; without a Neuroglancer data-source scheme it is read as ``zarr://``.
    scale : sequence of float
        The voxel size (z, y, x) in metres.
    size : mapping of str to int
        The volume's extent in voxels along "z", "y" and "x".
    name : str
        The layer's name.
    twodee_contrast_limits : sequence of float
        The (low, high) limits of the slice views.
    threedee_contrast_limits : sequence of float
        The (low, high) limits of the volume rendering.
    has_volume_rendering_shader : bool
        Whether the layer gets the volume-rendering shader (else the slice shader, 2D limits only).
    volume_rendering_is_visible : bool
        Whether volume rendering starts on.
    is_visible : bool
        Whether the layer starts visible.
    opacity : float
        The layer's opacity.
    volume_rendering_gain : float
        The volume rendering gain.
    volume_rendering_depth_samples : int
        The volume rendering depth samples.

    Returns
    -------
    dict of str to Any
        The layer's JSON, with a private `_size` entry that `combine_json_layers` removes.
    """
    if not source.startswith(("zarr://", "zarr2://", "zarr3://", "precomputed://", "n5://")):
        source = f"zarr://{source}"
    layer: dict[str, Any] = {
        "type": "image",
        "source": {
            "url": source,
            "transform": {
                "outputDimensions": _dimensions(scale, "zyx"),
                "inputDimensions": _dimensions(scale, "zyx"),
            },
        },
        "tab": "rendering",
        "opacity": opacity,
    }
    controls: dict[str, Any] = {
        "contrast": {
            "range": [float(v) for v in twodee_contrast_limits],
            "window": contrast_window(twodee_contrast_limits, WINDOW_WIDENING_2D),
        }
    }
    if has_volume_rendering_shader:
        layer["shader"] = VOLUME_RENDERING_SHADER
        controls["contrast_3D"] = {
            "range": [float(v) for v in threedee_contrast_limits],
            "window": contrast_window(threedee_contrast_limits, WINDOW_WIDENING_3D),
        }
        controls["invert_contrast_3D"] = True
    else:
        layer["shader"] = SLICE_SHADER
    layer["shaderControls"] = controls
    if has_volume_rendering_shader:
        layer["volumeRendering"] = "on" if volume_rendering_is_visible else "off"
        layer["volumeRenderingGain"] = volume_rendering_gain
        layer["volumeRenderingDepthSamples"] = volume_rendering_depth_samples
    layer["name"] = name
    if not is_visible:
        layer["visible"] = False
    layer["_size"] = {axis: int(size[axis]) for axis in "zyx"}
    return layer


def _centre(size: Mapping[str, int]) -> list[float | int]:
    half = [size[axis] / 2 for axis in "xyz"]
    return [int(v) if float(v).is_integer() else v for v in half]


def combine_json_layers(
    layers: Sequence[Mapping[str, Any]],
    scale: Sequence[float],
    projection_quaternion: Sequence[float] | None = None,
    show_axis_lines: bool = False,
    layout: str = "4panel",
    cross_section_scale: float = 1,
    projection_scale: float | None = None,
) -> dict[str, Any]:
    """The viewer state holding `layers`, centred on the first layer's volume.

    Parameters
    ----------
    layers : sequence of mapping
        Image layers (as from `generate_image_layer`); their private `_size` and `_projectionScale`
        entries are used and removed.
    scale : sequence of float
        The voxel size (z, y, x) in metres, for the global dimensions.
    projection_quaternion : sequence of float, optional
        The 3D view's orientation (a default oblique view if None).
    show_axis_lines : bool
        Whether the axis lines are shown.
    layout : str
        The Neuroglancer layout.
    cross_section_scale : float
        The zoom of the slice views.
    projection_scale : float, optional
        The zoom of the 3D view; if None the largest `_projectionScale` of the layers, else 2000.

    Returns
    -------
    dict of str to Any
        The state JSON, the first visible layer selected.

    Raises
    ------
    ValueError
        If `layers` is empty.
    """
    if not layers:
        raise ValueError("a Neuroglancer state needs at least one layer")
    cleaned = []
    projection_scales = []
    for layer in layers:
        layer = dict(layer)
        if "_projectionScale" in layer:
            projection_scales.append(layer.pop("_projectionScale"))
        size = layer.pop("_size", None)
        cleaned.append(layer)
    first_size = dict(layers[0]["_size"]) if "_size" in layers[0] else size
    quaternion = DEFAULT_PROJECTION_QUATERNION if projection_quaternion is None else projection_quaternion
    if projection_scale is None:
        projection_scale = max(projection_scales) if projection_scales else 2000
    visible = [layer["name"] for layer in cleaned if layer.get("visible", True)]
    return {
        "dimensions": _dimensions(scale, "xyz"),
        "position": _centre(first_size) if first_size else [0, 0, 0],
        "crossSectionScale": cross_section_scale,
        "projectionOrientation": [float(q) for q in quaternion],
        "projectionScale": projection_scale,
        "layers": cleaned,
        "showAxisLines": show_axis_lines,
        "showSlices": False,
        "selectedLayer": {"visible": True, "layer": (visible or [cleaned[0]["name"]])[0]},
        "crossSectionBackgroundColor": "#000000",
        "layout": layout,
    }


def state_url(state: Mapping[str, Any], prefix: str = DEFAULT_URL_PREFIX) -> str:
    """The shareable URL of `state`, as Neuroglancer's own `to_url` writes it.

    Parameters
    ----------
    state : mapping
        The viewer state JSON.
    prefix : str
        The Neuroglancer instance the URL opens.

    Returns
    -------
    str
        The URL with the state encoded in its fragment.
    """
    return to_url(neuroglancer.viewer_state.ViewerState(dict(state)), prefix=prefix)


def tomogram_state(
    record: TomogramRecord,
    source: str,
    limits: Mapping[str, Sequence[float]],
    limits_2d: str = "gmm",
    limits_3d: str = "gmm",
) -> dict[str, Any]:
    """The state: a layer per method in `limits`, the `limits_2d` one visible with the chosen 2D/3D pair.

    Parameters
    ----------
    record : TomogramRecord
        The tomogram's record (key, displayed shape and voxel size, translation, public URL).
    source : str
        The URL of the multiscale the viewer reads.
    limits : mapping of str to sequence of float
        The (low, high) contrast limits of each method.
    limits_2d : str
        The method whose layer is visible, with its limits in the slice views.
    limits_3d : str
        The method whose limits the visible layer's volume rendering uses.

    Returns
    -------
    dict of str to Any
        The viewer state JSON, the visible layer first; for a volume without public URL the position
        moved by the volume's translation.

    Raises
    ------
    KeyError
        If `limits_2d` is a method of `limits` but `limits_3d` is not.
    """
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
    state = combine_json_layers(layers, scale)
    if not record.public_url:
        state["position"] = placed_position(state["position"], record.translation, voxel_size)
    return state


def placed_position(
    position: Sequence[float], translation: Sequence[float], voxel_size: Sequence[float]
) -> list[float | int]:
    """The viewer position (x, y, z, in voxels) moved by the volume's translation (z, y, x, Å).

    Neuroglancer reads the NGFF translation of the stored copy and places the volume there, so the
    centre the viewer opens on moves by the same amount, counted in voxels of the global dimensions.

    Parameters
    ----------
    position : sequence of float
        The centre of the untranslated volume, x, y, z in voxels.
    translation : sequence of float
        The first voxel's position, z, y, x in Å.
    voxel_size : sequence of float
        The voxel size, z, y, x in Å.

    Returns
    -------
    list
        The moved position (unchanged, integers kept, when the translation is zero).
    """
    if not any(translation):
        return list(position)
    shifts = [float(translation[axis]) / float(voxel_size[axis]) for axis in (2, 1, 0)]
    return [float(p) + shift for p, shift in zip(position, shifts)]
