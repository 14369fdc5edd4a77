"""`portal_sensor` and `portal_nightly_scan`: new tomograms of followed portal datasets become runs."""

import json

import dagster as dg

from em_assets.core.portal.scan import ScanStep
from em_assets.dagster_support.tags import SOURCE_TAG
from em_assets.defs.resources import PORTAL_DATASETS_VARIABLE, PortalResource
from em_assets.defs.tomograms.jobs import tomogram_pipeline
from em_assets.defs.tomograms.partitions import tomogram_partitions

NIGHTLY_CRON = "0 3 * * *"


def _run_requests(keys: list[str]) -> list[dg.RunRequest]:
    return [dg.RunRequest(run_key=key, partition_key=key, tags={SOURCE_TAG: "cryoet-data-portal"}) for key in keys]


def _describe(step: ScanStep) -> str:
    where = "scan complete" if step.complete else f"scan continues after tomogram {step.next_after_id}"
    return f"{len(step.new_keys)} new of {step.listed} listed in {step.pages} page(s); {where}"


def _no_datasets(portal: PortalResource) -> dg.SkipReason | None:
    if portal.filters().dataset_ids:
        return None
    return dg.SkipReason(f"no portal datasets followed: set ${PORTAL_DATASETS_VARIABLE} or the resource's `datasets`")


@dg.sensor(
    job=tomogram_pipeline,
    default_status=dg.DefaultSensorStatus.STOPPED,
    minimum_interval_seconds=3600,
    description="Poll the followed CryoET Data Portal datasets; new tomograms become partitions and runs.",
)
def portal_sensor(context: dg.SensorEvaluationContext, portal: PortalResource) -> dg.SensorResult | dg.SkipReason:
    """Register unseen portal tomograms as `portal-<id>` partitions and run them, a bounded scan per tick."""
    skip = _no_datasets(portal)
    if skip is not None:
        return skip
    after_id = int(json.loads(context.cursor).get("after_id", 0)) if context.cursor else 0
    known = set(context.instance.get_dynamic_partitions(tomogram_partitions.name))
    step = portal.scan(known, after_id)
    context.log.info(_describe(step))
    cursor = json.dumps({"after_id": step.next_after_id})
    if not step.new_keys:
        return dg.SensorResult(skip_reason=dg.SkipReason(_describe(step)), cursor=cursor)
    return dg.SensorResult(
        run_requests=_run_requests(step.new_keys),
        dynamic_partitions_requests=[tomogram_partitions.build_add_request(step.new_keys)],
        cursor=cursor,
    )


@dg.schedule(
    cron_schedule=NIGHTLY_CRON,
    job=tomogram_pipeline,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly alternative to portal_sensor: one bounded scan from the start of the followed datasets.",
)
def portal_nightly_scan(
    context: dg.ScheduleEvaluationContext, portal: PortalResource
) -> list[dg.RunRequest] | dg.SkipReason:
    """Register unseen portal tomograms as partitions, then request one run per new partition."""
    skip = _no_datasets(portal)
    if skip is not None:
        return skip
    known = set(context.instance.get_dynamic_partitions(tomogram_partitions.name))
    step = portal.scan(known, 0)
    context.log.info(_describe(step))
    if not step.new_keys:
        return dg.SkipReason(_describe(step))
    context.instance.add_dynamic_partitions(tomogram_partitions.name, step.new_keys)
    return _run_requests(step.new_keys)
