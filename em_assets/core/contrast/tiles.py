"""Chunk-aligned boxes of a 3-D array (NumPy, Dask or zarr) and reading one box as NumPy."""

from __future__ import annotations

import sys
from itertools import product
from typing import Any

import numpy as np

from em_assets.core.errors import InputError

TILE_VOXELS = 1 << 20

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def _is_dask(data: Any) -> bool:
    """Whether `data` is a Dask array, without importing Dask (only Dask inputs need it)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(data, dask_array.Array)


def check_volume(data: Any, name: str) -> np.dtype:
    """The dtype of `data` if it is a 3-D integer or floating array, else raise InputError.

    Parameters
    ----------
    data : array-like
        The volume (anything with `shape` and `dtype`).
    name : str
        The volume's name, used in errors.

    Returns
    -------
    numpy.dtype
        The dtype of `data`.

    Raises
    ------
    InputError
        If `data` is not 3-D or its dtype is neither integer nor floating point.
    """
    shape = tuple(getattr(data, "shape", ()))
    if len(shape) != 3:
        raise InputError(name, f"is not a 3-D volume (shape {shape}); expected (z, y, x)")
    dtype = np.dtype(data.dtype)
    if dtype.kind not in "iuf":
        raise InputError(name, f"has dtype {dtype}; expected integer or floating-point voxels")
    return dtype


def _grid_chunks(data: Any) -> tuple[tuple[int, ...], ...]:
    """Chunk lengths along each axis: Dask's, zarr's shards or chunks, else whole rows of z-planes."""
    shape = tuple(int(n) for n in data.shape)
    if _is_dask(data):
        return tuple(tuple(int(c) for c in axis) for axis in data.chunks)
    grid = getattr(data, "shards", None) or getattr(data, "chunks", None)
    if not (isinstance(grid, tuple) and len(grid) == 3 and all(isinstance(c, int) and c > 0 for c in grid)):
        rows = max(1, min(shape[1], TILE_VOXELS // max(1, shape[2])))
        grid = (1, rows, shape[2])
    return tuple(_regular(n, max(1, min(c, n))) for n, c in zip(shape, grid, strict=True))


def _regular(length: int, step: int) -> tuple[int, ...]:
    full, rest = divmod(length, step)
    return (step,) * full + ((rest,) if rest else ())


def _grouped_cuts(lengths: tuple[int, ...], group: int) -> list[int]:
    cuts = [0, *np.cumsum(lengths, dtype=np.int64).tolist()]
    return cuts[::group] + ([cuts[-1]] if (len(cuts) - 1) % group else [])


def _group_sizes(chunks: tuple[tuple[int, ...], ...]) -> tuple[int, int, int]:
    """How many chunks to group along z, y, x: x first, then y, then z, up to about TILE_VOXELS."""
    cz, cy, cx = (max(axis, default=1) for axis in chunks)
    nz, ny, nx = (max(1, len(axis)) for axis in chunks)
    gx = min(nx, max(1, TILE_VOXELS // (cz * cy * cx)))
    gy = min(ny, max(1, TILE_VOXELS // (cz * cy * cx * nx))) if gx == nx else 1
    gz = min(nz, max(1, TILE_VOXELS // (cz * cy * cx * nx * ny))) if gy == ny else 1
    return gz, gy, gx


def tile_cuts(data: Any, z_range: tuple[int, int], z_marks: list[int]) -> tuple[list[int], list[int], list[int]]:
    """Cut points along z, y, x: whole chunks grouped to about TILE_VOXELS, z limited to `z_range`.

    Every value of `z_marks` inside `z_range` is a z cut too, so no tile straddles it.

    Parameters
    ----------
    data : array-like
        A 3-D NumPy, Dask or zarr array; its chunks (or shards) set the grid.
    z_range : tuple of int
        The first and one-past-last z slice to cover.
    z_marks : list of int
        Extra z positions that must be cuts.

    Returns
    -------
    tuple of list of int
        The sorted cut points along z, y and x, each from the start to the end of its range.
    """
    chunks = _grid_chunks(data)
    gz, gy, gx = _group_sizes(chunks)
    z_lo, z_hi = z_range
    inner = {z for z in _grouped_cuts(chunks[0], gz) + list(z_marks) if z_lo < z < z_hi}
    return sorted(inner | {z_lo, z_hi}), _grouped_cuts(chunks[1], gy), _grouped_cuts(chunks[2], gx)


def boxes(cuts: tuple[list[int], list[int], list[int]]) -> list[Box]:
    """All boxes of the grid given by `cuts`, in C order (z slowest).

    Parameters
    ----------
    cuts : tuple of list of int
        The cut points along z, y and x (as from `tile_cuts`).

    Returns
    -------
    list of Box
        Each box as ((z0, z1), (y0, y1), (x0, x1)), ends exclusive.
    """
    spans = [list(zip(axis[:-1], axis[1:], strict=True)) for axis in cuts]
    return [(z, y, x) for z, y, x in product(*spans)]


def read_box(data: Any, box: Box) -> np.ndarray:
    """The voxels of `box` as a NumPy array (Dask computed synchronously in this thread).

    Parameters
    ----------
    data : array-like
        A 3-D NumPy, Dask or zarr array.
    box : Box
        ((z0, z1), (y0, y1), (x0, x1)), ends exclusive.

    Returns
    -------
    numpy.ndarray
        The voxels of the box.
    """
    index = tuple(slice(lo, hi) for lo, hi in box)
    if _is_dask(data):
        import dask

        return np.asarray(dask.compute(data[index], scheduler="synchronous")[0])
    return np.asarray(data[index])
