"""The HTTPS mirror fetches chunks concurrently, within its per-host limit, with results identical to one at a time."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from em_assets.core.portal.bounded_pool import run_bounded
from em_assets.core.portal.ingest import ingest_tomogram
from em_assets.defs.resources import PortalResource
from em_assets_tests.fixtures.portal.portal_zarr import tree_bytes
from em_assets_tests.fixtures.portal.servers import PortalWorld


def test_concurrent_and_serial_mirrors_are_byte_identical(portal: PortalWorld, tmp_path: Path) -> None:
    serial, parallel = tmp_path / "serial" / "tomogram.zarr", tmp_path / "parallel" / "tomogram.zarr"
    one = ingest_tomogram(replace(portal.settings(), concurrency=1), 801, serial, level_spec="all")
    many = ingest_tomogram(replace(portal.settings(), concurrency=16), 801, parallel, level_spec="all")
    assert tree_bytes(serial) == tree_bytes(parallel)
    assert len(tree_bytes(serial)) == 1 + 1 + 3 * 2 + 8 + 1 + 1  # .zgroup, .zattrs, per level .zarray/.zattrs, chunks
    assert one.metadata == many.metadata


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_never_exceed_the_concurrency(
    portal: PortalWorld, tmp_path: Path, concurrency: int
) -> None:
    # 20 ms per answer keeps each request open long enough for the others to overlap it.
    portal.files.latency = 0.02
    try:
        ingest_tomogram(replace(portal.settings(), concurrency=concurrency), 773, tmp_path / "t.zarr", level_spec="0")
    finally:
        portal.files.latency = 0.0
    assert portal.files.peak_in_flight == concurrency


def test_progress_counts_up_to_the_total_once_per_chunk(portal: PortalWorld, tmp_path: Path) -> None:
    reports: list[tuple[int, int]] = []
    ingest_tomogram(portal.settings(), 773, tmp_path / "t.zarr", level_spec="0", progress=lambda d, t: reports.append((d, t)))
    assert reports == [(done, 8) for done in range(1, 9)]


def test_the_resource_passes_its_concurrency_on(portal: PortalWorld) -> None:
    assert PortalResource().settings().concurrency == 16
    assert PortalResource(concurrency=4).settings().concurrency == 4


@pytest.mark.parametrize("workers", [1, 4])
def test_a_failure_stops_new_work_and_running_work_finishes(workers: int) -> None:
    started: list[int] = []
    finished: list[int] = []

    def action(item: int) -> None:
        started.append(item)
        if item == 0:
            raise ValueError("item 0 is bad")
        time.sleep(0.02)
        finished.append(item)

    with pytest.raises(ValueError, match="item 0 is bad"):
        run_bounded(list(range(100)), action, workers=workers)
    # 99 items of 20 ms on 4 workers would take 0.5 s; the failure comes first and cancels the queue.
    assert 0 < len(started) < 50
    assert sorted(finished) == sorted(set(started) - {0})
    if workers == 1:
        assert started == [0]


def test_workers_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
        run_bounded([1], lambda item: None, workers=0)
