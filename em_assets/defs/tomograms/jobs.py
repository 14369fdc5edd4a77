"""The per-tomogram pipeline job that sensors target."""

import dagster as dg

from em_assets.dagster_support.run_pods import RAW_TOMOGRAM_POD

tomogram_pipeline = dg.define_asset_job(
    name="tomogram_pipeline",
    selection=dg.AssetSelection.groups("tomograms") - dg.AssetSelection.assets("tomogram_catalog"),
    description="Ingest one tomogram and compute its contrast limits and Neuroglancer state.",
    tags=RAW_TOMOGRAM_POD,
)
