"""Read tomograms (OME-Zarr 0.4/0.5 or MRC) lazily and write them as NGFF 0.4 multiscale pyramids."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import MultiscaleLevel, parse_multiscale_levels
from em_assets.core.tomograms.pyramid import write_pyramid

MRC_SUFFIXES = (".mrc", ".rec", ".map")


@dataclass(frozen=True)
class SourceVolume:
    """A tomogram in the landing folder, opened without reading its voxels."""

    path: Path
    data: Any
    voxel_size: tuple[float, float, float]
    format: str


@dataclass(frozen=True)
class Multiscale:
    """A local NGFF multiscale: its levels' paths and voxel sizes, and their zarr arrays."""

    path: Path
    levels: list[MultiscaleLevel]
    arrays: list[zarr.Array] = field(repr=False)

    def array(self, level: int) -> zarr.Array:
        """The array of `level` (negative counts from the lowest resolution)."""
        try:
            return self.arrays[level]
        except IndexError:
            raise InputError(self.path, f"has no resolution level {level} ({len(self.arrays)} levels)") from None


def open_source_volume(path: Path) -> SourceVolume:
    """Open an MRC file or an OME-Zarr folder as a lazily read 3-D volume."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "does not exist")
    if path.is_file() and path.suffix.lower() in MRC_SUFFIXES:
        return _open_mrc(path)
    if path.is_dir():
        multiscale = open_multiscale(path)
        return SourceVolume(path, multiscale.arrays[0], multiscale.levels[0].voxel_size, "ome-zarr")
    raise InputError(path, "is neither an MRC file (.mrc, .rec, .map) nor an OME-Zarr folder")


def _open_mrc(path: Path) -> SourceVolume:
    try:
        with mrcfile.open(path, mode="r", header_only=True, permissive=False) as mrc:
            header = mrc.header
            dtype = mrcfile.utils.data_dtype_from_header(header)
            shape = tuple(int(n) for n in mrcfile.utils.data_shape_from_header(header))
            voxel = mrc.voxel_size
            offset = 1024 + int(header.nsymbt)
    except (ValueError, OSError) as error:
        raise InputError(path, f"is not a readable MRC file ({error})") from None
    if len(shape) != 3 or min(shape) < 1:
        raise InputError(path, f"is not a 3-D volume (shape {shape})")
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if path.stat().st_size < expected:
        raise InputError(path, f"is truncated: {path.stat().st_size} bytes, the header promises {expected}")
    data = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    sizes = tuple(float(v) if float(v) > 0 else 1.0 for v in (voxel.z, voxel.y, voxel.x))
    return SourceVolume(path, data, sizes, "mrc")


def open_multiscale(path: Path) -> Multiscale:
    """Open an OME-Zarr multiscale folder (NGFF 0.4 or 0.5) for reading."""
    path = Path(path)
    try:
        group = zarr.open_group(str(path), mode="r")
    except (FileNotFoundError, ValueError, KeyError) as error:
        raise InputError(path, f"is not a zarr group ({error})") from None
    levels = parse_multiscale_levels(dict(group.attrs), path)
    arrays = []
    for level in levels:
        try:
            array = group[level.path]
        except KeyError:
            raise InputError(path, f"lists level {level.path!r} but has no such array") from None
        if array.ndim != 3:
            raise InputError(path, f"level {level.path!r} is not 3-D (shape {array.shape})")
        arrays.append(array)
    return Multiscale(path, levels, arrays)


def write_multiscale(
    dest: Path,
    data: Any,
    voxel_size: tuple[float, float, float],
    name: str,
    n_levels: int = 3,
    metadata: dict[str, Any] | None = None,
) -> Multiscale:
    """Write `data` (z, y, x) and its 2× mean pyramid to `dest` as an NGFF 0.4 zarr v2 multiscale."""
    write_pyramid(dest, data, voxel_size, name, n_levels, metadata)
    return open_multiscale(dest)
