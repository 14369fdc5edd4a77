"""Write a volume and its 2× mean pyramid (NGFF 0.4, zarr v2) and its statistics in one streaming pass.

The volume is cut into blocks whose edges are a multiple of ``CHUNK_EDGE * 2**(levels - 1)``, so that
every block owns whole chunks of every level; each block is read once, written to level 0, reduced into
the lower levels and into the statistics while it is in memory, and dropped. Memory is bounded by the
block size times the number of workers, never by the volume; level 0 is never read back.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
from em_assets.core.tomograms.statistics import (
    VolumeStatistics,
    combine_statistics,
    slab_statistics,
)

CHUNK_EDGE = 64
COMPRESSOR = numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE)
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
DOWNSAMPLE_DEPTH = 32
MAX_BLOCK_EDGE_FACTOR = 4

Region = tuple[slice, slice, slice]


@dataclass(frozen=True)
class PyramidWrite:
    """What `write_pyramid` wrote: the levels (path, voxel size) and the statistics of level 0."""

    levels: list[MultiscaleLevel]
    statistics: VolumeStatistics


def downsample_2x(block: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Mean over 2×2×2 blocks (odd trailing planes dropped), rounded back for integer dtypes.

    Parameters
    ----------
    block : numpy.ndarray
        A 3-D block (z, y, x).
    dtype : numpy.dtype
        The dtype of the result; integers are rounded to nearest (half to even).

    Returns
    -------
    numpy.ndarray
        The block at half the resolution along every axis.
    """
    z, y, x = (n // 2 * 2 for n in block.shape)
    cropped = block[:z, :y, :x].astype(np.float64)
    mean = cropped.reshape(z // 2, 2, y // 2, 2, x // 2, 2).mean(axis=(1, 3, 5))
    return np.rint(mean).astype(dtype) if np.issubdtype(dtype, np.integer) else mean.astype(dtype)


def level_shapes(shape: Sequence[int], n_levels: int) -> list[tuple[int, ...]]:
    """The shapes of the pyramid's levels: halved (rounded down) until `n_levels` or an empty axis.

    Parameters
    ----------
    shape : sequence of int
        The shape of level 0.
    n_levels : int
        The most levels wanted.

    Returns
    -------
    list of tuple of int
        The shape of each level, level 0 first.
    """
    shapes = [tuple(int(n) for n in shape)]
    while len(shapes) < n_levels and min(n // 2 for n in shapes[-1]) >= 1:
        shapes.append(tuple(n // 2 for n in shapes[-1]))
    return shapes


def _source_chunks(data: Any) -> tuple[int, ...] | None:
    chunks = getattr(data, "chunks", None)
    if isinstance(chunks, tuple) and len(chunks) == 3 and all(isinstance(c, int) for c in chunks):
        return chunks
    return None


def block_edges(shape: Sequence[int], n_levels: int, source_chunks: Sequence[int] | None) -> tuple[int, ...]:
    """The edges of the blocks one pass works on.

    Parameters
    ----------
    shape : sequence of int
        The volume's shape (z, y, x).
    n_levels : int
        How many levels the pyramid has.
    source_chunks : sequence of int or None
        The chunk shape of a chunked source (zarr), or None for an uncompressed one (MRC, NumPy).

    Returns
    -------
    tuple of int
        A multiple of ``CHUNK_EDGE * 2**(n_levels - 1)`` per axis (so that a block owns whole chunks of
        every level), widened to a whole source chunk where that chunk is a larger multiple of it (up to
        `MAX_BLOCK_EDGE_FACTOR` times), so that no source chunk is decoded twice.
    """
    base = CHUNK_EDGE * 2 ** (n_levels - 1)
    edges = []
    for axis in range(len(shape)):
        edge = base
        if source_chunks is not None:
            chunk = int(source_chunks[axis])
            if chunk % base == 0 and chunk // base <= MAX_BLOCK_EDGE_FACTOR:
                edge = chunk
        edges.append(edge)
    return tuple(edges)


def _regions(shape: Sequence[int], edges: Sequence[int]) -> Iterator[Region]:
    starts = [range(0, n, edge) for n, edge in zip(shape, edges)]
    for corner in product(*starts):
        yield tuple(slice(s, min(s + e, n)) for s, e, n in zip(corner, edges, shape))


class _MrcReader:
    """Blocks of a memory-mapped MRC read with `pread`, so that no mapped page stays resident.

    Each thread reads into its own buffers, reused from block to block (fresh memory costs page faults).
    """

    def __init__(self, data: np.memmap, edges: Sequence[int]) -> None:
        self.shape, self.dtype, self.offset = data.shape, data.dtype, int(data.offset)
        self.fd = os.open(data.filename, os.O_RDONLY)
        self.block_items, self.row_items = int(np.prod(edges)), edges[1] * self.shape[2]
        self.buffers = threading.local()

    def _buffer(self, name: str, items: int, shape: tuple[int, ...]) -> np.ndarray:
        if not hasattr(self.buffers, name):
            setattr(self.buffers, name, np.empty(items, dtype=self.dtype))
        return getattr(self.buffers, name)[: int(np.prod(shape))].reshape(shape)

    def _pread(self, target: np.ndarray, offset: int) -> None:
        view = memoryview(target.reshape(-1).view(np.uint8))
        while len(view):
            n = os.preadv(self.fd, [view], offset)
            if n == 0:
                raise OSError(f"unexpected end of file at byte {offset}")
            view, offset = view[n:], offset + n

    def read(self, region: Region) -> np.ndarray:
        (z0, z1, _), (y0, y1, _), (x0, x1, _) = (r.indices(n) for r, n in zip(region, self.shape))
        _, ny, nx = self.shape
        block = self._buffer("block", self.block_items, (z1 - z0, y1 - y0, x1 - x0))
        rows = block if (x0, x1) == (0, nx) else self._buffer("rows", self.row_items, (y1 - y0, nx))
        for z in range(z0, z1):
            target = block[z - z0] if rows is block else rows
            self._pread(target, self.offset + (z * ny + y0) * nx * self.dtype.itemsize)
            if rows is not block:
                block[z - z0] = rows[:, x0:x1]
        return block

    def close(self) -> None:
        os.close(self.fd)


class _ArrayReader:
    """Blocks of any array-like (NumPy, zarr) read by slicing."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def read(self, region: Region) -> np.ndarray:
        return np.asarray(self.data[region])

    def close(self) -> None:
        """Nothing to release."""


def _reader(data: Any, edges: Sequence[int]) -> _MrcReader | _ArrayReader:
    is_root_map = isinstance(data, np.memmap) and isinstance(data.base, mmap.mmap) and data.filename
    return _MrcReader(data, edges) if is_root_map and data.flags.c_contiguous else _ArrayReader(data)


def create_level(group: zarr.Group, path: str, shape: tuple[int, ...], dtype: np.dtype) -> zarr.Array:
    """Create one pyramid level: 64³ chunks, blosc-zstd, zarr v2 keys, fill 0.

    Parameters
    ----------
    group : zarr.Group
        The multiscale group.
    path : str
        The level's array name in `group`.
    shape : tuple of int
        The level's shape (chunks are clipped to it).
    dtype : numpy.dtype
        The voxel dtype.

    Returns
    -------
    zarr.Array
        The new, empty array.
    """
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


def _mean_2x_finite(block: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`downsample_2x` of a block without NaN or infinity, without converting the block to float64.

    NumPy's ``mean(axis=(1, 3, 5))`` adds, from 0, the sums of x-pairs in (z, y) order; this adds the
    same float64 terms in the same order, so the result is the same to the bit. The test suite checks
    it against a plain NumPy pyramid; non-finite blocks take `downsample_2x` (NaN signs depend on the
    order of operands inside NumPy's kernels).
    """
    z, y, x = (n // 2 * 2 for n in block.shape)
    cropped = block[:z, :y, :x]
    total = np.zeros((z // 2, y // 2, x // 2))
    for k, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
        total += np.add(cropped[k::2, j::2, 0::2], cropped[k::2, j::2, 1::2], dtype=np.float64)
    total /= 8
    return np.rint(total).astype(dtype) if np.issubdtype(dtype, np.integer) else total.astype(dtype)


def _halve(block: np.ndarray, dtype: np.dtype, finite: bool) -> np.ndarray:
    """`downsample_2x` of `block`; a non-finite one converted to float64 a few planes at a time."""
    if finite:
        return _mean_2x_finite(block, dtype)
    out = np.empty(tuple(n // 2 for n in block.shape), dtype=dtype)
    for z in range(0, out.shape[0] * 2, DOWNSAMPLE_DEPTH):
        part = block[z : min(z + DOWNSAMPLE_DEPTH, out.shape[0] * 2)]
        out[z // 2 : z // 2 + part.shape[0] // 2] = downsample_2x(part, dtype)
    return out


def _write_block(reader: Any, arrays: list[zarr.Array], region: Region) -> tuple[float, float, int]:
    block = reader.read(region)
    arrays[0][region] = block
    statistics = slab_statistics(block)
    finite = statistics[2] == 0
    for index, target in enumerate(arrays[1:], start=1):
        block = _halve(block, target.dtype, finite)
        if min(block.shape) == 0:
            break
        target[tuple(slice(r.start >> index, (r.start >> index) + n) for r, n in zip(region, block.shape))] = block
    return statistics


def write_pyramid(
    dest: Path,
    data: Any,
    voxel_size: tuple[float, float, float],
    name: str,
    n_levels: int = 3,
    metadata: dict[str, Any] | None = None,
) -> PyramidWrite:
    """Write `data` (z, y, x) and its 2× mean pyramid to `dest`, and measure it, in one pass.

    Parameters
    ----------
    dest : Path
        The zarr group to create (replaced if it exists).
    data : array-like
        A 3-D volume: a NumPy array, a memory-mapped MRC (read with `pread`) or a zarr array (read
        in blocks aligned to its chunks).
    voxel_size : tuple of float
        Level 0's voxel size (z, y, x) in ångström; level `k` has it times ``2**k``.
    name : str
        The multiscale's name (and the subject of errors).
    n_levels : int
        At most this many levels (fewer if an axis would become empty).
    metadata : dict, optional
        The multiscale's `metadata` attribute.

    Returns
    -------
    PyramidWrite
        The levels written and the statistics of level 0.

    Raises
    ------
    InputError
        If `data` is not 3-D.
    """
    if len(data.shape) != 3:
        raise InputError(name, f"is not a 3-D volume (shape {tuple(data.shape)})")
    dtype = np.dtype(data.dtype)
    shapes = level_shapes(data.shape, n_levels)
    group = zarr.open_group(str(dest), mode="w", zarr_format=2)
    arrays = [create_level(group, str(index), shape, dtype) for index, shape in enumerate(shapes)]
    edges = block_edges(shapes[0], len(shapes), _source_chunks(data))
    reader = _reader(data, edges)
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            parts = list(pool.map(lambda region: _write_block(reader, arrays, region), _regions(shapes[0], edges)))
    finally:
        reader.close()
    voxel = tuple(float(v) for v in voxel_size)
    levels = [MultiscaleLevel(str(index), tuple(v * 2**index for v in voxel)) for index in range(len(shapes))]
    group.attrs["multiscales"] = build_multiscales(name, levels, metadata)
    return PyramidWrite(levels, combine_statistics(shapes[0], parts))
