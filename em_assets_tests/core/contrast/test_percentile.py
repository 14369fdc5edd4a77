"""The percentile method: exact is np.percentile of the sample, fast reads the same order statistics."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.histogram import histogram_of
from em_assets.core.contrast.limits import (
    ContrastReport,
    compute_contrast_limits,
    contrast_report,
)
from em_assets.core.contrast.percentile import fast_percentile_limits
from em_assets.core.contrast.sampled_voxels import summarize_slabs


def volume(dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.where(rng.random((24, 40, 40)) < 0.3, rng.normal(-3, 1, (24, 40, 40)), rng.normal(0, 1, (24, 40, 40)))
    return np.rint(values * 10).astype(dtype) if np.dtype(dtype).kind in "iu" else values.astype(dtype)


@pytest.mark.parametrize("percentiles", [(0.5, 99.5), (1.0, 99.0), (0.0, 100.0), (25.0, 75.0)])
def test_fast_equals_numpy_on_integer_voxels(percentiles):
    data = volume(np.int16)
    slab = data[7:17]  # slab_bounds(24, 5)
    expected = tuple(float(v) for v in np.percentile(slab, percentiles))
    assert compute_contrast_limits(data, "percentile", percentiles=percentiles) == pytest.approx(expected, abs=1e-9)
    assert compute_contrast_limits(data, "percentile", engine="exact", downsampling_ratio=None, percentiles=percentiles) == expected


def test_fast_is_close_to_numpy_on_float_voxels_and_exact_is_numpy_on_the_sample():
    data = volume(np.float32, seed=1)
    robust = np.ptp(np.percentile(data, [0.1, 99.9]))
    fast = compute_contrast_limits(data, "percentile", z_radius=None)
    expected = np.percentile(data, [0.5, 99.5])
    assert max(abs(fast[0] - expected[0]), abs(fast[1] - expected[1])) / robust < 1e-4
    exact = compute_contrast_limits(data, "percentile", z_radius=None, engine="exact", downsampling_ratio=None)
    assert exact == tuple(float(v) for v in np.percentile(data.reshape(-1), [0.5, 99.5]))


def test_default_is_half_a_percent_each_side():
    values = np.arange(1001, dtype=np.int64)
    histogram = histogram_of(values, integer_valued=True)
    assert fast_percentile_limits(histogram) == (5.0, 995.0)


@pytest.mark.parametrize("bad", [(99.5, 0.5), (-1.0, 50.0), (10.0, 101.0), (5.0, 5.0)])
def test_bad_percentiles_are_value_errors(bad):
    with pytest.raises(ValueError, match="percentiles"):
        compute_contrast_limits(volume(np.float32), "percentile", percentiles=bad)


def test_report_carries_the_percentile_pair_through_json():
    report = contrast_report(summarize_slabs(volume(np.float32), name="t"), percentiles=(2.0, 98.0))
    assert report.percentiles == (2.0, 98.0)
    assert report.percentile == compute_contrast_limits(volume(np.float32), "percentile", percentiles=(2.0, 98.0))
    assert ContrastReport.from_json(report.to_json()) == report
    assert list(report.by_method()) == ["gmm", "cdf", "percentile"]
