"""Two `dagster asset materialize` runs of one partition at once: they take turns at the partition's
lock, both succeed, and the partition is byte-identical to one uninterrupted run's; a run of another
partition meanwhile runs to the end.

The test holds the partition's lock itself until both runs wait for it, so they surely overlap. A run
started outside the run queue waits for the lock inside its step, holding that step's pool slot (the
run queue keeps a second run of a partition queued instead: `test_queued_runs.py`); the other
partition's run starts before the second run waits, so that it finds an ingest slot free.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
import pytest

from em_assets.core.store import StoreLayout
from em_assets_tests.fixtures.cli_runs import holding_lock, lock_wait_text, logged, materialize, run_of, step_event, wait_for, write_inputs
from em_assets_tests.fixtures.kill_checks import Snapshot, leftovers, snapshot
from em_assets_tests.fixtures.kill_runner import GROUP_ASSETS

RUN_SECONDS = 180


def partition_state(layout: StoreLayout, group: str, partition: str) -> dict[str, Snapshot]:
    """Every published folder of `partition`'s chain of `group`, by asset."""
    return {asset: snapshot(layout.asset_output_dir(asset, partition)) for asset in GROUP_ASSETS[group][0]}


def finished(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    """Run `run_id` once it has ended."""
    run = instance.get_run_by_id(run_id)
    return run if run.is_finished else None


def start_waiting(
    instance: dg.DagsterInstance, group: str, partition: str, log: Path
) -> tuple[subprocess.Popen, dg.DagsterRun]:
    """Start a run of `partition` and return once it waits for the partition's lock in its first step."""
    seen = {run.run_id for run in instance.get_runs()}
    process = materialize(group, partition, log)
    run = wait_for(lambda: run_of(instance, partition, seen), f"a run of {partition} to start")
    waiting = lock_wait_text(group, partition)
    wait_for(lambda: logged(instance, run.run_id, waiting), f"run {run.run_id} to wait for the lock")
    return process, run


def succeeds(process: subprocess.Popen, log: Path) -> None:
    """Wait for a `dagster asset materialize` process and assert it succeeded."""
    assert process.wait(timeout=RUN_SECONDS) == 0, log.read_text()[-3000:]


@pytest.mark.parametrize("group", ["tomograms", "synapses"])
def test_two_runs_of_one_partition_take_turns_and_another_partition_runs_meanwhile(
    local_profile_instance: dg.DagsterInstance, layout: StoreLayout, tmp_path: Path, group: str
) -> None:
    instance = local_profile_instance
    busy, other = write_inputs(instance, layout, group, count=2)
    succeeds(materialize(group, busy, tmp_path / "reference.log"), tmp_path / "reference.log")
    expected = partition_state(layout, group, busy)
    first_asset = GROUP_ASSETS[group][0][0]

    with holding_lock(layout, group, busy):
        first, first_run = start_waiting(instance, group, busy, tmp_path / "first.log")
        meanwhile = materialize(group, other, tmp_path / "other.log")
        other_run = wait_for(lambda: run_of(instance, other), f"a run of {other} to start")
        wait_for(
            lambda: step_event(instance, other_run.run_id, first_asset, dg.DagsterEventType.STEP_SUCCESS),
            f"{first_asset} of {other} to succeed",
        )
        second, second_run = start_waiting(instance, group, busy, tmp_path / "second.log")
        succeeds(meanwhile, tmp_path / "other.log")
        assert instance.get_run_by_id(other_run.run_id).status == dg.DagsterRunStatus.SUCCESS
        assert not instance.get_run_by_id(first_run.run_id).is_finished
        assert not instance.get_run_by_id(second_run.run_id).is_finished
        assert partition_state(layout, group, busy) == expected
    succeeds(first, tmp_path / "first.log")
    succeeds(second, tmp_path / "second.log")
    for run in (first_run, second_run):
        assert wait_for(lambda: finished(instance, run.run_id), "the run to end").status == dg.DagsterRunStatus.SUCCESS
    assert partition_state(layout, group, busy) == expected
    assert leftovers(layout.store) == []
