"""SIGKILL of `dagster asset materialize`: nothing of it survives, the daemon's run monitoring marks
the run failed (killed), and a re-run succeeds and leaves no temporary folder."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher import WorkerStatus

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets_tests.fixtures.cli_runs import (
    materialize,
    run_of,
    session_processes,
    step_started,
    wait_for,
)
from em_assets_tests.fixtures.kill_checks import leftovers
from em_assets_tests.fixtures.kill_runner import GROUP_ASSETS, GROUP_PARTITIONS

# Big enough that the second step is still running when the test sees it start (a kill that comes
# too late is tried again); small enough for a few seconds per run.
TOMOGRAM = DemoTomogram("t", (64, 192, 192), 10.0, "mrc", lambda v: (2e4 * v).astype("float32"), seed=5)
ATTEMPTS = 4
KILLED = "is gone: it was killed or crashed before the run ended"


def write_inputs(layout: StoreLayout, group: str) -> str:
    """One partition's landing input of `group`; returns its key."""
    if group == "tomograms":
        write_demo_tomogram(layout.tomogram_landing, TOMOGRAM)
        return TOMOGRAM.name
    return write_demo_em_datasets(layout.em_landing, chunks_per_dataset=4, size=96)[0].name


def kill_mid_run(instance: dg.DagsterInstance, group: str, partition: str, log: Path) -> dg.DagsterRun | None:
    """Start a run, SIGKILL its process once its second step has started; the run, or None if it ended first."""
    seen = {run.run_id for run in instance.get_runs()}
    process = materialize(group, partition, log)
    run = wait_for(lambda: run_of(instance, partition, seen), "the run to start")
    second = GROUP_ASSETS[group][0][1]
    wait_for(lambda: step_started(instance, run.run_id, second) or process.poll() is not None, f"step {second}")
    health = instance.run_launcher.check_run_worker_health(instance.get_run_by_id(run.run_id))
    process.kill()
    process.wait(timeout=30)
    if process.returncode != -signal.SIGKILL:
        return None
    assert health.status == WorkerStatus.RUNNING, health
    wait_for(lambda: not session_processes(process.pid), "every process of the killed run to end", timeout=30)
    return run


@pytest.mark.parametrize("group", ["tomograms", "synapses"])
def test_a_killed_materialize_leaves_no_process_is_marked_failed_and_a_rerun_completes(
    local_profile_instance: dg.DagsterInstance, daemon: subprocess.Popen, layout: StoreLayout, tmp_path: Path, group: str
) -> None:
    instance = local_profile_instance
    partition = write_inputs(layout, group)
    instance.add_dynamic_partitions(GROUP_PARTITIONS[group], [partition])
    killed = None
    for attempt in range(ATTEMPTS):
        killed = kill_mid_run(instance, group, partition, tmp_path / f"killed-{attempt}.log")
        if killed is not None:
            break
    assert killed is not None, f"every one of {ATTEMPTS} runs ended before it could be killed"

    def terminal() -> dg.DagsterRun | None:
        run = instance.get_run_by_id(killed.run_id)
        return run if run.is_finished else None

    run = wait_for(terminal, "run monitoring to end the killed run", timeout=60)
    assert run.status == dg.DagsterRunStatus.FAILURE
    failures = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert any(KILLED in event.message for event in failures), [event.message for event in failures]

    rerun = materialize(group, partition, tmp_path / "rerun.log")
    assert rerun.wait(timeout=180) == 0, (tmp_path / "rerun.log").read_text()[-3000:]
    assert run_of(instance, partition).status == dg.DagsterRunStatus.SUCCESS
    assert leftovers(layout.store) == []
    wait_for(lambda: not session_processes(rerun.pid), "every process of the re-run to end", timeout=30)
    assert os.path.isdir(layout.asset_output_dir(GROUP_ASSETS[group][0][-1], partition))
