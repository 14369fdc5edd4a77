"""The fast engine: agreement with the exact one where that is steady, known answers, determinism."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import zarr

from em_assets.core.contrast.gmm import fast_gmm_fit
from em_assets.core.contrast.limits import compute_contrast_limits, contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs

SHAPE = (24, 64, 64)


def mixture(components, shape=SHAPE, seed=0, scale=1.0, offset=0.0, dtype=np.float32) -> np.ndarray:
    """Independent voxels from a mixture of (weight, mean, sigma) Gaussians, scaled and shifted."""
    rng = np.random.default_rng(seed)
    weights, means, sigmas = (np.array(c, dtype=np.float64) for c in zip(*components, strict=True))
    labels = rng.choice(len(weights), size=shape, p=weights / weights.sum())
    values = means[labels] + sigmas[labels] * rng.standard_normal(shape)
    return (values * scale + offset).astype(dtype)


def robust_range(volume: np.ndarray) -> float:
    low, high = np.percentile(volume, [0.1, 99.9])
    return float(high - low)


def off_by(a, b, volume) -> float:
    """The larger limit difference as a fraction of the volume's 0.1-99.9 percentile range."""
    return max(abs(a[0] - b[0]), abs(a[1] - b[1])) / robust_range(volume)


SEPARATED = {
    "one": [(1.0, 0.0, 1.0)],
    "two": [(0.75, 0.0, 1.0), (0.25, 7.0, 0.8)],
    "three": [(0.6, 0.0, 1.0), (0.25, -8.0, 1.0), (0.15, 7.0, 0.7)],
}
KNOWN = {"one": (-2.0, 0.5), "two": (-2.2, 0.65), "three": (-3.0, 0.8)}


@pytest.mark.parametrize("kind", sorted(SEPARATED))
def test_fast_agrees_with_a_steady_exact_and_with_the_known_answer(kind):
    volume = mixture(SEPARATED[kind], seed=1)
    exact = [compute_contrast_limits(volume, "gmm", None, 0.3, "exact", seed=seed) for seed in (1, 2, 3)]
    assert max(off_by(exact[0], other, volume) for other in exact[1:]) < 0.01
    fast = compute_contrast_limits(volume, "gmm", None, 0.3, "fast")
    assert off_by(fast, exact[0], volume) < 0.02
    assert off_by(fast, KNOWN[kind], volume) < 0.01


@pytest.mark.parametrize("kind", sorted(SEPARATED))
def test_fast_cdf_agrees_with_exact_on_the_same_voxels(kind):
    volume = mixture(SEPARATED[kind], shape=(32, 128, 128), seed=2)
    exact = compute_contrast_limits(volume, "cdf", None, None, "exact")
    fast = compute_contrast_limits(volume, "cdf", None, None, "fast")
    assert off_by(fast, exact, volume) < 0.02


def test_fast_cdf_equals_exact_for_integer_voxels():
    volume = np.clip(mixture([(0.7, 0.0, 20.0), (0.3, -60.0, 15.0)], seed=3), -128, 127).astype(np.int8)
    for radius in (None, 3):
        exact = compute_contrast_limits(volume, "cdf", radius, None, "exact")
        assert compute_contrast_limits(volume, "cdf", radius, None, "fast") == exact


TOMOGRAM_LIKE = [(0.72, 0.0, 1.0), (0.20, -2.0, 0.9), (0.08, 1.6, 0.5)]


def test_fast_recovers_an_overlapping_tomogram_like_mixture():
    volume = mixture(TOMOGRAM_LIKE, shape=(16, 128, 128), seed=4)
    fitted = fast_gmm_fit(summarize_slabs(volume, name="t", z_radius=None).slabs["gmm"].histogram, volume.size)
    assert fitted.n_components == 3
    for (weight, mean, sigma), (true_weight, true_mean, true_sigma) in zip(fitted.components(), sorted(TOMOGRAM_LIKE, key=lambda c: c[1]), strict=True):
        assert weight == pytest.approx(true_weight, abs=0.02)
        assert mean == pytest.approx(true_mean, abs=0.06)
        assert sigma == pytest.approx(true_sigma, abs=0.06)


def test_fast_limits_are_steady_across_volumes_of_one_distribution():
    limits, ranges = [], []
    for seed in range(5):
        volume = mixture(TOMOGRAM_LIKE, shape=(16, 192, 192), seed=10 + seed)
        limits.append(compute_contrast_limits(volume, "gmm", None))
        ranges.append(robust_range(volume))
    lows, highs = zip(*limits, strict=True)
    assert (max(lows) - min(lows)) / np.mean(ranges) < 0.01
    assert (max(highs) - min(highs)) / np.mean(ranges) < 0.01


def test_fast_ignores_the_sampling_seed_and_repeats_exactly():
    volume = mixture(TOMOGRAM_LIKE, seed=5)
    first = compute_contrast_limits(volume, "gmm", seed=1)
    assert compute_contrast_limits(volume, "gmm", seed=2) == first
    assert compute_contrast_limits(volume, "gmm", seed=1) == first


def test_numpy_dask_and_zarr_inputs_give_identical_limits(tmp_path):
    volume = mixture(TOMOGRAM_LIKE, shape=(40, 48, 40), seed=6)
    stored = zarr.create_array(str(tmp_path / "v.zarr"), shape=volume.shape, chunks=(7, 20, 16), dtype=volume.dtype)
    stored[:] = volume
    inputs = [volume, da.from_array(volume, chunks=(9, 48, 13)), stored]
    for method in ("gmm", "cdf"):
        results = {compute_contrast_limits(data, method) for data in inputs}
        assert len(results) == 1


@pytest.mark.parametrize(
    ("scale", "offset", "dtype"),
    [(1e-3, 0.0, np.float32), (2e4, 0.0, np.float32), (0.1, 5.0, np.float64), (400.0, 30000.0, np.uint16), (15.0, 0.0, np.int16)],
)
def test_fast_matches_exact_at_portal_intensity_scales(scale, offset, dtype):
    volume = mixture(SEPARATED["two"], seed=7, scale=scale, offset=offset, dtype=np.float64)
    if np.issubdtype(dtype, np.integer):
        volume = np.rint(volume)
    volume = volume.astype(dtype)
    exact = compute_contrast_limits(volume, "gmm", None, None, "exact")
    fast = compute_contrast_limits(volume, "gmm", None, None, "fast")
    assert off_by(fast, exact, volume.astype(np.float64)) < 0.02


def test_report_counts_nonfinite_voxels_and_limits_ignore_them():
    volume = mixture(SEPARATED["two"], shape=(40, 32, 32), seed=8)
    clean = contrast_report(summarize_slabs(volume, name="t"))
    holes = volume.copy()
    holes[20, :4, :4] = np.nan
    holes[21, 0, :5] = np.inf
    report = contrast_report(summarize_slabs(holes, name="t"))
    assert report.n_nonfinite == 21
    assert off_by(report.gmm, clean.gmm, volume) < 0.01
    assert off_by(report.cdf, clean.cdf, volume) < 0.01
