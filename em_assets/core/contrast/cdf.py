"""The CDF-gradient method: limits where the gradient of the 512-bin CDF rises and falls."""

from __future__ import annotations

import math

import numpy as np

from em_assets.core.contrast.histogram import DyadicHistogram

CDF_BINS = 512
GRADIENT_THRESHOLD = 0.3
THRESHOLD_FLOOR = 0.01


def cdf_limits_from_histogram(counts: np.ndarray, edges: np.ndarray, minimum: float, maximum: float) -> tuple[float, float]:
    """Limits from a histogram over [minimum, maximum], by the rules of the CDF-gradient method.

    Parameters
    ----------
    counts : numpy.ndarray
        The counts of each bin (at least one non-zero).
    edges : numpy.ndarray
        The bin edges, one more than `counts`.
    minimum, maximum : float
        The range of the values; the limits are clamped into it.

    Returns
    -------
    tuple of float
        The lower limit (where the CDF's gradient first rises above its start threshold) and the upper
        limit (where, after the peak, it falls below its end threshold; the last edge if it never does).
    """
    cdf = np.cumsum(counts) / np.sum(counts)
    gradient = np.gradient(cdf)
    peak_index = int(np.argmax(gradient))
    peak = gradient[peak_index]
    rising = int(np.flatnonzero(gradient > GRADIENT_THRESHOLD * peak)[0])
    start = np.mean(gradient[:rising]) / peak if rising else math.nan
    flattening = np.flatnonzero(gradient[rising:] < GRADIENT_THRESHOLD * peak)
    end = np.median(gradient[rising + flattening[0] :]) / peak if flattening.size else math.nan
    start, end = max(THRESHOLD_FLOOR, start), max(THRESHOLD_FLOOR, end)
    lower = int(np.flatnonzero(gradient > start * peak)[0])
    falling = np.flatnonzero(gradient[peak_index:] < end * peak)
    upper = peak_index + int(falling[0]) if falling.size else edges.size - 1
    return float(max(edges[lower], minimum)), float(min(edges[upper], maximum))


def exact_cdf_limits(samples: np.ndarray) -> tuple[float, float]:
    """The reference: a 512-bin histogram of the samples over their own [min, max].

    Parameters
    ----------
    samples : numpy.ndarray
        The sampled finite voxel values.

    Returns
    -------
    tuple of float
        The lower and upper CDF-gradient limits.
    """
    minimum, maximum = np.min(samples), np.max(samples)
    counts, edges = np.histogram(samples, bins=CDF_BINS, range=[minimum, maximum])
    return cdf_limits_from_histogram(counts, edges, minimum, maximum)


def cdf_edges(minimum: float, maximum: float, dtype: np.dtype) -> np.ndarray:
    """The 513 edges np.histogram would use over [minimum, maximum] for samples of `dtype`.

    Parameters
    ----------
    minimum, maximum : float
        The range of the values.
    dtype : numpy.dtype
        The dtype of the samples; float32 samples get float32 edges, any other float64 edges.

    Returns
    -------
    numpy.ndarray
        ``CDF_BINS + 1`` evenly spaced edges from `minimum` to `maximum`.
    """
    edge_type = np.float32 if dtype == np.float32 else np.float64
    return np.linspace(edge_type(minimum), edge_type(maximum), CDF_BINS + 1, endpoint=True, dtype=edge_type)


def rebinned_counts(histogram: DyadicHistogram, edges: np.ndarray) -> np.ndarray:
    """The fine histogram's counts on coarser `edges` spanning [minimum, maximum], splitting bins evenly.

    Each fine bin's values are spread uniformly over its part of [minimum, maximum]; integer-valued
    bins hold their integers, so with unit bins the result equals np.histogram of the values.

    Parameters
    ----------
    histogram : DyadicHistogram
        The fine histogram of the slab.
    edges : numpy.ndarray
        The coarse bin edges, from the histogram's minimum to its maximum.

    Returns
    -------
    numpy.ndarray
        The (fractional) count in each coarse bin, one fewer than `edges`; they sum to the histogram's
        total.
    """
    fine = histogram.edges
    quantum = 1.0 if histogram.integer_valued else 0.0
    low = np.maximum(fine[:-1], histogram.minimum)
    high = np.minimum(fine[1:] - quantum, histogram.maximum)
    points = np.asarray(edges, dtype=np.float64)
    j = np.clip(np.searchsorted(fine, points, side="right") - 1, 0, histogram.counts.size - 1)
    spread = high[j] - low[j]
    if histogram.integer_valued:
        fraction = (np.ceil(points) - low[j]) / (spread + 1)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(spread > 0, (points - low[j]) / np.where(spread > 0, spread, 1), points > low[j])
    below = np.concatenate([[0], np.cumsum(histogram.counts)])
    cumulative = below[j] + histogram.counts[j] * np.clip(fraction, 0.0, 1.0)
    cumulative[0], cumulative[-1] = 0.0, float(below[-1])
    return np.diff(cumulative)


def fast_cdf_limits(histogram: DyadicHistogram, dtype: np.dtype) -> tuple[float, float]:
    """The CDF-gradient method on the fine histogram of every finite slab voxel.

    Parameters
    ----------
    histogram : DyadicHistogram
        The slab's fine histogram.
    dtype : numpy.dtype
        The volume's dtype (chooses the precision of the 512-bin edges, as the reference would).

    Returns
    -------
    tuple of float
        The lower and upper CDF-gradient limits.
    """
    edges = cdf_edges(histogram.minimum, histogram.maximum, dtype)
    counts = rebinned_counts(histogram, edges)
    return cdf_limits_from_histogram(counts, edges, histogram.minimum, histogram.maximum)
