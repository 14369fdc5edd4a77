"""The per-tomogram pipeline job that sensors target."""

import dagster as dg

from em_assets.defs.tomograms.partitions import tomogram_partitions

tomogram_pipeline = dg.define_asset_job(
    name="tomogram_pipeline",
    selection=dg.AssetSelection.groups("tomograms") - dg.AssetSelection.assets("tomogram_catalog"),
    partitions_def=tomogram_partitions,
    description="Ingest one tomogram and compute its contrast limits and Neuroglancer state.",
)
