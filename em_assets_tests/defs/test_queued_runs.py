"""Runs through the daemon's run queue (as sensors, backfills and the UI launch them): a second run of a
partition stays QUEUED, holding no pool slot, until the first has ended (the deployment profiles'
per-partition run limit); a run of another partition is launched and completes meanwhile.

The test holds the partition's lock itself, so that the first run is surely still in progress.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import dagster as dg
import pytest

from em_assets.core.store import StoreLayout
from em_assets_tests.fixtures.cli_runs import BIN, holding_lock, lock_wait_text, logged, wait_for, write_inputs
from em_assets_tests.fixtures.kill_checks import leftovers

JOBS = {"tomograms": "tomogram_pipeline", "synapses": "synapse_chunks_pipeline"}
RUN_SECONDS = 180.0


def submit(workspace: Path, group: str, partitions: list[str]) -> list[str]:
    """Submit a run of each of `partitions` (the job of `group`) to the instance's run queue, all at
    once; their run ids, in the order of `partitions`."""
    run_ids = [str(uuid.uuid4()) for _ in partitions]
    processes = []
    for partition, run_id in zip(partitions, run_ids, strict=True):
        command = [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", JOBS[group]]
        command += ["--tags", json.dumps({"dagster/partition": partition}), "--run-id", run_id]
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    for process in processes:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output.decode()[-3000:]
    return run_ids


def ended(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    """Run `run_id` once it has ended."""
    run = instance.get_run_by_id(run_id)
    return run if run.is_finished else None


def event_time(instance: dg.DagsterInstance, run_id: str, of_type: dg.DagsterEventType) -> float:
    """When run `run_id` logged its (only) event `of_type`."""
    (event,) = instance.all_logs(run_id, of_type=of_type)
    return event.timestamp


@pytest.mark.parametrize("group", ["tomograms", "synapses"])
def test_a_second_run_of_a_partition_stays_queued_while_another_partition_runs(
    local_profile_instance: dg.DagsterInstance, queue_workspace: Path, layout: StoreLayout, group: str
) -> None:
    instance = local_profile_instance
    busy, other = write_inputs(instance, layout, group, count=2)
    waiting = lock_wait_text(group, busy)
    with holding_lock(layout, group, busy):
        *both, meanwhile = submit(queue_workspace, group, [busy, busy, other])

        def launched_first() -> str | None:
            return next((run_id for run_id in both if logged(instance, run_id, waiting)), None)

        first = wait_for(launched_first, "one run of the partition to be launched and wait for its lock")
        (second,) = set(both) - {first}
        assert wait_for(lambda: ended(instance, meanwhile), "the other partition's run", RUN_SECONDS).is_success
        assert instance.get_run_by_id(first).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(second).status == dg.DagsterRunStatus.QUEUED
    for run_id in (first, second):
        assert wait_for(lambda: ended(instance, run_id), f"run {run_id}", RUN_SECONDS).is_success  # noqa: B023
    first_end = event_time(instance, first, dg.DagsterEventType.RUN_SUCCESS)
    assert event_time(instance, second, dg.DagsterEventType.RUN_STARTING) >= first_end
    assert leftovers(layout.store) == []
