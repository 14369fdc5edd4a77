"""Read tomograms (OME-Zarr 0.4/0.5 or MRC) lazily and write them as NGFF 0.4 multiscale pyramids."""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mrcfile
import numcodecs
import numpy as np
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import (
    MultiscaleLevel,
    build_multiscales,
    parse_multiscale_levels,
)
from em_assets.core.tomograms.source_checks import check_volume_shape

MRC_SUFFIXES = (".mrc", ".rec", ".map")
CHUNK_EDGE = 64
COMPRESSOR = numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE)
WORKERS = 2


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
    check_volume_shape(shape, path)
    expected = offset + math.prod(shape) * dtype.itemsize
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
    except (FileNotFoundError, ValueError, KeyError, TypeError) as error:
        raise InputError(path, f"is not a zarr group ({type(error).__name__})") from None
    levels = parse_multiscale_levels(dict(group.attrs), path)
    arrays = []
    for level in levels:
        try:
            array = group[level.path]
        except KeyError:
            raise InputError(path, f"lists level {level.path!r} but has no such array") from None
        except (ValueError, TypeError) as error:
            raise InputError(path, f"level {level.path!r} has unreadable metadata ({type(error).__name__})") from None
        if array.ndim != 3:
            raise InputError(path, f"level {level.path!r} is not 3-D (shape {array.shape})")
        arrays.append(array)
    return Multiscale(path, levels, arrays)


def _for_each_slab(depth: int, step: int, work: Callable[[int, int], None]) -> None:
    bounds = [(z, min(z + step, depth)) for z in range(0, depth, step)]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda b: work(*b), bounds))


def _create_level(group: zarr.Group, path: str, shape: tuple[int, ...], dtype: np.dtype) -> zarr.Array:
    chunks = tuple(min(CHUNK_EDGE, n) for n in shape)
    return group.create_array(
        path,
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        compressors=COMPRESSOR,
        fill_value=0,
        chunk_key_encoding={"name": "v2", "separator": "/"},
    )


def downsample_2x(block: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Mean over 2×2×2 blocks (odd trailing planes dropped), rounded back for integer dtypes."""
    z, y, x = (n // 2 * 2 for n in block.shape)
    cropped = block[:z, :y, :x].astype(np.float64)
    mean = cropped.reshape(z // 2, 2, y // 2, 2, x // 2, 2).mean(axis=(1, 3, 5))
    return np.rint(mean).astype(dtype) if np.issubdtype(dtype, np.integer) else mean.astype(dtype)


def write_multiscale(
    dest: Path,
    data: Any,
    voxel_size: tuple[float, float, float],
    name: str,
    n_levels: int = 3,
    metadata: dict[str, Any] | None = None,
) -> Multiscale:
    """Write `data` (z, y, x) and its 2× mean pyramid to `dest` as an NGFF 0.4 zarr v2 multiscale."""
    if len(data.shape) != 3:
        raise InputError(name, f"is not a 3-D volume (shape {tuple(data.shape)})")
    dtype = np.dtype(data.dtype)
    group = zarr.open_group(str(dest), mode="w", zarr_format=2)
    level0 = _create_level(group, "0", tuple(int(n) for n in data.shape), dtype)

    def copy(z0: int, z1: int) -> None:
        level0[z0:z1] = np.asarray(data[z0:z1])

    _for_each_slab(level0.shape[0], CHUNK_EDGE, copy)
    levels = [MultiscaleLevel("0", tuple(float(v) for v in voxel_size))]
    previous = level0
    for index in range(1, n_levels):
        shape = tuple(n // 2 for n in previous.shape)
        if min(shape) < 1:
            break
        current = _create_level(group, str(index), shape, dtype)

        def shrink(z0: int, z1: int, source: zarr.Array = previous, target: zarr.Array = current) -> None:
            target[z0:z1] = downsample_2x(source[2 * z0 : 2 * z1], dtype)

        _for_each_slab(shape[0], CHUNK_EDGE, shrink)
        levels.append(MultiscaleLevel(str(index), tuple(v * 2**index for v in levels[0].voxel_size)))
        previous = current
    group.attrs["multiscales"] = build_multiscales(name, levels, metadata)
    return open_multiscale(dest)
