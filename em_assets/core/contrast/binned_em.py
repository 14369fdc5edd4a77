"""EM for quantised data: each bin's probability is a Gaussian's mass over the bin's interval.

Values rounded to a quantum (integer voxels, or floats holding few distinct values) are interval
data: the voxel stored as k came from somewhere in [k - q/2, k + q/2). The likelihood of a bin is
the mixture's mass over that interval (normal CDF differences), and the M-step uses each component's
truncated moments over the interval, so a component cannot shrink onto one grey level to grow its
density: the likelihood of a bin is bounded by 1. Arrays are (S, n, B): S starts, n components,
B bins.
"""

from __future__ import annotations

import math

import numpy as np

LOG_FLOOR = -1e300
EPS = 10 * np.finfo(np.float64).eps
LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def log_interval_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails and for narrow intervals.

    Parameters
    ----------
    a, b : numpy.ndarray
        Standardised lower and upper bounds, broadcastable, with a < b.

    Returns
    -------
    numpy.ndarray
        The log of the standard normal mass over [a, b], at least LOG_FLOOR.
    """
    from scipy.special import (  # imported here: only quantised data needs it
        erf,
        log_ndtr,
    )
    flip = a > 0
    low, high = np.where(flip, -b, a), np.where(flip, -a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_high = log_ndtr(high)
        tail = log_high + np.log(-np.expm1(log_ndtr(low) - log_high))
        central = np.log(0.5 * (erf(high / math.sqrt(2)) - erf(low / math.sqrt(2))))
    mass = np.where(high <= 0, tail, central)
    return np.maximum(np.nan_to_num(mass, nan=LOG_FLOOR, neginf=LOG_FLOOR), LOG_FLOOR)


def interval_em_step(
    lower: np.ndarray,
    upper: np.ndarray,
    counts: np.ndarray,
    params: tuple[np.ndarray, np.ndarray, np.ndarray],
    variance_floor: float,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """One EM update of every start on interval data, and the log-likelihood before it.

    Parameters
    ----------
    lower, upper : numpy.ndarray
        (B,) interval bounds of the bins, relative to the same offset as the means.
    counts : numpy.ndarray
        (B,) number of values in each bin.
    params : tuple of numpy.ndarray
        (weights, means, variances), each (S, n).
    variance_floor : float
        The smallest variance a component may take (its quantum's, q**2 / 12, plus a regulariser).

    Returns
    -------
    tuple
        The updated (weights, means, variances) and the (S,) log-likelihood of `params`.
    """
    weights, means, variances = params
    sigma = np.sqrt(variances)[:, :, None]
    a = (lower - means[:, :, None]) / sigma
    b = (upper - means[:, :, None]) / sigma
    log_mass = log_interval_mass(a, b)
    log_joint = np.log(weights)[:, :, None] + log_mass
    top = log_joint.max(axis=1, keepdims=True)
    joint = np.exp(log_joint - top)
    total = joint.sum(axis=1, keepdims=True)
    log_likelihood = (np.log(total[:, 0, :]) + top[:, 0, :]) @ counts
    weighted = joint * (counts / total)
    with np.errstate(over="ignore", invalid="ignore"):
        ratio_a = np.exp(-0.5 * a**2 - LOG_SQRT_2PI - log_mass)
        ratio_b = np.exp(-0.5 * b**2 - LOG_SQRT_2PI - log_mass)
        first = ratio_a - ratio_b
        second = 1.0 + a * ratio_a - b * ratio_b
    # Only bins whose interval mass underflowed (absurd trial parameters, rejected for their -inf
    # likelihood) give non-finite moments; they must not poison the sums.
    first = np.where(np.isfinite(first), first, 0.0)
    second = np.where(np.isfinite(second), second, 0.0)
    nk = weighted.sum(axis=2) + EPS
    with np.errstate(over="ignore", invalid="ignore"):
        shift = sigma[:, :, 0] * np.einsum("snb,snb->sn", weighted, first) / nk
        spread = variances * np.einsum("snb,snb->sn", weighted, second) / nk - shift**2
    new_weights = nk / nk.sum(axis=1, keepdims=True)
    return (new_weights, means + shift, np.maximum(spread, variance_floor)), log_likelihood
