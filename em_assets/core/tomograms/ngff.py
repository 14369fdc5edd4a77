"""OME-NGFF multiscale metadata: build version 0.4, read versions 0.4 and 0.5."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from em_assets.core.errors import InputError

UNIT_TO_ANGSTROM = {
    "angstrom": 1.0,
    "nanometer": 10.0,
    "micrometer": 1e4,
    "millimeter": 1e7,
    "meter": 1e10,
}


@dataclass(frozen=True)
class MultiscaleLevel:
    """One dataset of a multiscale: its path in the group and its voxel size (z, y, x) in Å."""

    path: str
    voxel_size: tuple[float, float, float]


def build_multiscales(
    name: str, levels: Sequence[MultiscaleLevel], metadata: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The NGFF 0.4 `multiscales` attribute for a z, y, x volume in ångström."""
    return [
        {
            "version": "0.4",
            "name": name,
            "axes": [{"name": axis, "type": "space", "unit": "angstrom"} for axis in "zyx"],
            "datasets": [
                {
                    "path": level.path,
                    "coordinateTransformations": [{"type": "scale", "scale": list(level.voxel_size)}],
                }
                for level in levels
            ],
            "metadata": dict(metadata or {}),
        }
    ]


def ome_attributes(attrs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The NGFF attributes of a group: 0.5 nests them under `ome`, 0.4 keeps them at the top."""
    return attrs["ome"] if "ome" in attrs and isinstance(attrs["ome"], Mapping) else attrs


def parse_multiscale_levels(attrs: Mapping[str, Any], source: Path) -> list[MultiscaleLevel]:
    """The levels of the first multiscale in `attrs`, voxel sizes converted to ångström.

    Parameters
    ----------
    attrs : Mapping
        The group's attributes (NGFF 0.4 or 0.5).
    source : Path
        The OME-Zarr folder errors name.

    Returns
    -------
    list of MultiscaleLevel
        Full resolution first.

    Raises
    ------
    InputError
        For absent, malformed (wrong types, missing keys) or non-positive multiscale metadata.
    """
    try:
        levels = _parse_levels(attrs, source)
    except InputError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise InputError(source, f"malformed 'multiscales' metadata ({type(error).__name__})") from None
    for level in levels:
        if not all(math.isfinite(v) and v > 0 for v in level.voxel_size):
            raise InputError(source, f"dataset {level.path!r} has a non-positive or non-finite scale {level.voxel_size}")
    return levels


def _parse_levels(attrs: Mapping[str, Any], source: Path) -> list[MultiscaleLevel]:
    multiscales = ome_attributes(attrs).get("multiscales")
    if not multiscales:
        raise InputError(source, "not an OME-Zarr image: no 'multiscales' in the group attributes")
    first = multiscales[0]
    axes = first.get("axes", [{"name": "z"}, {"name": "y"}, {"name": "x"}])
    spatial = [a if isinstance(a, Mapping) else {"name": a} for a in axes]
    if len(spatial) != 3:
        raise InputError(source, f"expected 3 axes (z, y, x), found {len(spatial)}")
    factors = [UNIT_TO_ANGSTROM.get(str(a.get("unit", "angstrom")).lower(), 1.0) for a in spatial]
    levels = []
    for dataset in first.get("datasets", []):
        scale = [1.0, 1.0, 1.0]
        for transform in dataset.get("coordinateTransformations", []):
            if transform.get("type") == "scale":
                scale = [float(s) for s in transform["scale"]]
        if len(scale) != 3:
            raise InputError(source, f"dataset {dataset.get('path')!r} has a scale of {len(scale)} axes")
        voxel = tuple(s * f for s, f in zip(scale, factors))
        levels.append(MultiscaleLevel(str(dataset["path"]), voxel))
    if not levels:
        raise InputError(source, "the multiscale lists no datasets")
    return levels
