"""The pipeline API: a report from a slab summary, its JSON form and its plot."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.limits import (
    ContrastReport,
    compute_contrast_limits,
    contrast_report,
)
from em_assets.core.contrast.plot import plot_contrast_report
from em_assets.core.contrast.sampled_voxels import (
    load_slab_summary,
    save_slab_summary,
    summarize_slabs,
)


def two_phase_volume(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (40, 32, 32)
    dense = rng.random(shape) < 0.25
    return np.where(dense, rng.normal(-3.0, 0.6, shape), rng.normal(0.0, 1.0, shape)).astype(np.float32)


@pytest.mark.parametrize("engine", ["fast", "exact"])
def test_report_agrees_with_compute_contrast_limits(engine, tmp_path):
    volume = two_phase_volume()
    save_slab_summary(summarize_slabs(volume, name="t"), tmp_path)
    report = contrast_report(load_slab_summary(tmp_path), engine=engine)
    assert report.gmm == compute_contrast_limits(volume, "gmm", engine=engine)
    assert report.cdf == compute_contrast_limits(volume, "cdf", engine=engine)
    assert report.engine == engine
    assert report.n_components == len(report.gmm_components) in (1, 2, 3)
    assert report.data_range == (float(volume[5:35].min()), float(volume[5:35].max()))


def test_report_json_round_trip():
    report = contrast_report(summarize_slabs(two_phase_volume(), name="t"))
    assert ContrastReport.from_json(report.to_json()) == report
    assert sum(weight for weight, _, _ in report.gmm_components) == pytest.approx(1.0)


def test_plot_is_a_deterministic_png():
    summary = summarize_slabs(two_phase_volume(), name="t")
    report = contrast_report(summary)
    first, second = plot_contrast_report(summary, report), plot_contrast_report(summary, report)
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == second
    other = contrast_report(summarize_slabs(two_phase_volume(seed=1), name="t"))
    assert plot_contrast_report(summary, other) != first
