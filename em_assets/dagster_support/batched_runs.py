"""Many small partitions in few runs: a multi-run backfill policy, and assets that materialise every
partition key of their run one after the other, each key with its own metadata and check evaluations.

A backfill of an asset with `BackfillPolicy.multi_run(max_partitions_per_run=N)` launches one run per
N partition keys (one pod each on Kubernetes), and `context.partition_keys` lists them; a sensor's
run has one key and goes the same way. Dagster 1.13's `AssetCheckResult` cannot name a partition (in a
run of a key range its evaluation has none), so `each_partition` turns the checks returned for one key
into `AssetCheckEvaluation`s of that key, against that key's materialisation; the check specs are
partitioned like the asset (a preview feature in 1.13, which is why dagster is pinned to one patch). A failing blocking check of any key still fails the step, so the run's
downstream steps stop for every key of that run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from em_assets.core.errors import InputError

DATASETS_PER_RUN_VARIABLE = "EM_ASSETS_SYNAPSE_DATASETS_PER_RUN"
DEFAULT_DATASETS_PER_RUN = 10

PartitionEvents = Iterator[dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output]


def datasets_per_run() -> int:
    """How many EM datasets one backfill run processes: $EM_ASSETS_SYNAPSE_DATASETS_PER_RUN, else 10."""
    text = os.environ.get(DATASETS_PER_RUN_VARIABLE, "")
    if not text:
        return DEFAULT_DATASETS_PER_RUN
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"${DATASETS_PER_RUN_VARIABLE}={text!r}", "expected a whole number of datasets, at least 1")
    return int(text)


def batched_backfill_policy() -> dg.BackfillPolicy:
    """A backfill policy launching one run per `datasets_per_run()` partition keys."""
    return dg.BackfillPolicy.multi_run(max_partitions_per_run=datasets_per_run())


def _target(context: dg.AssetExecutionContext, key: str) -> AssetCheckEvaluationTargetMaterializationData | None:
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[key]), limit=1
    ).records
    if not records:
        return None
    latest = records[0]
    return AssetCheckEvaluationTargetMaterializationData(
        run_id=latest.event_log_entry.run_id, storage_id=latest.storage_id, timestamp=latest.timestamp
    )


def each_partition(context: dg.AssetExecutionContext, materialize: Callable[[str], dg.MaterializeResult]) -> PartitionEvents:
    """Materialise every partition key of the run with `materialize(key)`, in order.

    Parameters
    ----------
    context
        The asset's execution context; its `partition_keys` are one key (a sensor's run) or a
        backfill's batch.
    materialize
        Writes one key's output and returns its `MaterializeResult`: that key's metadata and the
        results of the asset's checks on it.

    Yields
    ------
    dg.MaterializeResult | dg.AssetCheckEvaluation | dg.Output
        One materialisation (one event per key, each with its key's metadata), then every key's
        check evaluations, then the (empty) outputs of the selected checks.
    """
    specs = {
        spec.name: (output, spec)
        for output, spec in context.assets_def.check_specs_by_output_name.items()
        if spec.key in context.selected_asset_check_keys
    }
    results = {}
    for key in context.partition_keys:
        result = materialize(key)
        context.add_asset_metadata(dict(result.metadata or {}), partition_key=key)
        results[key] = [check for check in result.check_results or () if check.check_name in specs]
    yield dg.MaterializeResult()
    for key, checks in results.items():
        target = _target(context, key)
        for check in checks:
            spec = specs[check.check_name][1]
            yield dg.AssetCheckEvaluation(
                asset_key=context.asset_key,
                check_name=spec.name,
                passed=check.passed,
                metadata=check.metadata,
                target_materialization_data=target,
                severity=check.severity,
                description=check.description,
                blocking=spec.blocking,
                partition=key,
            )
    for output, _ in specs.values():
        yield dg.Output(None, output_name=output)
