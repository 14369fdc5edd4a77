"""What a landing sensor returns for a scan: new partitions, one run per new or changed item once it
has been quiet long enough, and one observation per refused item each time its refusal changes."""

from __future__ import annotations

import time
from collections.abc import Callable

import dagster as dg

from em_assets.core.landing import LandingScan
from em_assets.core.store import PARTITION_KEY_RULE
from em_assets.core.watch import (
    DEFAULT_MARGIN_SECONDS,
    LandingCursor,
    TickPlan,
    next_watermark,
    plan_tick,
)
from em_assets.dagster_support.tags import SOURCE_TAG

clock: Callable[[], float] = time.time


def refusal_observations(asset_key: dg.AssetKey, report: dict[str, str]) -> list[dg.AssetObservation]:
    """One run-less observation of `asset_key` per newly refused landing item, saying what is wrong."""
    return [
        dg.AssetObservation(
            asset_key=asset_key,
            description=f"landing item refused: {path}: {reason}",
            metadata={
                "landing_item": dg.MetadataValue.path(path),
                "problem": reason,
                "allowed_names": PARTITION_KEY_RULE,
            },
        )
        for path, reason in sorted(report.items())
    ]


def _skip_message(plan: TickPlan, scan: LandingScan, description: str, quiet_seconds: float) -> str:
    parts = [f"no new or changed {description} ({len(scan.entries)} known)"]
    if plan.waiting:
        names = ", ".join(entry.path.name for entry in plan.waiting[:10])
        parts.append(f"{len(plan.waiting)} waiting to stay unchanged for {quiet_seconds:g} s: {names}")
    if plan.report:
        parts += [f"refused {path}: {reason}" for path, reason in sorted(plan.report.items())]
    elif scan.refused:
        parts.append(f"{len(scan.refused)} refused items reported before")
    return "; ".join(parts)


def landing_sensor_result(
    context: dg.SensorEvaluationContext,
    scan_folder: Callable[[], LandingScan],
    partitions_def: dg.DynamicPartitionsDefinition,
    description: str,
    quiet_seconds: float,
    asset_key: dg.AssetKey,
) -> dg.SensorResult | dg.SkipReason:
    """Scan, then run new or changed items that stayed unchanged `quiet_seconds`, keyed `<key>:<fingerprint>`.

    A scan that raises (an unreadable landing folder) fails the tick and leaves the cursor as it was.
    """
    cursor = LandingCursor.from_json(context.cursor)
    started_ns, started = time.time_ns(), time.perf_counter()
    scan = scan_folder()
    watermark = next_watermark(
        cursor.watermark_ns, scan, started_ns, time.perf_counter() - started, DEFAULT_MARGIN_SECONDS
    )
    registered = set(context.instance.get_dynamic_partitions(partitions_def.name))
    plan = plan_tick(scan, cursor, registered, clock(), quiet_seconds, watermark)
    for path, reason in sorted(plan.report.items()):
        context.log.warning(f"refused {path}: {reason}")
    events = refusal_observations(asset_key, plan.report)
    next_cursor = plan.cursor.to_json()
    if not plan.ready:
        message = _skip_message(plan, scan, description, quiet_seconds)
        if next_cursor == context.cursor and not events:
            return dg.SkipReason(message)
        return dg.SensorResult(skip_reason=message, cursor=next_cursor, asset_events=events)
    new_keys = sorted({entry.key for entry in plan.ready} - registered)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{entry.key}:{entry.fingerprint}",
                partition_key=entry.key,
                tags={SOURCE_TAG: str(entry.path)},
            )
            for entry in plan.ready
        ],
        dynamic_partitions_requests=[partitions_def.build_add_request(new_keys)] if new_keys else [],
        cursor=next_cursor,
        asset_events=events,
    )
