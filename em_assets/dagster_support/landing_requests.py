"""What a landing sensor returns for a scan: new partitions and one run per new or changed entry."""

import json

import dagster as dg

from em_assets.core.landing import LandingScan
from em_assets.dagster_support.tags import SOURCE_TAG


def landing_sensor_result(
    context: dg.SensorEvaluationContext,
    scan: LandingScan,
    partitions_def: dg.DynamicPartitionsDefinition,
    description: str,
) -> dg.SensorResult | dg.SkipReason:
    """Runs for entries whose fingerprint differs from the cursor's, keyed `<key>:<fingerprint>`."""
    for path, reason in scan.refused.items():
        context.log.warning(f"skipping {path}: {reason}")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    changed = {key: entry for key, entry in scan.entries.items() if seen.get(key) != entry.fingerprint}
    if not changed:
        return dg.SkipReason(f"no new or changed {description} ({len(scan.entries)} known)")
    known = set(context.instance.get_dynamic_partitions(partitions_def.name))
    new_keys = sorted(set(changed) - known)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{key}:{entry.fingerprint}",
                partition_key=key,
                tags={SOURCE_TAG: str(entry.path)},
            )
            for key, entry in sorted(changed.items())
        ],
        dynamic_partitions_requests=[partitions_def.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps({**seen, **{key: entry.fingerprint for key, entry in changed.items()}}, sort_keys=True),
    )
