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
from em_assets_tests.fixtures.cli_runs import (
    materialize,
    run_of,
    session_processes,
    step_event,
    wait_for,
    write_inputs,
)
from em_assets_tests.fixtures.kill_checks import leftovers
from em_assets_tests.fixtures.kill_runner import GROUP_ASSETS

# A kill that comes too late (the run ended first) is tried again.
ATTEMPTS = 4
KILLED = "is gone: it was killed or crashed before the run ended"


def kill_mid_run(instance: dg.DagsterInstance, group: str, partition: str, log: Path) -> dg.DagsterRun | None:
    """Start a run, SIGKILL its process once its second step has started; the run, or None if it ended first."""
    seen = {run.run_id for run in instance.get_runs()}
    process = materialize(group, partition, log)
    run = wait_for(lambda: run_of(instance, partition, seen), "the run to start")
    second = GROUP_ASSETS[group][0][1]
    wait_for(lambda: step_event(instance, run.run_id, second) or process.poll() is not None, f"step {second}")
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
    (partition,) = write_inputs(instance, layout, group)
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
