"""Sensor `tomogram_landing_sensor`: new or changed tomograms in the landing folder become runs."""

import json

import dagster as dg

from em_assets.core.landing import scan_tomogram_landing
from em_assets.defs.store import StoreResource
from em_assets.defs.tomograms.jobs import tomogram_pipeline
from em_assets.defs.tomograms.partitions import tomogram_partitions


@dg.sensor(
    job=tomogram_pipeline,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)
def tomogram_landing_sensor(context: dg.SensorEvaluationContext, store: StoreResource) -> dg.SensorResult | dg.SkipReason:
    """Register `.zarr` folders and `.mrc` files in landing/tomograms/ as partitions and run them."""
    landing = store.layout.tomogram_landing
    scan = scan_tomogram_landing(landing)
    for path, reason in scan.refused.items():
        context.log.warning(f"skipping {path}: {reason}")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    changed = {key: e for key, e in scan.entries.items() if seen.get(key) != e.fingerprint}
    if not changed:
        return dg.SkipReason(f"no new or changed tomograms in {landing} ({len(scan.entries)} known)")
    known = set(context.instance.get_dynamic_partitions(tomogram_partitions.name))
    new_keys = sorted(set(changed) - known)
    run_requests = [
        dg.RunRequest(run_key=f"{key}:{entry.fingerprint}", partition_key=key, tags={"em_assets/source": str(entry.path)})
        for key, entry in sorted(changed.items())
    ]
    cursor = {**seen, **{key: entry.fingerprint for key, entry in changed.items()}}
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[tomogram_partitions.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(cursor, sort_keys=True),
    )
