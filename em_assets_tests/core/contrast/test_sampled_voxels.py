"""Slab arithmetic, seeded sampling and slab summaries, for NumPy, Dask and zarr inputs."""

from __future__ import annotations

import math

import dask.array as da
import numpy as np
import pytest
import zarr

from em_assets.core.contrast.sampled_voxels import (
    load_slab_summary,
    resolve_z_radius,
    sample_count,
    sample_indices,
    save_slab_summary,
    slab_bounds,
    summarize_slabs,
)
from em_assets.core.errors import InputError


def expected_sample(volume: np.ndarray, z_radius: int | None, ratio: float | None, seed: int = 42) -> np.ndarray:
    """Issue 2's steps written out on the whole array: clip around the centre, flatten, seeded choice."""
    centre = 0.5 * volume.shape[0] - 0.5
    slab = volume
    if z_radius is not None:
        slab = volume[max(0, int(np.ceil(centre - z_radius))) : min(volume.shape[0], int(np.floor(centre + z_radius) + 1))]
    flat = slab.flatten()
    count = None if ratio is None else int(np.prod(volume.shape) * ratio)
    if count is None or count >= flat.size:
        return flat
    return np.random.default_rng(seed).choice(flat, count, replace=False)


def mixture_volume(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.0, shape).astype(np.float32)


def as_zarr(volume: np.ndarray, chunks: tuple[int, int, int], tmp_path) -> zarr.Array:
    array = zarr.create_array(str(tmp_path / "v.zarr"), shape=volume.shape, chunks=chunks, dtype=volume.dtype)
    array[:] = volume
    return array


def test_auto_radius_is_15_for_gmm_and_5_for_cdf():
    assert resolve_z_radius("auto", "gmm") == 15
    assert resolve_z_radius("auto", "cdf") == 5
    assert resolve_z_radius(None, "gmm") is None
    assert resolve_z_radius(np.int64(3), "cdf") == 3
    for bad in ("computed", 2.5, True):
        with pytest.raises(ValueError):
            resolve_z_radius(bad, "gmm")
    assert resolve_z_radius("auto", "percentile") == 5
    with pytest.raises(ValueError):
        resolve_z_radius("auto", "median")


@pytest.mark.parametrize(
    ("nz", "radius"), [(64, 15), (64, 5), (7, 1), (7, 0), (31, 15), (10, 15), (200, 15), (1, 0), (9, 4)]
)
def test_slab_bounds_follow_the_formula(nz, radius):
    centre = nz / 2 - 0.5
    lo, hi = slab_bounds(nz, radius)
    assert (lo, hi) == (max(0, math.ceil(centre - radius)), min(nz, math.floor(centre + radius) + 1))
    assert 0 <= lo <= hi <= nz
    assert (lo + hi - 1) / 2 == pytest.approx(centre) or lo == 0 or hi == nz


def test_slab_bounds_examples():
    assert slab_bounds(64, 15) == (17, 47)
    assert slab_bounds(64, 5) == (27, 37)
    assert slab_bounds(7, 1) == (2, 5)
    assert slab_bounds(8, 0) == (4, 4)
    assert slab_bounds(10, 15) == (0, 10)
    assert slab_bounds(12, None) == (0, 12)


def test_sample_count_uses_the_full_volume():
    assert sample_count((64, 10, 10), 0.3) == int(6400 * 0.3)
    assert sample_count((3, 3, 3), None) is None
    with pytest.raises(ValueError):
        sample_count((3, 3, 3), 0.0)


def test_sample_indices_all_when_not_smaller_than_the_slab():
    assert sample_indices(100, 100) is None
    assert sample_indices(100, 150) is None
    picked = sample_indices(100, 99)
    assert picked is not None and picked.size == 99 and np.unique(picked).size == 99


@pytest.mark.parametrize(("z_radius", "ratio"), [("auto", 0.3), (2, 0.3), (None, 0.05), ("auto", None), (3, 1.0)])
def test_numpy_samples_equal_the_reference(z_radius, ratio):
    volume = mixture_volume((40, 12, 10))
    summary = summarize_slabs(volume, name="t", z_radius=z_radius, downsampling_ratio=ratio)
    for method, slab in summary.slabs.items():
        radius = resolve_z_radius(z_radius, method)
        assert slab.z_bounds == slab_bounds(40, radius)
        np.testing.assert_array_equal(slab.samples, expected_sample(volume, radius, ratio))


def test_dask_and_zarr_samples_and_histograms_equal_numpy(tmp_path):
    volume = mixture_volume((48, 40, 36), seed=3)
    lazy = da.from_array(volume, chunks=((10, 7, 31), (13, 27), (36,)))
    stored = as_zarr(volume, (8, 16, 16), tmp_path)
    reference = summarize_slabs(volume, name="t")
    for data in (lazy, stored):
        summary = summarize_slabs(data, name="t")
        for method, slab in summary.slabs.items():
            np.testing.assert_array_equal(slab.samples, reference.slabs[method].samples)
            np.testing.assert_array_equal(slab.histogram.counts, reference.slabs[method].histogram.counts)
            assert slab.histogram.exponent == reference.slabs[method].histogram.exponent


def test_seed_changes_the_subset_sample():
    volume = mixture_volume((60, 8, 8))
    a = summarize_slabs(volume, name="t", seed=1).slabs["gmm"].samples
    b = summarize_slabs(volume, name="t", seed=2).slabs["gmm"].samples
    assert a.size == b.size == int(volume.size * 0.3)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, expected_sample(volume, 15, 0.3, seed=1))


def test_histogram_counts_every_finite_slab_voxel():
    volume = mixture_volume((40, 9, 9))
    volume[20, 0, :3] = [np.nan, np.inf, -np.inf]
    slab = summarize_slabs(volume, name="t", z_radius=4).slabs["gmm"]
    lo, hi = slab.z_bounds
    inside = volume[lo:hi]
    assert slab.n_voxels == inside.size
    assert slab.n_nonfinite == 3
    assert slab.histogram.total == inside.size - 3
    assert slab.minimum == np.nanmin(inside[np.isfinite(inside)])
    assert slab.maximum == np.nanmax(inside[np.isfinite(inside)])
    assert np.all(np.isfinite(slab.samples))
    assert slab.samples.size == inside.size - 3
    edges = slab.histogram.edges
    np.testing.assert_array_equal(np.histogram(inside[np.isfinite(inside)], bins=edges)[0], slab.histogram.counts)


def test_integer_volume_histogram_is_exact_and_samples_are_float32():
    rng = np.random.default_rng(5)
    volume = rng.integers(-128, 128, size=(20, 16, 16)).astype(np.int8)
    slab = summarize_slabs(volume, name="t", z_radius=None, downsampling_ratio=None).slabs["gmm"]
    assert slab.samples.dtype == np.float32
    np.testing.assert_array_equal(slab.samples, volume.reshape(-1).astype(np.float32))
    assert slab.histogram.exponent == 0
    counts = np.bincount(volume.reshape(-1).astype(np.int64) - int(volume.min()))
    np.testing.assert_array_equal(slab.histogram.counts, counts)


def test_save_and_load_round_trip(tmp_path):
    volume = mixture_volume((40, 10, 10))
    volume[19, 2, 2] = np.nan
    summary = summarize_slabs(volume, name="tomo-1")
    written = save_slab_summary(summary, tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(p.name for p in (tmp_path / "out").iterdir())
    loaded = load_slab_summary(tmp_path / "out")
    assert (loaded.name, loaded.shape, loaded.dtype) == (summary.name, summary.shape, summary.dtype)
    for method, slab in summary.slabs.items():
        other = loaded.slabs[method]
        np.testing.assert_array_equal(other.samples, slab.samples)
        np.testing.assert_array_equal(other.histogram.counts, slab.histogram.counts)
        np.testing.assert_array_equal(other.histogram.edges, slab.histogram.edges)
        assert (other.z_bounds, other.n_nonfinite, other.minimum, other.maximum) == (
            slab.z_bounds, slab.n_nonfinite, slab.minimum, slab.maximum
        )
    again = save_slab_summary(summary, tmp_path / "again")
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in again]


def test_loading_a_missing_summary_names_the_folder(tmp_path):
    with pytest.raises(InputError, match="not a readable slab summary"):
        load_slab_summary(tmp_path / "nothing")


def test_histogram_markdown_lists_bins():
    summary = summarize_slabs(mixture_volume((40, 10, 10)), name="t")
    table = summary.histogram_markdown()
    assert table.count("\n") >= 10
    assert "█" in table
