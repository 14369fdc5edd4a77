"""Run sensors, jobs and automation in process against the persistent Dagster instance."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from em_assets.dagster_support.tags import RUN_KEY_TAG, SENSOR_NAME_TAG
from em_assets.definitions import defs as load_definitions

Progress = Callable[[str], None]
QUIET_LOGGERS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def local_instance() -> dg.DagsterInstance:
    """The instance in DAGSTER_HOME (default ./.dagster), created with telemetry off if new."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.get()


def code_location() -> dg.Definitions:
    """The em_assets Definitions, as the webserver loads them."""
    return load_definitions()


@dataclass(frozen=True)
class RunOutcome:
    """One executed run request: its partition, whether it succeeded, and the in-process result."""

    job: str
    partition: str | None
    success: bool
    run_id: str
    result: dg.ExecuteInProcessResult = field(repr=False, compare=False)


def execute_run_request(
    defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest, job_name: str, sensor_name: str | None
) -> RunOutcome:
    """Execute one run request in process, tagged as the sensor daemon would tag it."""
    job = defs.resolve_job_def(request.job_name or job_name)
    tags = dict(request.tags)
    if sensor_name and request.run_key:
        tags.update({RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: sensor_name})
    result = job.execute_in_process(
        run_config={**QUIET_LOGGERS, **dict(request.run_config or {})},
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=list(request.asset_selection) if request.asset_selection else None,
        tags=tags,
        raise_on_error=False,
    )
    return RunOutcome(job.name, request.partition_key, result.success, result.run_id, result)


def already_ran(instance: dg.DagsterInstance, sensor_name: str, run_key: str) -> bool:
    """Whether a run with this sensor's run key exists already (the daemon skips those too)."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: sensor_name}))
    return bool(runs)


@dataclass(frozen=True)
class SensorTick:
    """What one tick did: the sensor's answer, the runs it executed and the cursor it left."""

    result: dg.SensorResult | dg.SkipReason
    outcomes: list[RunOutcome]
    cursor: str | None

    def check(self, partition: str, asset: str, check: str) -> dg.AssetCheckEvaluation:
        """The evaluation of `check` on `asset` in this tick's run of `partition`."""
        run = next(outcome.result for outcome in self.outcomes if outcome.partition == partition)
        key = dg.AssetCheckKey(dg.AssetKey(asset), check)
        return next(evaluation for evaluation in run.get_asset_check_evaluations() if evaluation.asset_check_key == key)


def evaluate_sensor(
    defs: dg.Definitions, instance: dg.DagsterInstance, sensor_name: str, cursor: str | None = None
) -> dg.SensorResult | dg.SkipReason:
    """Evaluate `sensor_name` once from `cursor` with the code location's resources, as the daemon does."""
    with dg.build_sensor_context(
        instance=instance, definitions=defs, sensor_name=sensor_name, cursor=cursor, resources=defs.resources
    ) as context:
        return defs.resolve_sensor_def(sensor_name)(context)


def run_sensor_once(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    sensor_name: str,
    cursor: str | None = None,
    progress: Progress = print,
) -> SensorTick:
    """Tick `sensor_name` once from `cursor`, register the partitions it asks for, execute its runs."""
    sensor = defs.resolve_sensor_def(sensor_name)
    result = evaluate_sensor(defs, instance, sensor_name, cursor)
    if isinstance(result, dg.SkipReason):
        progress(f"  {sensor_name}: {result.skip_message}")
        return SensorTick(result, [], cursor)
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    outcomes = []
    for request in result.run_requests or []:
        if request.run_key and already_ran(instance, sensor_name, request.run_key):
            progress(f"  {sensor_name}: {request.partition_key} already ran as {request.run_key}")
            continue
        progress(f"  {sensor_name}: running {request.partition_key} ...")
        outcome = execute_run_request(defs, instance, request, sensor.job_name, sensor_name)
        progress(f"  {sensor_name}: {request.partition_key} {'succeeded' if outcome.success else 'FAILED'}")
        outcomes.append(outcome)
    return SensorTick(result, outcomes, result.cursor)


@dataclass(frozen=True)
class AutomationTick:
    """What one evaluation of the automation conditions ran, and its cursor for the next one."""

    outcomes: list[RunOutcome]
    cursor: object


def run_automation_once(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: object = None, progress: Progress = print
) -> AutomationTick:
    """Evaluate every automation condition once (from `cursor`) and materialise what it requests."""
    logging.getLogger("dagster.automation_condition_tester").setLevel(logging.WARNING)
    evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    automated = sorted(key for key in graph.get_all_asset_keys() if graph.get(key).automation_condition)
    outcomes = []
    for key in (key for key in automated if evaluation.get_num_requested(key)):
        progress(f"  automation: refreshing {key.to_user_string()} ...")
        result = job.execute_in_process(
            run_config=QUIET_LOGGERS, instance=instance, asset_selection=[key], raise_on_error=False
        )
        outcomes.append(RunOutcome(job.name, None, result.success, result.run_id, result))
    return AutomationTick(outcomes, evaluation.cursor)
