"""Asset `tomogram_catalog`: one table over every tomogram partition, refreshed automatically."""

import dagster as dg

from em_assets.core.atomic import write_table_files
from em_assets.core.tomograms.catalog import build_tomogram_catalog
from em_assets.dagster_support.publication import publication
from em_assets.dagster_support.table_metadata import table_preview
from em_assets.defs.automation import REFRESH_ON_ANY_PARTITION
from em_assets.defs.resources import StoreResource
from em_assets.defs.tomograms.contrast_limits import contrast_limits
from em_assets.defs.tomograms.neuroglancer_state import neuroglancer_state
from em_assets.defs.tomograms.partitions import tomogram_partitions
from em_assets.defs.tomograms.raw_tomogram import raw_tomogram

CURRENT_CHECK = "every_tomogram_current"


@dg.asset(
    group_name="tomograms",
    deps=[raw_tomogram, contrast_limits, neuroglancer_state],
    kinds={"pandas", "parquet"},
    automation_condition=REFRESH_ON_ANY_PARTITION,
    check_specs=[dg.AssetCheckSpec(
            CURRENT_CHECK,
            asset="tomogram_catalog",
            blocking=False,
            description="No tomogram's latest run failed and no output was made from a replaced upstream output",
        )],
)
def tomogram_catalog(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Every tomogram with its source, shape, voxel size, both limit pairs, state path and URL."""
    keys = context.instance.get_dynamic_partitions(tomogram_partitions.name)
    table = build_tomogram_catalog(store.layout, keys)
    csv_name, parquet_name = (path.name for path in store.layout.tomogram_catalog_files())
    with publication(store.layout, context.asset_key.to_user_string()) as staged:
        write_table_files(table, staged.path / csv_name, staged.path / parquet_name)
        published = staged.finish([], ())
    csv_path, parquet_path = store.layout.tomogram_catalog_files()
    marked = table[table["status"].isin(["failed", "stale"])]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "complete": int((table["status"] == "complete").sum()),
            "preview": table_preview(table.drop(columns=["url"])),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "parquet": dg.MetadataValue.path(str(parquet_path)),
            **published,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CURRENT_CHECK,
                passed=marked.empty,
                severity=dg.AssetCheckSeverity.WARN,
                description="\n".join(
                    [f"{len(marked)} tomograms failed or stale", *(f"{k}: {p}" for k, p in zip(marked["key"], marked["problem"]))]
                ),
            )
        ],
    )
