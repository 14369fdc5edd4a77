"""Asset `merged_metadata`: one table over every `em_dataset` partition, refreshed automatically."""

from pathlib import Path

import dagster as dg

from em_assets.core.atomic import write_table_files
from em_assets.core.lineage import partition_problems
from em_assets.core.store import StoreLayout, is_valid_partition_key
from em_assets.core.synapses.metadata import (
    MergedMetadata,
    merge_metadata_tables,
    read_meta_csvs,
    unresolved_paths,
)
from em_assets.dagster_support.publication import publication
from em_assets.dagster_support.table_metadata import table_preview
from em_assets.defs.automation import REFRESH_ON_ANY_PARTITION
from em_assets.defs.resources import StoreResource
from em_assets.defs.synapses.chunk_metadata import chunk_metadata
from em_assets.defs.synapses.partitions import em_dataset_partitions

CONSISTENT_IDS_CHECK = "synapse_ids_consistent_across_datasets"
PATHS_RESOLVE_CHECK = "tensor_paths_resolve"
CURRENT_CHECK = "every_dataset_current"


def tensor_path(layout: StoreLayout, dataset: str, filename: str) -> str:
    """Where a dataset's tensor lives, relative to the store root."""
    return layout.relative(layout.tensor_dir(dataset) / filename)


def dataset_folders(layout: StoreLayout, dataset: str) -> dict[str, Path]:
    """The published folders of one dataset's chain, upstream first."""
    return {
        "raw_em_chunks": layout.raw_em_chunks_dir(dataset),
        "processed_chunks": layout.processed_chunks_dir(dataset),
        "chunk_metadata": layout.chunk_metadata_dir(dataset),
    }


def current_check(problems: dict[str, list[str]]) -> dg.AssetCheckResult:
    """Every dataset's latest runs succeeded and its meta.csv was made from its current tensors."""
    excluded = {dataset: lines for dataset, lines in problems.items() if lines}
    return dg.AssetCheckResult(
        check_name=CURRENT_CHECK,
        passed=not excluded,
        severity=dg.AssetCheckSeverity.WARN,
        description="\n".join(
            [f"{len(excluded)} datasets left out of the merge", *(f"{d}: {'; '.join(lines)}" for d, lines in excluded.items())]
        ),
        metadata={"excluded": sorted(excluded)},
    )


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
        dg.AssetCheckSpec(
            CURRENT_CHECK,
            asset="merged_metadata",
            blocking=False,
            description="Datasets whose latest runs failed or whose meta.csv is stale are left out",
        ),
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
    problems = {key: partition_problems(layout, key, dataset_folders(layout, key)) for key in keys}
    paths = {key: layout.meta_file(key) for key in keys if not problems[key]}
    inputs = {f"chunk_metadata/{key}": layout.chunk_metadata_dir(key) for key, path in paths.items() if path.is_file()}
    with publication(layout, context.asset_key.to_user_string(), None, inputs) as staged:
        tables = read_meta_csvs({key: path for key, path in paths.items() if path.is_file()})
        merged = merge_metadata_tables(tables, lambda dataset, name: tensor_path(layout, dataset, name))
        csv_name, parquet_name = (path.name for path in layout.merged_metadata_files())
        write_table_files(merged.table, staged.path / csv_name, staged.path / parquet_name)
        checks = [*merged_checks(merged, layout), current_check(problems)]
        published = staged.finish(checks, {CONSISTENT_IDS_CHECK})
    csv_path, parquet_path = layout.merged_metadata_files()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(merged.table),
            "datasets": sorted(tables),
            "datasets_without_metadata": sorted(set(keys) - set(tables)),
            "invalid_dataset_keys": invalid,
            "datasets_not_current": sorted(key for key, lines in problems.items() if lines),
            "dropped_duplicates": merged.dropped_duplicates,
            "preview": table_preview(merged.table),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "parquet": dg.MetadataValue.path(str(parquet_path)),
            **published,
        },
        check_results=checks,
    )
