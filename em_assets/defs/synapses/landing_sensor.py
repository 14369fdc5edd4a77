"""Sensor `em_landing_sensor`: new or changed EM datasets in landing/em/ become partitions and runs."""

import dagster as dg

from em_assets.core.synapses.landing import scan_em_landing
from em_assets.dagster_support.landing_requests import landing_sensor_result
from em_assets.defs.resources import StoreResource
from em_assets.defs.synapses.jobs import synapse_chunks_pipeline
from em_assets.defs.synapses.partitions import em_dataset_partitions
from em_assets.defs.synapses.raw_em_chunks import raw_em_chunks


@dg.sensor(job=synapse_chunks_pipeline, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)
def em_landing_sensor(context: dg.SensorEvaluationContext, store: StoreResource) -> dg.SensorResult | dg.SkipReason:
    """Register each `landing/em/<dataset>/` with `em/` and `mask/` as a partition; run it once per change."""
    landing = store.layout.em_landing
    return landing_sensor_result(
        context,
        lambda: scan_em_landing(landing),
        em_dataset_partitions,
        f"EM datasets in {landing}",
        store.quiet_seconds(),
        raw_em_chunks.key,
    )
