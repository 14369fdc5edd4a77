"""The percentile method: limits at a low and a high percentile of the slab's voxels (default 0.5, 99.5).

`exact` is np.percentile of the seeded sample (linear interpolation between order statistics), as the
reference library's percentile calculator does; `fast` reads the same order statistics off the slab's
fine histogram, with the extreme voxels outside its grid counted at their end of the order.
"""

from __future__ import annotations

import math

import numpy as np

from em_assets.core.contrast.histogram import DyadicHistogram

DEFAULT_PERCENTILES = (0.5, 99.5)


def check_percentiles(percentiles: tuple[float, float]) -> tuple[float, float]:
    """`percentiles` as floats when 0 <= low < high <= 100.

    Parameters
    ----------
    percentiles : tuple of float
        The low and high percentile, in percent.

    Returns
    -------
    tuple of float
        The same pair.

    Raises
    ------
    ValueError
        When the pair is not ordered inside [0, 100].
    """
    low, high = (float(p) for p in percentiles)
    if not 0 <= low < high <= 100:
        raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, not {percentiles!r}")
    return low, high


def exact_percentile_limits(samples: np.ndarray, percentiles: tuple[float, float] = DEFAULT_PERCENTILES) -> tuple[float, float]:
    """The reference: np.percentile of the sample at the low and high percentile.

    Parameters
    ----------
    samples : numpy.ndarray
        The finite sampled voxel values.
    percentiles : tuple of float
        The low and high percentile, in percent.

    Returns
    -------
    tuple of float
        The two limits.
    """
    low, high = np.percentile(samples, check_percentiles(percentiles))
    return float(low), float(high)


def order_statistic(histogram: DyadicHistogram, rank: int) -> float:
    """The value of rank `rank` (0 first) among every finite value the histogram describes.

    Values in a bin are taken as spread evenly over it (integer bins hold their integers, so unit
    bins give exact order statistics); ranks among the extreme values outside the grid give the
    grid's minimum or maximum.

    Parameters
    ----------
    histogram : DyadicHistogram
        The slab's fine histogram, with its counts of extreme values below and above the grid.
    rank : int
        The 0-based rank among all values, those below the grid counted first.

    Returns
    -------
    float
        The value of that rank, clamped to the grid's [minimum, maximum].
    """
    inside = rank - histogram.below
    if inside < 0:
        return histogram.minimum
    if inside >= histogram.total:
        return histogram.maximum
    cumulative = np.cumsum(histogram.counts)
    k = int(np.searchsorted(cumulative, inside, side="right"))
    before = int(cumulative[k - 1]) if k else 0
    position = (inside - before + 0.5) / int(histogram.counts[k]) * histogram.width
    if histogram.integer_valued:
        position = math.floor(position)
    value = math.ldexp(histogram.first + k, histogram.exponent) + position
    return float(min(max(value, histogram.minimum), histogram.maximum))


def fast_percentile_limits(
    histogram: DyadicHistogram, percentiles: tuple[float, float] = DEFAULT_PERCENTILES
) -> tuple[float, float]:
    """Percentile limits from the fine histogram of every finite slab voxel, as np.percentile would.

    Parameters
    ----------
    histogram : DyadicHistogram
        The slab's robust fine histogram.
    percentiles : tuple of float
        The low and high percentile, in percent.

    Returns
    -------
    tuple of float
        The two limits, interpolated linearly between order statistics.
    """
    count = histogram.total + histogram.n_outliers
    limits = []
    for percent in check_percentiles(percentiles):
        position = (count - 1) * percent / 100
        below = math.floor(position)
        low = order_statistic(histogram, below)
        high = order_statistic(histogram, min(below + 1, count - 1))
        limits.append(low + (position - below) * (high - low))
    return limits[0], limits[1]
