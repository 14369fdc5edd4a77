"""Fast against scikit-learn run to convergence, on simulated tomograms summarised as the pipeline does."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.agreement import (
    best_fits,
    dithered,
    gmm_agreement,
    histogram_agreement,
    percent_apart,
)
from em_assets.core.contrast.gmm import (
    BinnedData,
    Mixture,
    converged_fits,
    fast_fits,
    limits_around_nearest,
    lowest_bic,
)
from em_assets.core.contrast.histogram import histogram_of
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


KINDS = ["float32", "int8", "int16", "uint8 low noise"]


def kind_level(tomogram: np.ndarray, kind: str) -> np.ndarray:
    if kind == "uint8 low noise":
        return downsample_2x(low_noise(tomogram, 6.0), np.dtype(np.uint8))
    return level(tomogram, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_fast_is_within_one_percent_of_the_converged_reference(tomogram, kind):
    data = kind_level(tomogram, kind)
    summary = summarize_slabs(data, name=kind)
    whole = summarize_slabs(data, name=kind, downsampling_ratio=None)
    agreement = gmm_agreement(summary.slabs["gmm"], str(data.dtype), robust(data), whole.slabs["gmm"].samples)
    assert agreement.fast_on_sample_vs_converged < 1.0
    assert agreement.fast_vs_converged_on_slab < 1.0
    assert agreement.fast_n_components == agreement.n_components


@pytest.mark.parametrize("kind", ["int8", "uint8 low noise"])
def test_sklearn_em_started_from_the_fast_fit_stays_there(tomogram, kind):
    """Fast's fit of each n is a fixed point of the reference's own EM on the dithered sample."""
    data = kind_level(tomogram, kind)
    slab = summarize_slabs(data, name=kind).slabs["gmm"]
    samples = np.asarray(slab.samples, dtype=np.float64)
    fast = fast_fits(histogram_of(samples, integer_valued=True))
    polished = converged_fits(dithered(samples, 1.0), starts={n: fit[0] for n, fit in fast.items()})
    for n, (mixture, _) in fast.items():
        args = (float(samples.mean()), float(samples.min()), float(samples.max()))
        moved = percent_apart(limits_around_nearest(mixture, *args), limits_around_nearest(polished[n][0], *args), robust(data))
        assert moved < 0.5, n


def test_dithering_covers_the_intervals_fast_fits():
    """The dither spreads each integer, negative or piled up at a clip, over the interval fast fits it as."""
    values = np.concatenate([np.arange(-5.0, 6.0).repeat(300), np.zeros(2000)])
    data = BinnedData(histogram_of(values, integer_valued=True))
    noisy = dithered(values, 1.0)
    assert data.values.size == 11
    for value, lower, upper in zip(data.values + data.offset, data.lower + data.offset, data.upper + data.offset, strict=True):
        spread = noisy[values == value]
        assert (lower, upper) == pytest.approx((value - 0.5, value + 0.5))
        assert lower <= spread.min() and spread.max() <= upper


def test_best_fits_keeps_the_higher_likelihood_of_each_n():
    one, two = Mixture(np.ones(1), np.zeros(1), np.ones(1)), Mixture(np.full(2, 0.5), np.array([-1.0, 1.0]), np.ones(2))
    best = best_fits({1: (one, -10.0), 2: (two, -9.0)}, {1: (one, -8.0)}, {3: (two, -20.0)})
    assert {n: fit[1] for n, fit in best.items()} == {1: -8.0, 2: -9.0, 3: -20.0}


def test_lowest_bic_penalises_each_parameter_by_log_n():
    one, two = Mixture(np.ones(1), np.zeros(1), np.ones(1)), Mixture(np.full(2, 0.5), np.array([-1.0, 1.0]), np.ones(2))
    size = 1000
    # three more parameters cost 3 * log(1000) / 2 = 10.36 in log-likelihood
    assert lowest_bic({1: (one, -100.0), 2: (two, -100.0 + 10.0)}, size) is one
    assert lowest_bic({1: (one, -100.0), 2: (two, -100.0 + 10.5)}, size) is two
    assert lowest_bic({1: (one, -100.0), 2: (two, -100.0 + 1.5 * np.log(size))}, size) is one


@pytest.mark.parametrize("dtype", ["float32", "int16"])
def test_cdf_and_percentile_equal_exact_on_every_slab_voxel(tomogram, dtype):
    data = level(tomogram, dtype)
    summary, whole = summarize_slabs(data, name=dtype), summarize_slabs(data, name=dtype, downsampling_ratio=None)
    agreement = histogram_agreement(summary, whole, robust(data))
    assert agreement.cdf_vs_slab < 0.5
    assert agreement.percentile_vs_slab < 0.5


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
