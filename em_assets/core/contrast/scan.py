"""One streaming pass over z-slabs of a volume, tile by tile on two threads: histograms and samples."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from em_assets.core.contrast.histogram import DyadicHistogram, merged
from em_assets.core.contrast.robust import settle, split_outliers
from em_assets.core.contrast.tiles import Box, boxes, read_box, tile_cuts
from em_assets.core.parallel import OrderedMap, thread_map

WORKERS = 2


@dataclass(frozen=True)
class SlabTarget:
    """A z-slab to summarise and which of its voxels to sample (flat slab indices, None for all)."""

    z_bounds: tuple[int, int]
    sample_indices: np.ndarray | None
    collect_samples: bool = True


@dataclass(frozen=True)
class SlabScan:
    """What one pass learnt about one slab: voxel counts, robust finite histogram and the sampled values."""

    z_bounds: tuple[int, int]
    n_voxels: int
    n_nonfinite: int
    histogram: DyadicHistogram | None
    samples: np.ndarray | None


def sample_dtype(dtype: np.dtype) -> np.dtype:
    """float32 when it holds every value of `dtype` exactly, else float64.

    Parameters
    ----------
    dtype : numpy.dtype
        The volume's dtype.

    Returns
    -------
    numpy.dtype
        The dtype sampled values are kept in.
    """
    return np.dtype(np.float32) if np.can_cast(dtype, np.float32, casting="safe") else np.dtype(np.float64)


@dataclass
class _Partial:
    """One tile's contribution: voxel counts, histogram, outliers and, per target, (positions, values)."""

    n_voxels: int
    n_nonfinite: int
    histogram: DyadicHistogram | None
    outliers: np.ndarray
    samples: dict[int, tuple[np.ndarray | None, np.ndarray]]


class _SampleRouter:
    """Which sample positions fall in which tile, for one target's sample indices."""

    def __init__(self, target: SlabTarget, cuts: tuple[list[int], list[int], list[int]], plane: tuple[int, int]):
        self.indices = target.sample_indices
        self.ny, self.nx = plane
        self.z0 = target.z_bounds[0]
        self.grid = tuple(len(axis) - 1 for axis in cuts)
        if self.indices is None:
            return
        z, rest = np.divmod(self.indices, self.ny * self.nx)
        y, x = np.divmod(rest, self.nx)
        tiles = [
            np.searchsorted(axis, coord + offset, side="right") - 1
            for axis, coord, offset in zip(cuts, (z, y, x), (self.z0, 0, 0), strict=True)
        ]
        tile_id = np.ravel_multi_index(tiles, self.grid)
        self.order = np.argsort(tile_id, kind="stable")
        self.sorted_ids = tile_id[self.order]

    def positions(self, tile_index: tuple[int, int, int]) -> np.ndarray:
        """Sample positions (indices into the sample) that lie in the tile at `tile_index`."""
        tile_id = np.ravel_multi_index(tile_index, self.grid)
        lo, hi = np.searchsorted(self.sorted_ids, [tile_id, tile_id + 1])
        return self.order[lo:hi]

    def gather(self, block: np.ndarray, box: Box, positions: np.ndarray) -> np.ndarray:
        """The values at `positions` out of `block`, which holds `box`."""
        z, rest = np.divmod(self.indices[positions], self.ny * self.nx)
        y, x = np.divmod(rest, self.nx)
        return block[z + self.z0 - box[0][0], y - box[1][0], x - box[2][0]]


def _partial(block: np.ndarray, integer_valued: bool) -> tuple[int, DyadicHistogram | None, np.ndarray]:
    if integer_valued:
        return 0, *split_outliers(block, True)
    finite = np.isfinite(block)
    n_finite = int(np.count_nonzero(finite))
    values = block if n_finite == block.size else block[finite]
    return block.size - n_finite, *split_outliers(values, False)


def scan_slabs(
    data: Any, targets: list[SlabTarget], dtype: np.dtype, map_tiles: OrderedMap | None = None
) -> list[SlabScan]:
    """Summarise every target slab of `data` in one pass over the union of the slabs.

    The tiles are read and summarised through `map_tiles` (two local threads by default, or
    `em_assets.core.parallel.dask_map` for a Dask cluster, whose workers must reach `data`); their
    partial summaries are merged here in tile order whichever map ran them, so results are identical.

    Parameters
    ----------
    data : array-like
        A 3-D NumPy, Dask or zarr array, (z, y, x).
    targets : list of SlabTarget
        The slabs to summarise, with their sample indices.
    dtype : numpy.dtype
        The dtype of `data` (integer or floating).
    map_tiles : OrderedMap, optional
        How tiles are mapped; results come back in tile order.

    Returns
    -------
    list of SlabScan
        One scan per target, in the order of `targets`, its histogram settled on the slab's fences.
    """
    ny, nx = (int(n) for n in data.shape[1:])
    marks = sorted({z for target in targets for z in target.z_bounds})
    cuts = tile_cuts(data, (marks[0], marks[-1]), marks)
    tiles = [(index, box) for index, box in _indexed_boxes(cuts) if any(_inside(box, t) for t in targets)]
    routers = [_SampleRouter(t, cuts, (ny, nx)) if t.collect_samples else None for t in targets]
    integer_valued = dtype.kind in "iu"
    out_dtype = sample_dtype(dtype)

    def work(item: tuple[tuple[int, int, int], Box]) -> tuple[Box, _Partial]:
        index, box = item
        block = read_box(data, box)
        n_nonfinite, histogram, outliers = _partial(block, integer_valued)
        samples = {}
        for t, (target, router) in enumerate(zip(targets, routers, strict=True)):
            if router is None or not _inside(box, target):
                continue
            if router.indices is None:
                samples[t] = (None, block)
            else:
                positions = router.positions(index)
                samples[t] = (positions, router.gather(block, box, positions))
        return box, _Partial(block.size, n_nonfinite, histogram, outliers, samples)

    results = [_Accumulator(t, r, (ny, nx), out_dtype) for t, r in zip(targets, routers, strict=True)]
    for box, part in (map_tiles or thread_map(WORKERS))(work, tiles):
        for t, acc in enumerate(results):
            if _inside(box, acc.target):
                acc.add(box, part, part.samples.get(t))
    return [acc.scan() for acc in results]


def _inside(box: Box, target: SlabTarget) -> bool:
    return target.z_bounds[0] <= box[0][0] and box[0][1] <= target.z_bounds[1]


def _indexed_boxes(cuts: tuple[list[int], list[int], list[int]]) -> Iterator[tuple[tuple[int, int, int], Box]]:
    shape = tuple(len(axis) - 1 for axis in cuts)
    for flat, box in enumerate(boxes(cuts)):
        index = np.unravel_index(flat, shape)
        yield (int(index[0]), int(index[1]), int(index[2])), box


class _Accumulator:
    """The running summary of one target slab."""

    def __init__(self, target: SlabTarget, router: _SampleRouter | None, plane: tuple[int, int], dtype: np.dtype):
        self.target, self.router, self.plane = target, router, plane
        self.n_voxels = self.n_nonfinite = 0
        self.histogram: DyadicHistogram | None = None
        self.outliers: list[np.ndarray] = []
        self.samples: np.ndarray | None = None
        if router is not None:
            depth = target.z_bounds[1] - target.z_bounds[0]
            size = depth * plane[0] * plane[1] if router.indices is None else router.indices.size
            self.samples = np.empty(size, dtype=dtype)

    def add(self, box: Box, part: _Partial, entry: tuple[np.ndarray | None, np.ndarray] | None) -> None:
        """Fold one tile's partial summary in, and its sampled values (`entry`: positions, values)."""
        self.n_voxels += part.n_voxels
        self.n_nonfinite += part.n_nonfinite
        self.histogram = merged(self.histogram, part.histogram)
        if part.outliers.size:
            self.outliers.append(part.outliers)
        if entry is None or self.samples is None:
            return
        positions, values = entry
        if positions is None:
            z0 = self.target.z_bounds[0]
            volume = self.samples.reshape(self.target.z_bounds[1] - z0, *self.plane)
            volume[box[0][0] - z0 : box[0][1] - z0, box[1][0] : box[1][1], box[2][0] : box[2][1]] = values
        else:
            self.samples[positions] = values

    def scan(self) -> SlabScan:
        """The finished summary, its histogram settled on the slab's robust bounds."""
        histogram = settle(self.histogram, self.outliers)
        return SlabScan(self.target.z_bounds, self.n_voxels, self.n_nonfinite, histogram, self.samples)
