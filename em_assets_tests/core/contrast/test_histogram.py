"""Dyadic fine histograms: partial histograms merge into exactly the histogram of all values."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.contrast.histogram import (
    MAX_BINS,
    grid_exponent,
    histogram_of,
    merged,
)


def test_merging_parts_in_any_order_equals_the_whole():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1e-3, 50_000), rng.normal(0.02, 1e-4, 3_000), [0.5]]).astype(np.float32)
    whole = histogram_of(values, integer_valued=False)
    parts = [histogram_of(chunk, integer_valued=False) for chunk in np.array_split(values, 17)]
    for order in (parts, parts[::-1], parts[5:] + parts[:5]):
        total = None
        for part in order:
            total = merged(total, part)
        assert (total.exponent, total.first) == (whole.exponent, whole.first)
        np.testing.assert_array_equal(total.counts, whole.counts)


def test_counts_match_numpy_on_the_same_edges():
    values = np.random.default_rng(1).standard_normal(100_000)
    histogram = histogram_of(values, integer_valued=False)
    np.testing.assert_array_equal(np.histogram(values, bins=histogram.edges)[0], histogram.counts)
    assert histogram.counts.size <= MAX_BINS
    assert histogram.counts.size > MAX_BINS // 4


def test_coarsening_equals_binning_directly_on_the_coarser_grid():
    values = np.random.default_rng(2).uniform(-3, 5, 20_000)
    fine = histogram_of(values, integer_valued=False)
    coarse = fine.coarsened(fine.exponent + 7)
    np.testing.assert_array_equal(np.histogram(values, bins=coarse.edges)[0], coarse.counts)
    assert coarse.total == values.size


def test_integers_get_unit_bins_whose_values_are_the_integers():
    values = np.array([-5, -5, 0, 3, 3, 3, 7], dtype=np.int16)
    histogram = histogram_of(values, integer_valued=True)
    assert histogram.exponent == 0
    occupied = histogram.counts > 0
    np.testing.assert_array_equal(histogram.values[occupied], [-5, 0, 3, 7])
    np.testing.assert_array_equal(histogram.counts[occupied], [2, 1, 3, 1])
    assert histogram.mean() == pytest.approx(values.mean())


def test_quantiles_and_mean_are_close_to_numpy():
    values = np.random.default_rng(3).gamma(2.0, 1.5, 200_000)
    histogram = histogram_of(values, integer_valued=False)
    width = histogram.width
    for q in (0.001, 0.5, 0.999):
        assert histogram.quantile(q) == pytest.approx(np.quantile(values, q), abs=2 * width)
    assert histogram.mean() == pytest.approx(values.mean(), abs=width)


@pytest.mark.parametrize(("low", "high"), [(1e6 - 1, 1e6 + 1), (-1e300, 1e300), (5.0, 5.0), (0.0, 0.0), (-3e38, 3e38)])
def test_grid_exponent_keeps_indices_safe_and_fits(low, high):
    exponent = grid_exponent(low, high, integer_valued=False)
    histogram = histogram_of(np.array([low, high]), integer_valued=False)
    assert histogram.exponent == exponent
    assert histogram.counts.size <= MAX_BINS
    assert abs(histogram.first) < 2**53
    assert histogram.total == 2
