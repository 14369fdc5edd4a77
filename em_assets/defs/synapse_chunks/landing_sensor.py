"""Sensor `em_landing_sensor`: new or changed EM datasets in landing/em/ become partitions and runs."""

import json

import dagster as dg

from em_assets.core.chunk_landing import scan_em_landing
from em_assets.defs.store import StoreResource
from em_assets.defs.synapse_chunks.jobs import synapse_chunks_pipeline
from em_assets.defs.synapse_chunks.partitions import em_dataset_partitions


@dg.sensor(
    job=synapse_chunks_pipeline,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def em_landing_sensor(
    context: dg.SensorEvaluationContext, store: StoreResource
) -> dg.SensorResult | dg.SkipReason:
    """Register each `landing/em/<dataset>/` with `em/` and `mask/` as a partition; run it once per change."""
    landing = store.layout.em_landing
    scan = scan_em_landing(landing)
    for path, reason in scan.refused.items():
        context.log.warning(f"skipping {path}: {reason}")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    changed = {key: dataset for key, dataset in scan.entries.items() if seen.get(key) != dataset.fingerprint}
    if not changed:
        return dg.SkipReason(f"no new or changed EM datasets in {landing} ({len(scan.entries)} known)")
    known = set(context.instance.get_dynamic_partitions(em_dataset_partitions.name))
    new_keys = sorted(set(changed) - known)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{key}:{dataset.fingerprint}",
                partition_key=key,
                tags={"em_assets/source": str(dataset.path)},
            )
            for key, dataset in sorted(changed.items())
        ],
        dynamic_partitions_requests=[em_dataset_partitions.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps({**seen, **{key: d.fingerprint for key, d in changed.items()}}, sort_keys=True),
    )
