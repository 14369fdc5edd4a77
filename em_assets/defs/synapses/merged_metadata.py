"""Asset `merged_metadata`: one table over every `em_dataset` partition, refreshed automatically."""

import dagster as dg

from em_assets.core.atomic import write_table
from em_assets.core.store import StoreLayout, is_valid_partition_key
from em_assets.core.synapses.metadata import (
    MergedMetadata,
    merge_metadata_tables,
    read_meta_csvs,
    unresolved_paths,
)
from em_assets.defs.automation import REFRESH_ON_ANY_PARTITION
from em_assets.defs.resources import StoreResource
from em_assets.defs.synapses.chunk_metadata import chunk_metadata
from em_assets.defs.synapses.partitions import em_dataset_partitions

CONSISTENT_IDS_CHECK = "synapse_ids_consistent_across_datasets"
PATHS_RESOLVE_CHECK = "tensor_paths_resolve"


def tensor_path(layout: StoreLayout, dataset: str, filename: str) -> str:
    """Where a dataset's tensor lives, relative to the store root."""
    return layout.relative(layout.processed_chunks_dir(dataset) / filename)


def merged_checks(merged: MergedMetadata, layout: StoreLayout) -> list[dg.AssetCheckResult]:
    """No synapse id with different values in two datasets (blocking); every path resolves (warning)."""
    unresolved = unresolved_paths(merged.table["path"], layout.store)
    return [
        dg.AssetCheckResult(
            check_name=CONSISTENT_IDS_CHECK,
            passed=not merged.conflicting_ids,
            description=f"{len(merged.conflicting_ids)} synapse ids differ between datasets",
            metadata={
                "conflicting_ids": merged.conflicting_ids[:50],
                "conflicts": dg.MetadataValue.md(merged.conflicts.head(20).to_markdown(index=False)),
            },
        ),
        dg.AssetCheckResult(
            check_name=PATHS_RESOLVE_CHECK,
            passed=not unresolved,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{len(unresolved)} of {len(merged.table)} tensor paths missing below {layout.store}",
            metadata={"missing": unresolved[:50]},
        ),
    ]


@dg.asset(
    group_name="synapse_chunks",
    deps=[chunk_metadata],
    kinds={"pandas", "parquet"},
    automation_condition=REFRESH_ON_ANY_PARTITION,
    check_specs=[
        dg.AssetCheckSpec(CONSISTENT_IDS_CHECK, asset="merged_metadata", blocking=True),
        dg.AssetCheckSpec(PATHS_RESOLVE_CHECK, asset="merged_metadata", blocking=False),
    ],
)
def merged_metadata(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Every dataset's meta.csv in one table with `dataset` and store-relative `path` columns."""
    layout = store.layout
    known = sorted(context.instance.get_dynamic_partitions(em_dataset_partitions.name))
    keys = [key for key in known if is_valid_partition_key(key)]
    invalid = [ascii(key) for key in known if not is_valid_partition_key(key)]
    if invalid:
        context.log.warning(f"skipped {len(invalid)} invalid em_dataset keys: {', '.join(invalid[:20])}")
    paths = {key: layout.meta_file(key) for key in keys}
    tables = read_meta_csvs({key: path for key, path in paths.items() if path.is_file()})
    merged = merge_metadata_tables(tables, lambda dataset, name: tensor_path(layout, dataset, name))
    csv_path, parquet_path = write_table(merged.table, *layout.merged_metadata_files())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(merged.table),
            "datasets": sorted(tables),
            "datasets_without_metadata": sorted(set(keys) - set(tables)),
            "invalid_dataset_keys": invalid,
            "dropped_duplicates": merged.dropped_duplicates,
            "preview": dg.MetadataValue.md(merged.table.head(10).to_markdown(index=False)),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "parquet": dg.MetadataValue.path(str(parquet_path)),
        },
        check_results=merged_checks(merged, layout),
    )
