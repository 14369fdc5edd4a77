"""Bad volumes give an InputError naming the tomogram; NaN and inf are skipped; integers never overflow."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from em_assets.core.contrast.limits import compute_contrast_limits, contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs
from em_assets.core.errors import InputError

ENGINES = ["fast", "exact"]
METHODS = ["gmm", "cdf"]


def noise(shape=(20, 16, 16), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.0, shape).astype(np.float32)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("volume", "problem"),
    [
        (noise()[0], "not a 3-D volume"),
        (np.zeros((0, 8, 8), np.float32), "empty"),
        (np.full((20, 16, 16), np.nan, np.float32), "NaN or infinite"),
        (np.full((20, 16, 16), 3.5, np.float32), "constant"),
        (np.full((20, 16, 16), 7, np.uint8), "constant"),
        (np.ones((20, 16, 16), np.complex64), "dtype"),
    ],
)
def test_bad_volumes_name_the_tomogram(volume, problem, method, engine):
    with pytest.raises(InputError, match=problem) as caught:
        compute_contrast_limits(volume, method, engine=engine, name="tomo-7")
    assert caught.value.subject == "tomo-7"


def test_an_empty_slab_from_the_radius_is_an_error():
    with pytest.raises(InputError, match="z-slab 4:4 .* is empty"):
        compute_contrast_limits(noise((8, 4, 4)), "gmm", z_radius=0, name="t")


def test_fewer_than_ten_finite_voxels_is_an_error():
    volume = np.full((20, 16, 16), np.inf, np.float32)
    volume[10, 0, :9] = np.arange(9)
    with pytest.raises(InputError, match="only 9 finite voxels"):
        summarize_slabs(volume, name="t")


def test_the_slab_alone_decides_constancy():
    volume = np.zeros((64, 8, 8), np.float32)
    volume[:5] = noise((5, 8, 8))
    with pytest.raises(InputError, match="constant"):
        compute_contrast_limits(volume, "gmm", name="t")
    assert compute_contrast_limits(volume, "gmm", z_radius=None, name="t")[0] < 0


@pytest.mark.parametrize("engine", ENGINES)
def test_nonfinite_voxels_are_skipped_quietly(engine):
    volume = noise((30, 32, 32))
    volume[::3, ::4, ::5] = np.nan
    volume[1::7, 1::9, ::2] = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = contrast_report(summarize_slabs(volume, name="t"), engine=engine)
    lo, hi = report.data_range
    assert report.n_nonfinite == int(np.count_nonzero(~np.isfinite(volume)))
    for low, high in (report.gmm, report.cdf):
        assert np.isfinite([low, high]).all() and lo <= low < high <= hi


def test_a_sample_left_with_too_few_finite_values_is_an_error_for_exact():
    volume = np.full((40, 10, 10), np.nan, np.float32)
    volume[20, :2, :6] = np.arange(12).reshape(2, 6)
    with pytest.raises(InputError, match="seeded sample holds"):
        compute_contrast_limits(volume, "gmm", z_radius=None, downsampling_ratio=0.001, engine="exact", name="t")
    assert compute_contrast_limits(volume, "gmm", z_radius=None, downsampling_ratio=0.001, name="t")[1] <= 11


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.int64])
@pytest.mark.parametrize("engine", ENGINES)
def test_integer_extremes_do_not_overflow(dtype, engine):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    volume = rng.integers(info.min, info.max, size=(20, 16, 16), dtype=dtype, endpoint=True)
    volume[10, 0, 0], volume[10, 0, 1] = info.min, info.max
    for method in METHODS:
        low, high = compute_contrast_limits(volume, method, z_radius=None, engine=engine)
        assert info.min <= low < high <= info.max


@pytest.mark.parametrize(("argument", "value"), [("engine", "slow"), ("method", "median"), ("z_radius", "computed")])
def test_bad_parameters_are_value_errors(argument, value):
    with pytest.raises(ValueError, match=value):
        compute_contrast_limits(noise(), **{argument: value})
