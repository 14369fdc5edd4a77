"""Run monitoring on one machine: a run whose process is gone (killed, crashed) is marked failed.

Dagster's run monitoring (`run_monitoring` in `deploy/dagster/local.yaml`, run by the daemon of
`make dev`) asks the instance's run launcher whether each started run's worker still lives, and
fails the run if not; the default launcher cannot say, so a run whose process was killed stayed
STARTED forever. `LocalRunLauncher` launches runs as the default one does and answers that question
from the process that started the run (the pid of its RUN_START event, and that process's start
time, so that a reused pid does not count): the run worker of a launched run, or the
`dagster asset materialize` process itself. Every job runs its steps in that one process
(`defs/executor.py`), so no step process outlives it. The pid is only meaningful on the machine
that ran it: this launcher is for one-machine instances, where runs and the daemon share a host.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus

# /proc/<pid>/stat fields after the command name: state is field 3, start time (clock ticks after boot) field 22.
STATE_FIELD, START_FIELD = 0, 19
# The boot time in /proc/stat has whole seconds; a process started this soon after the run is the same one.
START_SLACK_SECONDS = 1.0


def process_start_time(pid: int) -> float | None:
    """When live process `pid` started (Unix time), or None if it is gone or a zombie.

    Without /proc (not Linux) a live pid answers 0.0 (started at an unknown time).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    if fields[STATE_FIELD] in ("Z", "X"):
        return None
    boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
    return boot + int(fields[START_FIELD]) / os.sysconf("SC_CLK_TCK")


class LocalRunLauncher(DefaultRunLauncher):
    """The default run launcher, and a health check for run monitoring: is the run's process alive?"""

    @property
    def supports_check_run_worker_health(self) -> bool:
        """Run monitoring may ask this launcher about every started run."""
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        """RUNNING while the process that started `run` lives, NOT_FOUND (the run is failed) once it is gone."""
        starts = self._instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START)
        if not starts or starts[-1].dagster_event is None or starts[-1].dagster_event.pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run process recorded yet")
        start = starts[-1]
        pid = start.dagster_event.pid
        started = process_start_time(pid)
        if started is not None and started <= start.timestamp + START_SLACK_SECONDS:
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run process {pid} is alive", run_worker_id=str(pid))
        return CheckRunHealthResult(
            WorkerStatus.NOT_FOUND,
            f"the process that ran it (pid {pid}) is gone: it was killed or crashed before the run ended",
            run_worker_id=str(pid),
        )
