"""The box-by-box pyramid on a real Dask cluster: byte-identical to `write_multiscale`, and a volume
bigger than one worker's memory limit ingests and gets contrast limits."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np

from em_assets.core.contrast.limits import contrast_report
from em_assets.core.contrast.sampled_voxels import summarize_slabs
from em_assets.core.parallel import dask_map
from em_assets.core.tomograms.distributed_ingest import ingest_landing_tomogram_boxes
from em_assets.core.tomograms.distributed_pyramid import (
    pyramid_boxes,
    write_multiscale_boxes,
)
from em_assets.core.tomograms.statistics import volume_statistics
from em_assets.core.tomograms.volumes import (
    open_multiscale,
    open_source_volume,
    write_multiscale,
)
from em_assets_tests.fixtures.dask_cluster import WORKER_MEMORY_LIMIT


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _write_mrc(path: Path, volume: np.ndarray) -> Path:
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(volume)
        mrc.voxel_size = (3.0, 2.0, 2.0)
    return path


def test_boxes_cover_the_volume_once_aligned_to_every_level() -> None:
    boxes = pyramid_boxes((301, 287, 263))
    covered = np.zeros((301, 287, 263), dtype=np.uint8)
    for box in boxes:
        assert all(lo % 128 == 0 and hi - lo <= 128 for lo, hi in box)
        covered[tuple(slice(lo, hi) for lo, hi in box)] += 1
    assert covered.min() == covered.max() == 1


def test_dask_pyramid_is_byte_identical_to_write_multiscale(tmp_path: Path, dask_cluster_client: object) -> None:
    # odd edges at every level, a NaN and an infinity: the trailing-plane crops and the statistics
    volume = np.random.default_rng(3).normal(size=(261, 197, 131)).astype(np.float32)
    volume[5, 6, 7], volume[260, 196, 130] = np.nan, np.inf
    source = _write_mrc(tmp_path / "odd.mrc", volume)
    opened = open_source_volume(source)
    write_multiscale(tmp_path / "threads.zarr", opened.data, opened.voxel_size, name="odd", n_levels=3)
    multiscale, statistics = write_multiscale_boxes(
        tmp_path / "dask.zarr", source, name="odd", n_levels=3, map_boxes=dask_map(dask_cluster_client)
    )
    reference, ours = _files(tmp_path / "threads.zarr"), _files(tmp_path / "dask.zarr")
    assert len(reference) > 50  # 5 x 4 x 3 + 3 x 2 x 2 + 2 x 1 x 1 chunks plus metadata
    assert reference.keys() == ours.keys()
    assert [name for name in reference if reference[name] != ours[name]] == []
    assert [a.shape for a in multiscale.arrays] == [(261, 197, 131), (130, 98, 65), (65, 49, 32)]
    assert statistics == volume_statistics(open_multiscale(tmp_path / "threads.zarr").array(0))
    assert statistics.n_nonfinite == 2


def test_a_volume_bigger_than_a_worker_ingests_and_gets_limits(tmp_path: Path, dask_cluster_client: object) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    # 448 x 512 x 512 float32 = 470 MB on disk, more than one worker's 384 MiB limit
    shape = (448, 512, 512)
    with mrcfile.new_mmap(landing / "big.mrc", shape=shape, mrc_mode=2) as mrc:
        rng = np.random.default_rng(0)
        for z in range(0, shape[0], 32):
            mrc.data[z : z + 32] = rng.normal(100.0, 15.0, size=(32, *shape[1:])).astype(np.float32)
    assert (landing / "big.mrc").stat().st_size > 1.1 * WORKER_MEMORY_LIMIT
    workers = set(dask_cluster_client.scheduler_info()["workers"])
    record, statistics = ingest_landing_tomogram_boxes(
        landing, "big", tmp_path / "raw", dask_map(dask_cluster_client)
    )
    assert record.shape == shape
    assert set(dask_cluster_client.scheduler_info()["workers"]) == workers  # no worker restarted for memory
    assert statistics.n_finite == np.prod(shape) and 0 < statistics.minimum < 100 < statistics.maximum
    level0 = open_multiscale(tmp_path / "raw" / "tomogram.zarr").array(0)
    with mrcfile.mmap(landing / "big.mrc", mode="r") as mrc:
        np.testing.assert_array_equal(level0[445:448, 500:], mrc.data[445:448, 500:])
    lowest = open_multiscale(tmp_path / "raw" / "tomogram.zarr").array(-1)
    summary = summarize_slabs(lowest, name="big", map_tiles=dask_map(dask_cluster_client))
    report = contrast_report(summary)
    for low, high in (report.gmm, report.cdf):
        assert statistics.minimum <= low < 100 < high <= statistics.maximum
