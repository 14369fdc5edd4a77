"""Streaming statistics of a volume: range and non-finite count, one block at a time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

SLAB_DEPTH = 64

SlabStatistics = tuple[float, float, int]


@dataclass(frozen=True)
class VolumeStatistics:
    """Finite minimum and maximum, and how many voxels are NaN or infinite."""

    shape: tuple[int, ...]
    minimum: float
    maximum: float
    n_nonfinite: int

    @property
    def n_voxels(self) -> int:
        """Number of voxels."""
        return int(np.prod(self.shape))

    @property
    def n_finite(self) -> int:
        """Number of finite voxels."""
        return self.n_voxels - self.n_nonfinite


def slab_statistics(slab: np.ndarray) -> SlabStatistics:
    """The finite minimum and maximum of a block (inf and -inf if none) and its number of NaN/inf voxels.

    Parameters
    ----------
    slab : numpy.ndarray
        A non-empty block of the volume.

    Returns
    -------
    SlabStatistics
        (minimum, maximum, n_nonfinite); (inf, -inf, size) when no voxel is finite.
    """
    minimum, maximum = slab.min(), slab.max()
    if not np.issubdtype(slab.dtype, np.floating) or (np.isfinite(minimum) and np.isfinite(maximum)):
        return float(minimum), float(maximum), 0
    finite = np.isfinite(slab)
    n_bad = int(slab.size - np.count_nonzero(finite))
    if n_bad == slab.size:
        return np.inf, -np.inf, n_bad
    values = slab[finite] if n_bad else slab
    return float(values.min()), float(values.max()), n_bad


def combine_statistics(shape: Sequence[int], parts: Iterable[SlabStatistics]) -> VolumeStatistics:
    """The statistics of a volume of `shape` from those of blocks that tile it (`slab_statistics`).

    Parameters
    ----------
    shape : sequence of int
        The volume's shape.
    parts : iterable of SlabStatistics
        The statistics of each block (at least one).

    Returns
    -------
    VolumeStatistics
        The overall minimum, maximum and count of non-finite voxels.
    """
    parts = list(parts)
    return VolumeStatistics(
        shape=tuple(int(n) for n in shape),
        minimum=min(p[0] for p in parts),
        maximum=max(p[1] for p in parts),
        n_nonfinite=sum(p[2] for p in parts),
    )


def volume_statistics(data: Any) -> VolumeStatistics:
    """Statistics of a 3-D array (NumPy, memmap, zarr), read in z-slabs on two threads.

    Parameters
    ----------
    data : array-like
        The volume, (z, y, x), at least one slice.

    Returns
    -------
    VolumeStatistics
        Its shape, finite minimum and maximum, and count of NaN or infinite voxels.
    """
    depth = data.shape[0]
    bounds = [(z, min(z + SLAB_DEPTH, depth)) for z in range(0, depth, SLAB_DEPTH)]
    with ThreadPoolExecutor(2) as pool:
        parts = pool.map(lambda b: slab_statistics(np.asarray(data[b[0] : b[1]])), bounds)
        return combine_statistics(data.shape, parts)
