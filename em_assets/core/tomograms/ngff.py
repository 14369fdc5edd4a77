"""OME-NGFF multiscale metadata: build version 0.4, read versions 0.4 and 0.5.

Reading follows the specification: axes are matched by name in any order, every length unit the
specification allows is converted to ångström, and a dataset's scale and translation are composed
with the multiscale's own `coordinateTransformations` (dataset first, then multiscale).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from em_assets.core.atomic import write_text_atomic
from em_assets.core.errors import InputError
from em_assets.core.tomograms.axes import AxisOrder

# Ångström per unit, for every length unit of NGFF 0.4/0.5 (the UDUNITS-2 names the spec lists).
# The parsec is the IAU 2015 one: 648000/π astronomical units of 149 597 870 700 m.
UNIT_TO_ANGSTROM = {
    "yoctometer": 1e-14,
    "zeptometer": 1e-11,
    "attometer": 1e-8,
    "femtometer": 1e-5,
    "picometer": 1e-2,
    "angstrom": 1.0,
    "nanometer": 10.0,
    "micrometer": 1e4,
    "millimeter": 1e7,
    "centimeter": 1e8,
    "decimeter": 1e9,
    "meter": 1e10,
    "hectometer": 1e12,
    "kilometer": 1e13,
    "megameter": 1e16,
    "gigameter": 1e19,
    "terameter": 1e22,
    "petameter": 1e25,
    "exameter": 1e28,
    "zettameter": 1e31,
    "yottameter": 1e34,
    "inch": 0.0254e10,
    "foot": 0.3048e10,
    "yard": 0.9144e10,
    "mile": 1609.344e10,
    "parsec": 648000 / math.pi * 149_597_870_700 * 1e10,
}
SPATIAL_AXES = ("z", "y", "x")
NO_OFFSET = (0.0, 0.0, 0.0)
GROUP_ATTRIBUTES = ".zattrs"


@dataclass(frozen=True)
class MultiscaleLevel:
    """One dataset of a multiscale: its path in the group, voxel size and first voxel's position.

    Both are (z, y, x) in Å; `translation` is where voxel (0, 0, 0) sits.
    """

    path: str
    voxel_size: tuple[float, float, float]
    translation: tuple[float, float, float] = NO_OFFSET


@dataclass(frozen=True)
class ParsedMultiscale:
    """The levels of a multiscale in (z, y, x) order and, per z, y, x, the stored axis holding it."""

    levels: list[MultiscaleLevel]
    order: AxisOrder


def _transforms(level: MultiscaleLevel) -> list[dict[str, Any]]:
    transforms: list[dict[str, Any]] = [{"type": "scale", "scale": list(level.voxel_size)}]
    if any(value != 0.0 for value in level.translation):
        transforms.append({"type": "translation", "translation": list(level.translation)})
    return transforms


def build_multiscales(
    name: str, levels: Sequence[MultiscaleLevel], metadata: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The NGFF 0.4 `multiscales` attribute for a z, y, x volume in ångström.

    Parameters
    ----------
    name : str
        The image's name.
    levels : sequence of MultiscaleLevel
        Its datasets, full resolution first; a level's translation is written when it is not zero.
    metadata : mapping, optional
        Free-form `metadata` of the multiscale.

    Returns
    -------
    list of dict
        The attribute's value.
    """
    return [
        {
            "version": "0.4",
            "name": name,
            "axes": [{"name": axis, "type": "space", "unit": "angstrom"} for axis in SPATIAL_AXES],
            "datasets": [{"path": level.path, "coordinateTransformations": _transforms(level)} for level in levels],
            "metadata": dict(metadata or {}),
        }
    ]


def ome_attributes(attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The NGFF attributes of a group: 0.5 nests them under `ome`, 0.4 keeps them at the top.

    Parameters
    ----------
    attrs : mapping
        The group's attributes.

    Returns
    -------
    mapping
        ``attrs["ome"]`` if that is a mapping, else `attrs`.
    """
    return attrs["ome"] if "ome" in attrs and isinstance(attrs["ome"], Mapping) else attrs


def parse_multiscale(attrs: Mapping[str, Any], source: Path) -> ParsedMultiscale:
    """The levels and axis order of the first multiscale in a group's attributes.

    Parameters
    ----------
    attrs : mapping
        The group's attributes (NGFF 0.4 at the top level, 0.5 under `ome`).
    source : Path
        The group, named in errors.

    Returns
    -------
    ParsedMultiscale
        Each level's voxel size and translation in (z, y, x) order and Å, with the multiscale-level
        transforms composed in, and the stored axis of z, y and x.

    Raises
    ------
    InputError
        If there is no multiscale, the axes are not exactly z, y and x, a unit is not an NGFF length
        unit, a transform is malformed, of an unsupported type or stored in a file, or no dataset
        is listed.
    """
    multiscales = ome_attributes(attrs).get("multiscales")
    if not multiscales or not isinstance(multiscales, Sequence):
        raise InputError(source, "not an OME-Zarr image: no 'multiscales' in the group attributes")
    first = multiscales[0]
    if not isinstance(first, Mapping):
        raise InputError(source, f"the first multiscale is not an object: {first!r}")
    names, factors = _axes(first.get("axes", [{"name": axis} for axis in SPATIAL_AXES]), source)
    order = tuple(names.index(axis) for axis in SPATIAL_AXES)
    outer_scale, outer_shift = _scale_and_translation(
        first.get("coordinateTransformations", []), len(names), source, "the multiscale", required=False
    )
    levels = []
    for dataset in first.get("datasets", []):
        if not isinstance(dataset, Mapping) or "path" not in dataset:
            raise InputError(source, f"a dataset entry has no 'path': {dataset!r}")
        where = f"dataset {dataset['path']!r}"
        scale, shift = _scale_and_translation(dataset.get("coordinateTransformations"), len(names), source, where)
        voxel = [s * o * f for s, o, f in zip(scale, outer_scale, factors)]
        offset = [(t * o + u) * f for t, o, u, f in zip(shift, outer_scale, outer_shift, factors)]
        levels.append(
            MultiscaleLevel(
                str(dataset["path"]), tuple(voxel[axis] for axis in order), tuple(offset[axis] for axis in order)
            )
        )
    if not levels:
        raise InputError(source, "the multiscale lists no datasets")
    return ParsedMultiscale(levels, order)


def parse_multiscale_levels(attrs: Mapping[str, Any], source: Path) -> list[MultiscaleLevel]:
    """The levels of the first multiscale in `attrs` in (z, y, x) order and Å (see `parse_multiscale`).

    Parameters
    ----------
    attrs, source
        As for `parse_multiscale`.

    Returns
    -------
    list of MultiscaleLevel
        Each level's path, voxel size and translation.

    Raises
    ------
    InputError
        As `parse_multiscale`, for missing or malformed multiscale metadata.
    """
    return parse_multiscale(attrs, source).levels


def _axes(axes: Any, source: Path) -> tuple[list[str], list[float]]:
    if not isinstance(axes, Sequence) or isinstance(axes, str):
        raise InputError(source, f"'axes' must be a list, got {axes!r}")
    names, factors = [], []
    for axis in axes:
        entry = axis if isinstance(axis, Mapping) else {"name": axis}
        name = str(entry.get("name", "")).lower()
        unit = str(entry.get("unit", "angstrom")).lower()
        if entry.get("type", "space") != "space" or name not in SPATIAL_AXES:
            raise InputError(source, f"axis {entry!r} is not a spatial z, y or x axis; only 3-D z, y, x images are read")
        if unit not in UNIT_TO_ANGSTROM:
            raise InputError(source, f"axis {name!r} has unit {unit!r}, which is not an NGFF length unit")
        names.append(name)
        factors.append(UNIT_TO_ANGSTROM[unit])
    if sorted(names) != sorted(SPATIAL_AXES):
        raise InputError(source, f"expected the axes z, y and x once each, found {names}")
    return names, factors


def _scale_and_translation(
    transforms: Any, rank: int, source: Path, where: str, required: bool = True
) -> tuple[list[float], list[float]]:
    """The scale and translation of one `coordinateTransformations` list (scale, then translation)."""
    if transforms is None and not required:
        transforms = []
    if not isinstance(transforms, Sequence) or isinstance(transforms, str):
        raise InputError(source, f"{where} has no 'coordinateTransformations' list")
    scale, translation = [1.0] * rank, [0.0] * rank
    seen = []
    for transform in transforms:
        kind = transform.get("type") if isinstance(transform, Mapping) else None
        if kind == "identity":
            continue
        if kind not in ("scale", "translation"):
            raise InputError(source, f"{where} has a transform of unsupported type {kind!r}")
        if "path" in transform:
            raise InputError(source, f"{where} keeps its {kind} in a file ({transform['path']!r}), which is not read")
        values = _vector(transform.get(kind), rank, source, f"{where} {kind}")
        if kind == "scale" and not all(v > 0 for v in values):
            raise InputError(source, f"{where} scale {values} must be positive")
        if kind in seen or (kind == "scale" and "translation" in seen):
            raise InputError(source, f"{where} must hold one scale then at most one translation, found {seen + [kind]}")
        seen.append(kind)
        if kind == "scale":
            scale = values
        else:
            translation = values
    if required and "scale" not in seen:
        raise InputError(source, f"{where} has no scale transform")
    return scale, translation


def _vector(values: Any, rank: int, source: Path, what: str) -> list[float]:
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) != rank:
        raise InputError(source, f"{what} must list {rank} numbers, got {values!r}")
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise InputError(source, f"{what} must list {rank} numbers, got {values!r}") from None
    if not all(math.isfinite(v) for v in numbers):
        raise InputError(source, f"{what} {numbers} is not finite")
    return numbers


def _read_group_attributes(group: Path) -> dict[str, Any]:
    path = group / GROUP_ATTRIBUTES
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(path, f"cannot be read as the attributes of a zarr v2 group ({error})") from None


def _write_group_attributes(group: Path, attrs: Mapping[str, Any]) -> None:
    """Replace the group's `.zattrs` in one step (a temporary file renamed over it)."""
    write_text_atomic(group / GROUP_ATTRIBUTES, json.dumps(attrs, indent=4, sort_keys=True))


def set_translation(group: Path, translation: Sequence[float]) -> None:
    """Write `translation` (z, y, x, Å) into every dataset of a stored NGFF 0.4 multiscale.

    Every level gets the same translation: voxel (0, 0, 0) of each level starts at the same corner,
    as the 2× mean pyramid is built.

    Parameters
    ----------
    group : Path
        A zarr v2 multiscale group written by `build_multiscales` (ångström, z, y, x axes).
    translation : sequence of float
        The first voxel's position; zero removes the translation transforms.

    Raises
    ------
    InputError
        If the group's attributes cannot be read or hold no valid multiscale.
    """
    attrs = _read_group_attributes(group)
    parsed = parse_multiscale(attrs, group)
    offset = tuple(float(v) for v in translation)
    levels = [MultiscaleLevel(level.path, level.voxel_size, offset) for level in parsed.levels]
    first = attrs["multiscales"][0]
    attrs["multiscales"] = build_multiscales(first.get("name", ""), levels, first.get("metadata"))
    _write_group_attributes(group, attrs)


def omero_metadata(
    name: str, window: Sequence[float], data_range: Sequence[float], default_z: int = 0
) -> dict[str, Any]:
    """The NGFF 0.4 `omero` rendering metadata of a one-channel greyscale tomogram.

    Parameters
    ----------
    name : str
        The image's name, also the channel label.
    window : sequence of float
        The displayed range (`start`, `end`): the contrast limits.
    data_range : sequence of float
        The data's range (`min`, `max`), the bounds of a viewer's slider.
    default_z : int
        The plane a viewer opens on.

    Returns
    -------
    dict
        The `omero` attribute.
    """
    start, end = (float(v) for v in window)
    low, high = (float(v) for v in data_range)
    channel = {
        "active": True,
        "coefficient": 1.0,
        "color": "FFFFFF",
        "family": "linear",
        "inverted": False,
        "label": name,
        "window": {"min": min(low, start), "max": max(high, end), "start": start, "end": end},
    }
    return {
        "version": "0.4",
        "name": name,
        "channels": [channel],
        "rdefs": {"defaultT": 0, "defaultZ": int(default_z), "model": "greyscale"},
    }


def write_display_window(
    group: Path, window: Sequence[float], data_range: Sequence[float], name: str, default_z: int = 0
) -> dict[str, Any]:
    """Write the `omero` rendering metadata (see `omero_metadata`) into a stored zarr v2 group.

    The other attributes are kept and the `.zattrs` file is replaced atomically, so OME-Zarr viewers
    (napari, vizarr, OMERO) open the tomogram with these limits.

    Parameters
    ----------
    group : Path
        The zarr v2 group.
    window, data_range : sequence of float
        As for `omero_metadata`.
    name : str
        As for `omero_metadata`.
    default_z : int
        As for `omero_metadata`.

    Returns
    -------
    dict
        The `omero` attribute written.

    Raises
    ------
    InputError
        If the group's `.zattrs` cannot be read.
    """
    attrs = _read_group_attributes(group)
    attrs["omero"] = omero_metadata(name, window, data_range, default_z)
    _write_group_attributes(group, attrs)
    return attrs["omero"]
