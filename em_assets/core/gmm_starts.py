"""Histogram bins as weighted points, and deterministic starting mixtures for EM on them."""

from __future__ import annotations

import math

import numpy as np

from em_assets.core.dyadic_histogram import DyadicHistogram

REG_COVAR = 1e-6
ROBUST_BINS = 512
RANDOM_STARTS = 4
KMEANS_ITERATIONS = 30

Starts = tuple[np.ndarray, np.ndarray, np.ndarray]


class BinnedData:
    """The occupied bins of a histogram, coarsened so its 0.1-99.9% range spans about ROBUST_BINS bins.

    Values are stored relative to `offset` (the histogram mean) to keep EM well conditioned.
    """

    def __init__(self, histogram: DyadicHistogram):
        robust = histogram.quantile(0.999) - histogram.quantile(0.001)
        spread = robust if robust > 0 else histogram.maximum - histogram.minimum
        exponent = max(histogram.exponent, math.floor(math.log2(spread / ROBUST_BINS)))
        coarse = histogram.coarsened(exponent)
        occupied = coarse.counts > 0
        self.offset = histogram.mean()
        self.values = coarse.values[occupied] - self.offset
        self.counts = coarse.counts[occupied].astype(np.float64)
        self.total = float(self.counts.sum())
        quantum = 1.0 if coarse.integer_valued else 0.0
        self.variance_floor = (coarse.width**2 - quantum**2) / 12 + REG_COVAR
        self.cumulative = np.cumsum(self.counts) / self.total - self.counts / (2 * self.total)

    def segment_starts(self, boundaries: list[float]) -> Starts | None:
        """One component per run of bins between cumulative-weight `boundaries`; None if one is empty."""
        label = np.searchsorted(np.asarray(boundaries[1:-1]), self.cumulative, side="right")
        return self.labelled_starts(label, len(boundaries) - 1)

    def labelled_starts(self, label: np.ndarray, n: int) -> Starts | None:
        """Weight, mean and variance of the bins carrying each label 0..n-1; None if a label is unused."""
        weights = np.bincount(label, weights=self.counts, minlength=n)
        if np.any(weights <= 0):
            return None
        means = np.bincount(label, weights=self.counts * self.values, minlength=n) / weights
        squares = np.bincount(label, weights=self.counts * (self.values - means[label]) ** 2, minlength=n)
        return weights / self.total, means, squares / weights + self.variance_floor

    def nearest_starts(self, centres: np.ndarray) -> Starts | None:
        """Segments of the bins nearest each of `centres`."""
        label = np.argmin(np.abs(self.values[:, None] - np.sort(centres)[None, :]), axis=1)
        return self.labelled_starts(label, centres.size)


def _kmeans_centres(data: BinnedData, centres: np.ndarray) -> np.ndarray:
    """Weighted Lloyd iterations in one dimension from `centres`."""
    for _ in range(KMEANS_ITERATIONS):
        label = np.argmin(np.abs(data.values[:, None] - centres[None, :]), axis=1)
        weights = np.bincount(label, weights=data.counts, minlength=centres.size)
        sums = np.bincount(label, weights=data.counts * data.values, minlength=centres.size)
        centres = np.where(weights > 0, sums / np.where(weights > 0, weights, 1), centres)
    return centres


def _plus_plus_centres(data: BinnedData, n: int, seed: int) -> np.ndarray:
    """k-means++ seeding on the weighted bins with a fixed seed."""
    rng = np.random.default_rng(seed)
    centres = [data.values[rng.choice(data.values.size, p=data.counts / data.total)]]
    for _ in range(n - 1):
        distance = np.min((data.values[:, None] - np.array(centres)[None, :]) ** 2, axis=1) * data.counts
        if not distance.sum() > 0:
            break
        centres.append(data.values[rng.choice(data.values.size, p=distance / distance.sum())])
    return np.array(centres)


def initial_mixtures(data: BinnedData, n: int) -> list[Starts]:
    """Deterministic starts for n components: quantile runs, k-means, core and tails, nested widths."""
    candidates = [data.segment_starts([i / n for i in range(n + 1)])]
    middles = np.searchsorted(data.cumulative, [(i + 0.5) / n for i in range(n)]).clip(0, data.values.size - 1)
    candidates.append(data.nearest_starts(_kmeans_centres(data, data.values[middles])))
    if n == 2:
        candidates += [data.segment_starts([0.0, 0.1, 1.0]), data.segment_starts([0.0, 0.9, 1.0])]
    if n == 3:
        candidates += [data.segment_starts([0.0, 0.1, 0.9, 1.0]), data.segment_starts([0.0, 0.02, 0.98, 1.0])]
    for seed in range(RANDOM_STARTS):
        centres = _plus_plus_centres(data, n, seed)
        if centres.size == n:
            candidates.append(data.nearest_starts(_kmeans_centres(data, centres)))
    whole = data.segment_starts([0.0, 1.0])
    if whole is not None and n > 1:
        candidates.append((np.full(n, 1.0 / n), np.full(n, whole[1][0]), whole[2][0] * np.geomspace(0.25, 4.0, n)))
    return [c for c in candidates if c is not None]
