"""Gaussian mixtures fitted by EM on weighted histogram bins, from several deterministic starts."""

from __future__ import annotations

import math

import numpy as np

from em_assets.core.dyadic_histogram import DyadicHistogram
from em_assets.core.gmm_limits import MAX_COMPONENTS, Mixture

REG_COVAR = 1e-6
ROBUST_BINS = 512
WARMUP_ITERATIONS = 30
KEPT_STARTS = 3
MAX_ITERATIONS = 500
TOLERANCE = 1e-10
RANDOM_STARTS = 4
EPS = 10 * np.finfo(np.float64).eps

Starts = tuple[np.ndarray, np.ndarray, np.ndarray]


class BinnedData:
    """Histogram bins as weighted points: representative values, counts and the within-bin variance."""

    def __init__(self, histogram: DyadicHistogram):
        robust = histogram.quantile(0.999) - histogram.quantile(0.001)
        spread = robust if robust > 0 else histogram.maximum - histogram.minimum
        exponent = max(histogram.exponent, math.floor(math.log2(spread / ROBUST_BINS)))
        coarse = histogram.coarsened(exponent)
        occupied = coarse.counts > 0
        self.values = coarse.values[occupied]
        self.counts = coarse.counts[occupied].astype(np.float64)
        self.total = float(self.counts.sum())
        quantum = 1.0 if coarse.integer_valued else 0.0
        self.bin_variance = (coarse.width**2 - quantum**2) / 12
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
        return weights / self.total, means, squares / weights + self.bin_variance + REG_COVAR

    def nearest_starts(self, centres: np.ndarray) -> Starts | None:
        """Segments of the bins nearest each of `centres`."""
        label = np.argmin(np.abs(self.values[:, None] - np.sort(centres)[None, :]), axis=1)
        return self.labelled_starts(label, centres.size)


def _kmeans_centres(data: BinnedData, centres: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Weighted Lloyd iterations in one dimension from `centres`."""
    for _ in range(iterations):
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
        centres.append(data.values[rng.choice(data.values.size, p=distance / distance.sum())])
    return np.array(centres)


def initial_mixtures(data: BinnedData, n: int) -> list[Starts]:
    """Deterministic starting points for n components: quantile, k-means, core-and-tails and nested."""
    quantiles = [i / n for i in range(n + 1)]
    candidates = [data.segment_starts(quantiles)]
    middle = data.values[np.searchsorted(data.cumulative, [(i + 0.5) / n for i in range(n)]).clip(0, data.values.size - 1)]
    candidates.append(data.nearest_starts(_kmeans_centres(data, middle.astype(np.float64))))
    if n == 2:
        candidates += [data.segment_starts([0.0, 0.1, 1.0]), data.segment_starts([0.0, 0.9, 1.0])]
    if n == 3:
        candidates += [data.segment_starts([0.0, 0.1, 0.9, 1.0]), data.segment_starts([0.0, 0.02, 0.98, 1.0])]
    candidates += [data.nearest_starts(_kmeans_centres(data, _plus_plus_centres(data, n, s))) for s in range(RANDOM_STARTS)]
    whole = data.segment_starts([0.0, 1.0])
    if whole is not None and n > 1:
        scale = np.geomspace(0.25, 4.0, n)
        candidates.append((np.full(n, 1.0 / n), np.full(n, whole[1][0]), whole[2][0] * scale))
    return [c for c in candidates if c is not None]


def _e_step(data: BinnedData, weights: np.ndarray, means: np.ndarray, variances: np.ndarray):
    """Responsibilities (S, B, n) and the total log-likelihood of each start (S,)."""
    distance = data.values[None, :, None] - means[:, None, :]
    log_density = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances))[:, None, :] - 0.5 * distance**2 / variances[:, None, :]
    top = log_density.max(axis=2, keepdims=True)
    log_total = top + np.log(np.exp(log_density - top).sum(axis=2, keepdims=True))
    return np.exp(log_density - log_total), (data.counts * log_total[:, :, 0]).sum(axis=1)


def _m_step(data: BinnedData, responsibilities: np.ndarray) -> Starts:
    weighted = responsibilities * data.counts[None, :, None]
    nk = weighted.sum(axis=1) + EPS
    means = np.einsum("sbn,b->sn", weighted, data.values) / nk
    spread = np.einsum("sbn,sbn->sn", weighted, (data.values[None, :, None] - means[:, None, :]) ** 2) / nk
    return nk / nk.sum(axis=1, keepdims=True), means, spread + data.bin_variance + REG_COVAR


def run_em(data: BinnedData, starts: Starts, max_iterations: int) -> tuple[Starts, np.ndarray]:
    """EM from each start in `starts` ((S, n) arrays) until the mean log-likelihood stops moving."""
    params = starts
    previous = np.full(params[0].shape[0], -np.inf)
    for _ in range(max_iterations):
        responsibilities, log_likelihood = _e_step(data, *params)
        params = _m_step(data, responsibilities)
        if np.all(np.abs(log_likelihood - previous) / data.total < TOLERANCE):
            break
        previous = log_likelihood
    return params, _e_step(data, *params)[1]


def fit_mixture(data: BinnedData, n: int) -> tuple[Mixture, float] | None:
    """The best n-component mixture over every start and its total log-likelihood (None: no start)."""
    starts = initial_mixtures(data, n)
    if not starts:
        return None
    stacked = tuple(np.array([start[i] for start in starts]) for i in range(3))
    params, log_likelihood = run_em(data, stacked, WARMUP_ITERATIONS)
    keep = np.argsort(-log_likelihood, kind="stable")[:KEPT_STARTS]
    params, log_likelihood = run_em(data, tuple(p[keep] for p in params), MAX_ITERATIONS)
    best = int(np.argmax(log_likelihood))
    return Mixture(params[0][best], params[1][best], params[2][best]), float(log_likelihood[best])


def fast_gmm_fit(histogram: DyadicHistogram, sample_size: float) -> Mixture:
    """The lowest-BIC mixture of 1-3 components, BIC taken as for `sample_size` sampled values."""
    data = BinnedData(histogram)
    candidates = []
    for n in range(1, MAX_COMPONENTS + 1):
        fit = fit_mixture(data, n)
        if fit is not None:
            bic = -2 * fit[1] * sample_size / data.total + (3 * n - 1) * math.log(sample_size)
            candidates.append((bic if math.isfinite(bic) else math.inf, n, fit[0]))
    return min(candidates, key=lambda candidate: candidate[:2])[2]
