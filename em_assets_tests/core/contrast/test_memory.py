"""Bounded memory: a zarr volume larger than the allowed memory is read chunk by chunk."""

from __future__ import annotations

import tracemalloc
from itertools import product

import numpy as np
import pytest
import zarr

from em_assets.core.contrast.limits import compute_contrast_limits, contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs

SHAPE = (128, 512, 512)
CHUNKS = (16, 128, 128)
VOLUME_BYTES = int(np.prod(SHAPE)) * 4
ALLOWED_BYTES = 40 * 2**20


@pytest.fixture(scope="module")
def big_volume(tmp_path_factory: pytest.TempPathFactory) -> zarr.Array:
    """A 128 MiB float32 zarr array, written one chunk at a time."""
    array = zarr.create_array(
        str(tmp_path_factory.mktemp("big") / "v.zarr"), shape=SHAPE, chunks=CHUNKS, dtype=np.float32, compressors=None
    )
    for origin in product(*(range(0, n, c) for n, c in zip(SHAPE, CHUNKS, strict=True))):
        rng = np.random.default_rng(list(origin))
        dense = rng.random(CHUNKS) < 0.2
        block = np.where(dense, rng.normal(-2.0, 0.8, CHUNKS), rng.normal(0.0, 1.0, CHUNKS)).astype(np.float32)
        array[tuple(slice(o, o + c) for o, c in zip(origin, CHUNKS, strict=True))] = block
    return zarr.open_array(array.store_path.store.root, mode="r")


def peak_bytes(work) -> tuple[object, int]:
    """Run `work` and return its result and the peak of traced allocations meanwhile."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("method", ["gmm", "cdf"])
def test_fast_limits_of_the_whole_volume_stay_under_the_allowance(big_volume, method):
    limits, peak = peak_bytes(lambda: compute_contrast_limits(big_volume, method, z_radius=None))
    assert ALLOWED_BYTES < VOLUME_BYTES / 3
    assert peak < ALLOWED_BYTES
    assert -6.0 < limits[0] < limits[1] < 6.0


def test_pipeline_memory_is_the_slab_sample_plus_an_allowance(big_volume):
    def pipeline():
        summary = summarize_slabs(big_volume, name="big")
        return summary, contrast_report(summary)

    (summary, report), peak = peak_bytes(pipeline)
    sample_bytes = sum(slab.samples.nbytes for slab in summary.slabs.values())
    assert sample_bytes < VOLUME_BYTES / 2
    assert peak < sample_bytes + ALLOWED_BYTES
    assert report.gmm[0] < report.gmm[1]
