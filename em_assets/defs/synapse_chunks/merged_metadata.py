"""Asset `merged_metadata`: one table over every `em_dataset` partition, refreshed automatically."""

import dagster as dg

from em_assets.core.chunk_metadata import read_meta_csv
from em_assets.core.metadata_merge import MergedMetadata, merge_metadata_tables
from em_assets.core.storage import StoreLayout
from em_assets.core.tables import write_table
from em_assets.defs.store import StoreResource
from em_assets.defs.synapse_chunks.chunk_metadata import META_FILE, chunk_metadata
from em_assets.defs.synapse_chunks.partitions import em_dataset_partitions
from em_assets.defs.table_metadata import table_preview

CONSISTENT_IDS_CHECK = "synapse_ids_consistent_across_datasets"
PATHS_RESOLVE_CHECK = "tensor_paths_resolve"
REFRESH_WHEN_ANY_DATASET_CHANGES = dg.AutomationCondition.eager().without(
    ~dg.AutomationCondition.any_deps_missing()
)


def tensor_path(layout: StoreLayout, dataset: str, filename: str) -> str:
    """Where a dataset's tensor lives, relative to the store root."""
    return (layout.asset_dir("processed_chunks", dataset) / filename).relative_to(layout.store).as_posix()


def merged_checks(merged: MergedMetadata, layout: StoreLayout) -> list[dg.AssetCheckResult]:
    """No synapse id with different values in two datasets (blocking); every path resolves (warning)."""
    unresolved = [path for path in merged.table["path"] if not (layout.store / path).is_file()]
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
    automation_condition=REFRESH_WHEN_ANY_DATASET_CHANGES,
    check_specs=[
        dg.AssetCheckSpec(CONSISTENT_IDS_CHECK, asset="merged_metadata", blocking=True),
        dg.AssetCheckSpec(PATHS_RESOLVE_CHECK, asset="merged_metadata", blocking=False),
    ],
)
def merged_metadata(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Every dataset's meta.csv in one table with `dataset` and store-relative `path` columns."""
    layout = store.layout
    keys = sorted(context.instance.get_dynamic_partitions(em_dataset_partitions.name))
    paths = {key: layout.asset_dir("chunk_metadata", key) / META_FILE for key in keys}
    tables = {key: read_meta_csv(path) for key, path in paths.items() if path.is_file()}
    merged = merge_metadata_tables(tables, lambda dataset, name: tensor_path(layout, dataset, name))
    csv_path, parquet_path = write_table(merged.table, layout.asset_dir("merged_metadata"), "merged_metadata")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(merged.table),
            "datasets": sorted(tables),
            "datasets_without_metadata": sorted(set(keys) - set(tables)),
            "dropped_duplicates": merged.dropped_duplicates,
            "preview": table_preview(merged.table),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "parquet": dg.MetadataValue.path(str(parquet_path)),
        },
        check_results=merged_checks(merged, layout),
    )
