"""The per-dataset job the EM landing sensor runs: pairing, tensors and the dataset's metadata."""

import dagster as dg

from em_assets.dagster_support.run_pods import PROCESSED_CHUNKS_POD

synapse_chunks_pipeline = dg.define_asset_job(
    name="synapse_chunks_pipeline",
    selection=dg.AssetSelection.groups("synapse_chunks") - dg.AssetSelection.assets("merged_metadata"),
    description="Pair one EM dataset's chunks, write its training tensors and its meta.csv.",
    tags=PROCESSED_CHUNKS_POD,
)
