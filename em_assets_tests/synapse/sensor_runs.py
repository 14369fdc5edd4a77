"""Tick `em_landing_sensor` as the daemon would (with the top-level resources) and run its requests."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

SENSOR = "em_landing_sensor"


@dataclass(frozen=True)
class Tick:
    """One sensor evaluation: its result and the in-process run of each request, by partition."""

    result: dg.SensorResult | dg.SkipReason
    runs: dict[str, dg.ExecuteInProcessResult]

    @property
    def outcomes(self) -> list[tuple[str, bool]]:
        """Each executed request's partition and whether its run succeeded."""
        return [(partition, run.success) for partition, run in self.runs.items()]

    def check(self, partition: str, asset: str, check: str) -> dg.AssetCheckEvaluation:
        """The evaluation of `check` on `asset` in the run of `partition`."""
        return next(
            evaluation
            for evaluation in self.runs[partition].get_asset_check_evaluations()
            if evaluation.asset_check_key == dg.AssetCheckKey(dg.AssetKey(asset), check)
        )

    @property
    def cursor(self) -> str | None:
        """The cursor the tick left (None when it skipped)."""
        return self.result.cursor if isinstance(self.result, dg.SensorResult) else None


def evaluate_sensor(
    definitions: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None
) -> dg.SensorResult | dg.SkipReason:
    """Evaluate the sensor once from `cursor`."""
    with dg.build_sensor_context(
        instance=instance,
        definitions=definitions,
        sensor_name=SENSOR,
        cursor=cursor,
        resources=definitions.resources,
    ) as context:
        return definitions.resolve_sensor_def(SENSOR)(context)


def tick_and_run(
    definitions: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None
) -> Tick:
    """Evaluate the sensor, add the partitions it asks for and execute its run requests in process."""
    result = evaluate_sensor(definitions, instance, cursor)
    if isinstance(result, dg.SkipReason):
        return Tick(result, {})
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    job = definitions.resolve_job_def(definitions.resolve_sensor_def(SENSOR).job_name)
    runs = {
        request.partition_key: job.execute_in_process(
            instance=instance, partition_key=request.partition_key, tags=request.tags, raise_on_error=False
        )
        for request in result.run_requests
    }
    return Tick(result, runs)
