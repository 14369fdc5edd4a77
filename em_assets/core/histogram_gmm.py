"""Gaussian mixtures fitted by EM (SQUAREM-accelerated) on weighted histogram bins, many starts at once.

Arrays of a batch of starts are (S, n): S starts of n components; bins run along the last axis.
"""

from __future__ import annotations

import math

import numpy as np

from em_assets.core.dyadic_histogram import DyadicHistogram
from em_assets.core.gmm_limits import MAX_COMPONENTS, Mixture
from em_assets.core.gmm_starts import BinnedData, Starts, initial_mixtures

WARMUP_CYCLES = 10
KEPT_STARTS = 3
MAX_CYCLES = 300
TOLERANCE = 1e-10
EPS = 10 * np.finfo(np.float64).eps
TINY_WEIGHT = 1e-300


def _em_step(data: BinnedData, params: Starts) -> tuple[Starts, np.ndarray]:
    """One EM update of every start, and the total log-likelihood of `params` before it."""
    weights, means, variances = params
    distance = data.values[None, None, :] - means[:, :, None]
    log_density = (np.log(weights) - 0.5 * np.log(2 * np.pi * variances))[:, :, None] - 0.5 * distance**2 / variances[:, :, None]
    top = log_density.max(axis=1, keepdims=True)
    density = np.exp(log_density - top)
    mixture = density.sum(axis=1, keepdims=True)
    log_likelihood = (np.log(mixture[:, 0, :]) + top[:, 0, :]) @ data.counts
    weighted = density * (data.counts / mixture)
    nk = weighted.sum(axis=2) + EPS
    shift = (weighted @ data.values - means * (nk - EPS)) / nk
    spread = np.einsum("snb,snb->sn", weighted, distance**2) / nk - shift**2
    new = (nk / nk.sum(axis=1, keepdims=True), means + shift, np.maximum(spread, 0.0) + data.variance_floor)
    return new, log_likelihood


def _to_vector(params: Starts) -> np.ndarray:
    weights, means, variances = params
    return np.concatenate([np.log(weights), means, np.log(variances)], axis=1)


def _from_vector(vector: np.ndarray, floor: float) -> Starts:
    log_weights, means, log_variances = np.split(vector, 3, axis=1)
    weights = np.maximum(np.exp(log_weights - log_weights.max(axis=1, keepdims=True)), TINY_WEIGHT)
    return weights / weights.sum(axis=1, keepdims=True), means, np.maximum(np.exp(log_variances), floor)


def _squarem_cycle(data: BinnedData, params: Starts) -> tuple[Starts, np.ndarray]:
    """Two EM steps, an extrapolation along them and one more EM step where it beats plain EM."""
    first, log_likelihood = _em_step(data, params)
    second, after_first = _em_step(data, first)
    origin = _to_vector(params)
    r = _to_vector(first) - origin
    v = _to_vector(second) - origin - 2 * r
    r_norm, v_norm = np.linalg.norm(r, axis=1), np.linalg.norm(v, axis=1)
    alpha = np.minimum(-r_norm / np.where(v_norm > 0, v_norm, 1.0), -1.0)[:, None]
    jumped = _from_vector(origin - 2 * alpha * r + alpha**2 * v, data.variance_floor)
    stepped, after_jump = _em_step(data, jumped)
    keep = (np.isfinite(after_jump) & (after_jump >= after_first))[:, None]
    return tuple(np.where(keep, a, b) for a, b in zip(stepped, second, strict=True)), log_likelihood


def run_em(data: BinnedData, starts: Starts, max_cycles: int) -> tuple[Starts, np.ndarray]:
    """Accelerated EM from each start until its log-likelihood moves less than TOLERANCE per value."""
    params = tuple(p.copy() for p in starts)
    previous = np.full(params[0].shape[0], -np.inf)
    active = np.arange(previous.size)
    for _ in range(max_cycles):
        updated, log_likelihood = _squarem_cycle(data, tuple(p[active] for p in params))
        for target, source in zip(params, updated, strict=True):
            target[active] = source
        settled = np.abs(log_likelihood - previous[active]) < TOLERANCE * data.total
        previous[active] = log_likelihood
        active = active[~settled]
        if active.size == 0:
            break
    return params, _em_step(data, params)[1]


def fit_mixture(data: BinnedData, n: int) -> tuple[Mixture, float] | None:
    """The best n-component mixture over every start and its total log-likelihood (None: no start)."""
    starts = initial_mixtures(data, n)
    if not starts:
        return None
    stacked = tuple(np.array([start[i] for start in starts]) for i in range(3))
    params, log_likelihood = run_em(data, stacked, WARMUP_CYCLES)
    keep = np.argsort(-log_likelihood, kind="stable")[:KEPT_STARTS]
    params, log_likelihood = run_em(data, tuple(p[keep] for p in params), MAX_CYCLES)
    best = int(np.argmax(log_likelihood))
    weights, means, variances = (p[best] for p in params)
    return Mixture(weights, means + data.offset, variances), float(log_likelihood[best])


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
