"""Extreme voxels (hot pixels, fill values, ±3.4e38, NaN, ±inf) never stretch the fast histogram."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.limits import contrast_report
from em_assets.core.contrast.sampled_voxels import (
    load_slab_summary,
    save_slab_summary,
    summarize_slabs,
)

SHAPE = (32, 96, 96)
EXTREMES = [1e9, -1e9, 3.4e38, -3.4e38, -32768.0, np.nan, np.inf, -np.inf]


def clean_volume(dtype) -> np.ndarray:
    """Two overlapping phases, tomogram-like; int16 rounded from 20 grey levels of noise."""
    rng = np.random.default_rng(0)
    dense = rng.random(SHAPE) < 0.25
    values = np.where(dense, rng.normal(-2.0, 0.9, SHAPE), rng.normal(0.0, 1.0, SHAPE))
    return np.rint(values * 20).astype(dtype) if dtype == np.int16 else values.astype(dtype)


def with_extremes(volume: np.ndarray, value: float, every: int = 10_000) -> tuple[np.ndarray, int]:
    """`volume` with one voxel in `every` (on a fixed random set) set to `value`."""
    dirty = volume.copy()
    flat = dirty.reshape(-1)
    picked = np.random.default_rng(1).choice(flat.size, flat.size // every, replace=False)
    flat[picked] = value
    return dirty, picked.size


def moved(report, clean, robust) -> dict[str, float]:
    return {
        method: max(abs(a - b) for a, b in zip(pair, clean.by_method()[method], strict=True)) / robust
        for method, pair in report.by_method().items()
    }


@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_one_voxel_in_ten_thousand_at_any_extreme_moves_no_limit_by_half_a_percent(dtype):
    volume = clean_volume(dtype)
    low, high = np.percentile(volume, [0.1, 99.9])
    clean = contrast_report(summarize_slabs(volume, name="t"))
    assert clean.n_outliers == 0
    for value in EXTREMES:
        if dtype == np.int16 and not (np.isfinite(value) and np.iinfo(np.int16).min <= value <= np.iinfo(np.int16).max):
            continue
        dirty, count = with_extremes(volume, value)
        summary = summarize_slabs(dirty, name="t")
        report = contrast_report(summary)
        assert max(moved(report, clean, high - low).values()) < 0.005, value
        slab = summary.widest
        inside = slice(*slab.z_bounds)
        expected = int(np.count_nonzero(dirty[inside] == value)) if np.isfinite(value) else 0
        assert report.n_outliers == expected, value
        assert report.n_nonfinite == (0 if np.isfinite(value) else int(np.count_nonzero(~np.isfinite(dirty[inside]))))
        if np.isfinite(value):
            stored = float(np.asarray(value, dtype=dtype))
            assert stored in report.data_range
        assert count > 0


def test_the_issues_single_voxel_examples():
    # Issue 10: 127k N(0,1) voxels plus one at 1e9 gave (-4.49, 2998.75); plus one at -3e38, (-1.8e33, -3.4e32).
    volume = np.random.default_rng(2).standard_normal((2, 256, 250)).astype(np.float32)
    clean = contrast_report(summarize_slabs(volume, name="t", z_radius=None))
    for value in (1e9, -3e38):
        dirty = volume.copy()
        dirty[1, 5, 5] = value
        report = contrast_report(summarize_slabs(dirty, name="t", z_radius=None))
        assert report.gmm == pytest.approx(clean.gmm, abs=1e-3)
        assert report.gmm[0] == pytest.approx(-2.0, abs=0.03) and report.gmm[1] == pytest.approx(0.5, abs=0.03)
        assert report.cdf == clean.cdf
        assert report.n_outliers == 1


def test_extreme_counts_survive_saving(tmp_path):
    dirty, _ = with_extremes(clean_volume(np.float32), -3.4e38, every=2000)
    summary = summarize_slabs(dirty, name="t")
    save_slab_summary(summary, tmp_path)
    loaded = load_slab_summary(tmp_path)
    for method, slab in summary.slabs.items():
        assert loaded.slabs[method].n_outliers == slab.n_outliers > 0
        assert loaded.slabs[method].data_range == slab.data_range
        assert slab.data_range[0] == pytest.approx(-3.4e38)
        assert slab.minimum > -10
    assert contrast_report(loaded) == contrast_report(summary)


def test_a_fill_block_in_the_slab_does_not_widen_the_grid():
    volume = clean_volume(np.float32)
    volume[16, :2, :] = -32768.0
    slab = summarize_slabs(volume, name="t").slabs["gmm"]
    assert slab.histogram.below == 2 * SHAPE[2]
    assert slab.histogram.width < 1e-3
