"""Asset `chunk_metadata`: one dataset's `meta.csv`, as the notebook wrote it, with volume statistics."""

from pathlib import Path

import dagster as dg
import pandas as pd

from em_assets.core.store import META_FILE
from em_assets.core.synapses.batch import read_manifest_records
from em_assets.core.synapses.metadata import VOLUME_COLUMNS, write_meta_csv
from em_assets.dagster_support.batched_runs import PartitionEvents, each_partition
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import StoreResource
from em_assets.defs.synapses.partitions import em_dataset_asset, em_dataset_check
from em_assets.defs.synapses.processed_chunks import processed_chunks

ROWS_MATCH_CHECK = "rows_match_tensors"
ROWS_MATCH_CHECK_SPEC = em_dataset_check(
    ROWS_MATCH_CHECK,
    asset="chunk_metadata",
    blocking=True,
    description="Fails unless synapse ids are unique and every row's tensor file exists.",
)
PREVIEW_ROWS = 10
META_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("synapse_id", "string", description="as in the file names, leading zeros kept"),
        dg.TableColumn("filename", "string", description="tensor file in processed_chunks/<dataset>/"),
        dg.TableColumn("pre_synaptic_volume", "float", description="5 x voxels labelled 1 (cropped)"),
        dg.TableColumn("post_synaptic_volume", "float", description="5 x voxels labelled 3 (cropped)"),
        dg.TableColumn("synaptic_cleft_volume", "float", description="5 x voxels labelled 2 (cropped)"),
        dg.TableColumn("n_cutout_sections", "int", description="kept sections above the cutout threshold"),
    ]
)


def rows_match_tensors(table: pd.DataFrame, tensor_dir: Path) -> dg.AssetCheckResult:
    """Synapse ids are unique and every row's tensor file exists."""
    missing = [name for name in table["filename"] if not (tensor_dir / name).is_file()]
    repeated = sorted(set(table["synapse_id"][table["synapse_id"].duplicated()]))
    return dg.AssetCheckResult(
        check_name=ROWS_MATCH_CHECK,
        passed=not missing and not repeated,
        description=f"{len(table)} rows, {len(missing)} missing tensors, {len(repeated)} repeated ids",
        metadata={"missing_tensors": missing[:50], "repeated_ids": repeated[:50]},
    )


@em_dataset_asset(
    deps=[processed_chunks],
    kinds={"pandas", "csv"},
    check_specs=[ROWS_MATCH_CHECK_SPEC],
)
def chunk_metadata(context: dg.AssetExecutionContext, store: StoreResource) -> PartitionEvents:
    """The dataset's `meta.csv`: synapse id, tensor file, pre/post/cleft volumes, cutout sections."""
    yield from each_partition(context, lambda key: write_dataset_metadata(context, store, key))


def write_dataset_metadata(context: dg.AssetExecutionContext, store: StoreResource, key: str) -> dg.MaterializeResult:
    """Write and publish dataset `key`'s `meta.csv`."""
    inputs = {"processed_chunks": store.layout.processed_chunks_dir(key)}
    with publication(store.layout, context.asset_key.to_user_string(), key, inputs) as staged:
        records = read_manifest_records(store.layout.manifest_file(key))
        table = write_meta_csv(records, staged.path / META_FILE)
        checks = [rows_match_tensors(table, store.layout.tensor_dir(key))]
        published = staged.finish(checks, {ROWS_MATCH_CHECK})
    target = store.layout.meta_file(key)
    volumes = table.loc[:, list(VOLUME_COLUMNS)].describe().round(1)
    cutouts = table["n_cutout_sections"].value_counts().sort_index()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "dagster/column_schema": META_SCHEMA,
            "volumes": dg.MetadataValue.md(volumes.to_markdown()),
            "cutout_sections": dg.MetadataValue.md(
                cutouts.rename_axis("n_cutout_sections").rename("synapses").to_frame().to_markdown()
            ),
            "preview": dg.MetadataValue.md(table.head(PREVIEW_ROWS).to_markdown(index=False)),
            "path": dg.MetadataValue.path(str(target)),
            **published,
        },
        check_results=checks,
    )
