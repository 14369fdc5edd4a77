"""Robust bounds for the fine histograms: extreme voxels are counted beside the grid, never on it.

Each tile's histogram spans only the tile's fences (the 1st and 99th percentiles of a strided probe,
widened by FENCE_REACH times their distance on each side); values outside are kept exactly. When the
slab is complete, `settle` draws the slab's fences from its histogram the same way: kept values inside
them join the grid, the rest are counted in `below` and `above`. A hot pixel, a fill value or a voxel
at ±3.4e38 therefore never stretches the grid of a slab.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from em_assets.core.contrast.histogram import DyadicHistogram, histogram_of, merged

FENCE_PERCENTILES = (1.0, 99.0)
FENCE_REACH = 4.0
PROBE_VALUES = 1 << 14
NO_OUTLIERS = np.empty(0, dtype=np.float64)


def fences(low: float, high: float) -> tuple[float, float]:
    """The bounds FENCE_REACH times (high - low) beyond `low` and `high`; unbounded if they are equal.

    Parameters
    ----------
    low, high : float
        The low and high percentile of the values.

    Returns
    -------
    tuple of float
        The lower and upper fence; (-inf, inf) unless ``high > low``.
    """
    if not high > low:
        return -math.inf, math.inf
    reach = FENCE_REACH * (high - low)
    return low - reach, high + reach


def split_outliers(values: np.ndarray, integer_valued: bool) -> tuple[DyadicHistogram | None, np.ndarray]:
    """The histogram of one tile's finite `values` inside the tile's fences, and the values outside.

    Parameters
    ----------
    values : numpy.ndarray
        The tile's finite values, of any shape.
    integer_valued : bool
        Whether the values are integers.

    Returns
    -------
    tuple
        The histogram of the values inside the fences (None for no values) and the values outside
        them as float64 (empty when there are none).
    """
    flat = values.reshape(-1)
    if flat.size == 0:
        return None, NO_OUTLIERS
    probe = flat[:: max(1, flat.size // PROBE_VALUES)]
    low, high = fences(*np.percentile(probe, FENCE_PERCENTILES))
    inside = (flat >= low) & (flat <= high)
    if inside.all():
        return histogram_of(flat, integer_valued), NO_OUTLIERS
    return histogram_of(flat[inside], integer_valued), flat[~inside].astype(np.float64)


def settle(histogram: DyadicHistogram | None, outliers: list[np.ndarray]) -> DyadicHistogram | None:
    """The slab's histogram on its own fences, with the values outside them in `below` and `above`.

    Parameters
    ----------
    histogram : DyadicHistogram or None
        The merged histogram of the slab's tiles (None: no value fell inside any tile's fences).
    outliers : list of numpy.ndarray
        The values each tile kept outside its fences.

    Returns
    -------
    DyadicHistogram or None
        The histogram trimmed to the slab's fences, with the outliers inside them added, the count
        outside them in `below` and `above` and the full data range in `lowest` and `highest`; None
        when there are no values at all.
    """
    extreme = np.concatenate([NO_OUTLIERS, *outliers])
    if histogram is None:
        if extreme.size == 0:
            return None
        histogram = histogram_of(extreme, integer_valued=False)
        extreme = NO_OUTLIERS
    low, high = fences(histogram.quantile(FENCE_PERCENTILES[0] / 100), histogram.quantile(FENCE_PERCENTILES[1] / 100))
    kept = extreme[(extreme >= low) & (extreme <= high)]
    lowest = float(min(histogram.minimum, extreme.min(initial=math.inf)))
    highest = float(max(histogram.maximum, extreme.max(initial=-math.inf)))
    histogram = merged(histogram, histogram_of(kept, histogram.integer_valued))
    histogram = _trimmed(histogram, low, high)
    below = int(np.count_nonzero(extreme < low)) + histogram.below
    above = int(np.count_nonzero(extreme > high)) + histogram.above
    return replace(histogram, below=below, above=above, lowest=lowest, highest=highest)


def _trimmed(histogram: DyadicHistogram, low: float, high: float) -> DyadicHistogram:
    """`histogram` without the bins lying wholly outside [low, high], which `below`/`above` count."""
    edges = histogram.edges
    keep = (edges[1:] > low) & (edges[:-1] <= high) & (histogram.counts > 0)
    if keep.all() or not keep.any():
        return histogram
    first, last = np.flatnonzero(keep)[[0, -1]]
    counts = histogram.counts
    return replace(
        histogram,
        counts=counts[first : last + 1].copy(),
        first=histogram.first + int(first),
        minimum=max(histogram.minimum, float(edges[first])),
        maximum=min(histogram.maximum, float(edges[last + 1] - (1 if histogram.integer_valued else 0))),
        below=histogram.below + int(counts[:first].sum()),
        above=histogram.above + int(counts[last + 1 :].sum()),
    )
