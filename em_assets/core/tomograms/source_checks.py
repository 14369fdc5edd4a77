"""What a landing tomogram must satisfy before it is ingested: a supported voxel type (converted
where the store cannot keep it), a non-empty 3-D shape, consistent multiscale levels, and chunks
that exist and decode; a store whose metadata claims far more data than it holds is refused up front.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from em_assets.core.errors import InputError

MAX_COMPRESSION_RATIO = 1000
"""Claimed bytes per stored byte beyond which a large store is refused (noisy EM compresses ~1-3x)."""
RATIO_CHECKED_ABOVE = 256 * 2**20
"""Claims below this many bytes are read and judged by their voxels instead."""
METADATA_FILES = frozenset({".zarray", ".zattrs", ".zgroup", "zarr.json"})
CONVERTED_TO_FLOAT32 = ("float16", "float64")
SIZE_UNITS = ("B", "kB", "MB", "GB", "TB")
DECODE_ERRORS = (RuntimeError, ValueError, TypeError, OSError, SystemError)
"""What numpy, zarr and its codecs raise on bytes they cannot decode (blosc: RuntimeError or SystemError)."""


def stored_dtype(dtype: np.dtype, subject: str | Path) -> np.dtype:
    """The native-endian dtype a source's voxels are stored as, or an InputError if there is none.

    Parameters
    ----------
    dtype : numpy.dtype
        The source's voxel type, in its own byte order.
    subject : str or Path
        The file errors name.

    Returns
    -------
    numpy.dtype
        `dtype` in native byte order; float32 for float16 and float64 (viewers and zarr consumers
        do not all read those).

    Raises
    ------
    InputError
        For complex, boolean or non-numeric voxels.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        raise InputError(subject, f"holds complex voxels ({dtype.name}), not a tomogram's intensities")
    if dtype.kind not in "iuf":
        raise InputError(subject, f"holds {dtype.name} voxels; tomograms must be integers or floats")
    if dtype.name in CONVERTED_TO_FLOAT32:
        return np.dtype(np.float32)
    return dtype.newbyteorder("=")


def check_volume_shape(shape: tuple[int, ...], subject: str | Path) -> None:
    """Raise unless `shape` is 3-D with at least one voxel along every axis.

    Parameters
    ----------
    shape : tuple of int
        The volume's shape (z, y, x).
    subject : str or Path
        The file errors name.

    Raises
    ------
    InputError
        For 2-D, 4-D or empty volumes.
    """
    if len(shape) != 3:
        raise InputError(subject, f"is not a 3-D volume (shape {tuple(shape)})")
    if min(shape) < 1:
        raise InputError(subject, f"is empty (shape {tuple(shape)})")


@dataclass(frozen=True)
class ConvertedVolume:
    """A lazily read volume whose slices come out as `dtype` (what `write_multiscale` copies)."""

    data: Any
    dtype: np.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        """The source's shape."""
        return tuple(self.data.shape)

    def __getitem__(self, index: Any) -> np.ndarray:
        return np.asarray(self.data[index]).astype(self.dtype)


def as_stored(data: Any, subject: str | Path) -> Any:
    """`data` itself when its dtype can be stored as is, else a `ConvertedVolume` of it.

    Parameters
    ----------
    data : array-like
        A lazily read volume (memory map or zarr array).
    subject : str or Path
        The file errors name.

    Returns
    -------
    array-like
        Something with `shape`, `dtype` and slicing, yielding native-endian supported voxels.

    Raises
    ------
    InputError
        As `stored_dtype` and `check_volume_shape`.
    """
    check_volume_shape(tuple(data.shape), subject)
    target = stored_dtype(data.dtype, subject)
    return data if np.dtype(data.dtype) == target else ConvertedVolume(data, target)


def check_levels_consistent(path: Path, shapes: list[tuple[int, ...]], dtypes: list[np.dtype]) -> None:
    """Raise unless every level is no larger than the one before and all share one dtype.

    Parameters
    ----------
    path : Path
        The OME-Zarr folder.
    shapes : list of tuple of int
        The levels' shapes, full resolution first.
    dtypes : list of numpy.dtype
        The levels' voxel types.

    Raises
    ------
    InputError
        Naming the first level that grows or changes type.
    """
    check_volume_shape(shapes[0], path)
    for index in range(1, len(shapes)):
        if any(b > a for a, b in zip(shapes[index - 1], shapes[index])):
            raise InputError(
                path,
                f"inconsistent multiscale: level {index} (shape {shapes[index]}) is larger than level "
                f"{index - 1} (shape {shapes[index - 1]})",
            )
        if dtypes[index] != dtypes[0]:
            raise InputError(path, f"inconsistent multiscale: level {index} is {dtypes[index]}, level 0 {dtypes[0]}")


def _stored_bytes(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder, followlinks=False):
        total += sum(os.lstat(os.path.join(parent, name)).st_size for name in files if name not in METADATA_FILES)
    return total


def _size(n: int) -> str:
    power = min(int(math.log10(max(n, 1)) // 3), len(SIZE_UNITS) - 1)
    return f"{n / 1000**power:.1f} {SIZE_UNITS[power]}"


def missing_chunks(array: zarr.Array, folder: Path, subject: str | Path) -> int:
    """How many chunks of `array` are absent; a large claim its chunks cannot hold is refused.

    Parameters
    ----------
    array : zarr.Array
        A level of a local OME-Zarr store.
    folder : Path
        The level's folder on disk.
    subject : str or Path
        The file errors name.

    Returns
    -------
    int
        Chunks the metadata declares but the store lacks (zarr reads them as the fill value).

    Raises
    ------
    InputError
        When the level claims more than `RATIO_CHECKED_ABOVE` bytes and over `MAX_COMPRESSION_RATIO`
        times what its chunk files hold.
    """
    claimed = math.prod(array.shape) * np.dtype(array.dtype).itemsize
    if claimed > RATIO_CHECKED_ABOVE:
        stored = _stored_bytes(folder)
        if claimed > MAX_COMPRESSION_RATIO * stored:
            raise InputError(
                subject,
                f"its metadata claims {_size(claimed)} for level {array.path!r} (shape {array.shape}) but its "
                f"chunks hold {_size(stored)}: refused before reading (an incomplete copy or forged metadata)",
            )
    return int(array.nchunks) - int(array.nchunks_initialized)


def undecodable_chunk(array: zarr.Array) -> tuple[int, ...] | None:
    """The grid index of the first chunk of `array` that cannot be read, or None if all can.

    Parameters
    ----------
    array : zarr.Array
        An array that failed to read somewhere.

    Returns
    -------
    tuple of int or None
        The chunk's index along (z, y, x).
    """
    grid = [range(math.ceil(n / c)) for n, c in zip(array.shape, array.chunks)]
    for index in itertools.product(*grid):
        region = tuple(slice(i * c, (i + 1) * c) for i, c in zip(index, array.chunks))
        try:
            array[region]
        except DECODE_ERRORS:
            return index
    return None
