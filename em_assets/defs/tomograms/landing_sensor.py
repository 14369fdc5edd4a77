"""Sensor `tomogram_landing_sensor`: new or changed tomograms in the landing folder become runs."""

import dagster as dg

from em_assets.core.tomograms.landing import scan_tomogram_landing
from em_assets.dagster_support.landing_requests import landing_sensor_result
from em_assets.defs.resources import StoreResource
from em_assets.defs.tomograms.jobs import tomogram_pipeline
from em_assets.defs.tomograms.partitions import tomogram_partitions
from em_assets.defs.tomograms.raw_tomogram import raw_tomogram


@dg.sensor(job=tomogram_pipeline, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=30)
def tomogram_landing_sensor(
    context: dg.SensorEvaluationContext, store: StoreResource
) -> dg.SensorResult | dg.SkipReason:
    """Register `.zarr` folders and `.mrc` files in landing/tomograms/ as partitions and run them."""
    landing = store.layout.tomogram_landing
    return landing_sensor_result(
        context,
        lambda: scan_tomogram_landing(landing),
        tomogram_partitions,
        f"tomograms in {landing}",
        store.quiet_seconds(),
        raw_tomogram.key,
    )
