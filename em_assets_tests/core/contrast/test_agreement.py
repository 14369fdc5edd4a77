"""Fast against scikit-learn run to convergence, on simulated tomograms summarised as the pipeline does."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.agreement import dithered, gmm_agreement, percent_apart
from em_assets.core.contrast.limits import contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs
from em_assets.core.tomograms.pyramid import downsample_2x
from em_assets.core.tomograms.simulation import (
    TomogramSpec,
    quantise,
    simulate_tomogram,
)

SHAPE = (32, 64, 64)


@pytest.fixture(scope="module")
def tomogram() -> np.ndarray:
    return simulate_tomogram(TomogramSpec(shape=SHAPE, dose=20.0, seed=3))


def level(volume: np.ndarray, dtype: str) -> np.ndarray:
    """The 2x mean-downsampled level the pipeline summarises, rounded for integer dtypes."""
    return downsample_2x(quantise(volume, dtype), np.dtype(dtype))


def low_noise(volume: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 with `sigma` grey levels of the tomogram's contrast around 128."""
    unit = (volume - volume.mean()) / volume.std()
    return np.clip(np.rint(unit * sigma + 128), 0, 255).astype(np.uint8)


def robust(volume: np.ndarray) -> float:
    low, high = np.percentile(volume, [0.1, 99.9])
    return float(high - low)


@pytest.mark.parametrize("kind", ["float32", "uint8 low noise"])
def test_fast_is_within_one_percent_of_the_converged_reference(tomogram, kind):
    data = level(tomogram, "float32") if kind == "float32" else downsample_2x(low_noise(tomogram, 6.0), np.dtype(np.uint8))
    summary = summarize_slabs(data, name=kind)
    agreement = gmm_agreement(summary.slabs["gmm"], str(data.dtype), robust(data))
    assert agreement.fast_on_sample_vs_converged < 1.0
    assert agreement.fast_vs_converged < 1.0


@pytest.mark.parametrize("dtype", ["float32", "int8", "uint8"])
def test_cdf_and_percentile_are_within_half_a_percent_of_exact(tomogram, dtype):
    data = level(tomogram, dtype)
    summary = summarize_slabs(data, name=dtype, downsampling_ratio=None)
    fast, exact = contrast_report(summary), contrast_report(summary, "exact")
    assert percent_apart(fast.cdf, exact.cdf, robust(data)) < 0.5
    assert percent_apart(fast.percentile, exact.percentile, robust(data)) < 0.5


def test_dithering_spreads_each_value_over_its_quantum():
    values = np.repeat(np.arange(5.0), 2000)
    noisy = dithered(values, 1.0)
    assert np.all(np.abs(noisy - values) <= 0.5)
    assert np.std(noisy - values) == pytest.approx(1 / np.sqrt(12), rel=0.05)
    assert np.array_equal(dithered(values, 0.0), values)
