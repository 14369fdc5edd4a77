"""Quantised voxels: low-noise integers and floats on a lattice give the Gaussian's limits, never a spike."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from em_assets.core.contrast.binned_em import log_interval_mass
from em_assets.core.contrast.gmm import fast_gmm_fit
from em_assets.core.contrast.histogram import histogram_of
from em_assets.core.contrast.limits import compute_contrast_limits

SHAPE = (8, 64, 64)


def rounded_gaussian(mean: float, sigma: float, dtype, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """N(mean, sigma) rounded to the lattice `scale` * integers and stored as `dtype`."""
    values = np.random.default_rng(seed).normal(mean, sigma, SHAPE) / scale
    return (np.rint(values) * scale).astype(dtype)


def robust_range(volume: np.ndarray) -> float:
    low, high = np.percentile(volume, [0.1, 99.9])
    return float(high - low)


@pytest.mark.parametrize(
    ("dtype", "mean", "sigma"),
    [
        (np.uint8, 128.0, 0.5),
        (np.int8, 0.0, 1.2),
        (np.float32, 40.0, 1.2),
        (np.int16, -300.0, 2.0),
        (np.uint8, 128.0, 8.0),
        (np.int16, -300.0, 30.0),
    ],
)
def test_low_noise_integers_give_the_single_gaussians_limits(sigma, dtype, mean):
    volume = rounded_gaussian(mean, sigma, dtype, seed=int(sigma * 10))
    limits = compute_contrast_limits(volume, "gmm", z_radius=None)
    # One Gaussian: the GMM rule is (mean - 2 sigma, mean + 0.5 sigma), before rounding.
    expected = (mean - 2.0 * sigma, mean + 0.5 * sigma)
    off = max(abs(a - b) for a, b in zip(limits, expected, strict=True)) / robust_range(volume)
    assert off < 0.01, (limits, expected)


@pytest.mark.parametrize("sigma", [0.3, 0.6])
def test_no_component_is_narrower_than_the_quantum(sigma):
    volume = rounded_gaussian(10.0, sigma, np.int16, seed=3)
    for values in (volume, volume.astype(np.float32)):
        histogram = histogram_of(values, integer_valued=values.dtype.kind == "i")
        mixture = fast_gmm_fit(histogram, values.size)
        assert min(s for _, _, s in mixture.components()) >= 1 / math.sqrt(12)
        assert mixture.n_components == 1


def test_floats_on_a_coarse_lattice_are_fitted_as_quantised():
    quantum = 0.25
    volume = rounded_gaussian(1.0, 0.3, np.float32, seed=4, scale=quantum)
    assert np.unique(volume).size < 20
    assert histogram_of(volume, integer_valued=False).quantum() == pytest.approx(quantum, rel=1e-4)
    low, high = compute_contrast_limits(volume, "gmm", z_radius=None)
    assert low == pytest.approx(1.0 - 0.6, abs=0.01)
    assert high == pytest.approx(1.0 + 0.15, abs=0.01)


def test_continuous_floats_have_no_quantum():
    values = np.random.default_rng(5).normal(0.0, 1.0, 50_000)
    assert histogram_of(values, integer_valued=False).quantum() == 0.0


def test_the_issues_uint8_example_no_longer_collapses():
    # Issue 10: uint8 noise of 12 grey levels mean-downsampled to 13 distinct values gave (127.997, 128.0008).
    volume = rounded_gaussian(128.0, 1.5, np.uint8, seed=6)
    low, high = compute_contrast_limits(volume, "gmm")
    assert high - low > 3.0


@pytest.mark.parametrize(("a", "b"), [(-1.0, 1.0), (-40.0, -39.0), (39.0, 40.0), (0.1, 0.1 + 1e-9), (-8.0, -7.999), (-3.0, 0.5)])
def test_interval_mass_matches_scipy_in_the_core_and_the_tails(a, b):
    expected = np.log(norm.cdf(b) - norm.cdf(a)) if b < 5 and a > -5 else norm.logsf(a) + np.log(-np.expm1(norm.logsf(b) - norm.logsf(a))) if a > 0 else norm.logcdf(b) + np.log(-np.expm1(norm.logcdf(a) - norm.logcdf(b)))
    assert log_interval_mass(np.array(a), np.array(b)) == pytest.approx(expected, rel=1e-9)
