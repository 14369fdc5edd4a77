"""The exact engine: faithful to issue 2's reference, on known mixtures and hand-made histograms."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from em_assets.core.contrast.cdf import cdf_limits_from_histogram
from em_assets.core.contrast.limits import compute_contrast_limits

MULTIPLIERS = {1: (2.0, 0.5), 2: (2.2, 0.65), 3: (3.0, 0.8)}


def mixture(shape, weights, means, sigmas, seed=0, dtype=np.float32) -> np.ndarray:
    """Voxels drawn from a Gaussian mixture, independently."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(weights), size=shape, p=weights)
    return (np.asarray(means)[labels] + np.asarray(sigmas)[labels] * rng.standard_normal(shape)).astype(dtype)


def sklearn_reference(sample: np.ndarray) -> tuple[float, float]:
    """Issue 2's GMM steps spelled out with scikit-learn."""
    column = sample.reshape(-1, 1)
    bics = [GaussianMixture(n, covariance_type="full", max_iter=100, random_state=42, init_params="k-means++")
            .fit(column).bic(column) for n in (1, 2, 3)]
    n = int(np.argmin(bics)) + 1
    fit = GaussianMixture(n, covariance_type="full", max_iter=300, random_state=42, init_params="k-means++").fit(column)
    means, variances = fit.means_.ravel(), fit.covariances_.ravel()
    k = np.argmin(np.abs(means - np.mean(sample)))
    a, b = MULTIPLIERS[n]
    low, high = means[k] - a * np.sqrt(variances[k]), means[k] + b * np.sqrt(variances[k])
    return float(max(low, np.min(sample))), float(min(high, np.max(sample)))


def central_sample(volume: np.ndarray, radius: int, ratio: float = 0.3) -> np.ndarray:
    centre = volume.shape[0] / 2 - 0.5
    slab = volume[int(np.ceil(centre - radius)) : int(np.floor(centre + radius)) + 1].flatten()
    count = int(volume.size * ratio)
    return slab if count >= slab.size else np.random.default_rng(42).choice(slab, count, replace=False)


def test_exact_gmm_equals_the_sklearn_reference():
    volume = mixture((50, 24, 24), [0.7, 0.3], [0.0, 4.0], [1.0, 0.7], seed=1)
    expected = sklearn_reference(central_sample(volume, 15))
    assert compute_contrast_limits(volume, "gmm", engine="exact") == expected


def test_exact_gmm_on_one_gaussian_is_mean_minus_2_plus_half_sigma():
    volume = mixture((40, 24, 24), [1.0], [5.0], [2.0], seed=2)
    low, high = compute_contrast_limits(volume, "gmm", engine="exact")
    assert low == pytest.approx(5.0 - 2.0 * 2.0, abs=0.1)
    assert high == pytest.approx(5.0 + 0.5 * 2.0, abs=0.1)


def test_exact_gmm_on_two_separated_gaussians_uses_the_component_nearest_the_mean():
    volume = mixture((40, 24, 24), [0.8, 0.2], [0.0, 8.0], [1.0, 1.0], seed=3)
    low, high = compute_contrast_limits(volume, "gmm", engine="exact")
    assert low == pytest.approx(-2.2, abs=0.1)
    assert high == pytest.approx(0.65, abs=0.1)


def test_exact_cdf_equals_a_direct_histogram():
    volume = mixture((40, 20, 20), [0.6, 0.4], [0.0, 3.0], [1.0, 0.5], seed=4)
    sample = central_sample(volume, 5)
    counts, edges = np.histogram(sample, bins=512, range=[sample.min(), sample.max()])
    assert compute_contrast_limits(volume, "cdf", engine="exact") == cdf_limits_from_histogram(
        counts, edges, sample.min(), sample.max()
    )


def test_cdf_rule_on_a_block_over_a_flat_background():
    counts = np.full(512, 0.5)
    counts[200:300] = 100.0
    edges = np.linspace(-1.0, 1.0, 513)
    assert cdf_limits_from_histogram(counts, edges, -1.0, 1.0) == (edges[199], edges[300])


def test_cdf_rule_on_a_uniform_histogram_spans_everything():
    edges = np.linspace(2.0, 6.0, 513)
    assert cdf_limits_from_histogram(np.full(512, 7.0), edges, 2.0, 6.0) == (2.0, 6.0)


def test_cdf_rule_when_the_gradient_never_falls_uses_the_last_edge():
    counts = np.linspace(1.0, 100.0, 512)
    edges = np.linspace(0.0, 1.0, 513)
    assert cdf_limits_from_histogram(counts, edges, 0.0, 1.0)[1] == 1.0


def test_exact_limits_are_inside_the_sample_range_for_integers():
    volume = np.clip(mixture((40, 20, 20), [1.0], [100.0], [30.0], seed=5), 0, 255).astype(np.uint8)
    for method in ("gmm", "cdf"):
        low, high = compute_contrast_limits(volume, method, engine="exact")
        assert 0 <= low < high <= 255
