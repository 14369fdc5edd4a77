"""Asset `tomogram_catalog`: one table over every tomogram partition, refreshed automatically."""

import dagster as dg

from em_assets.core.tables import write_table
from em_assets.core.tomogram_catalog import build_tomogram_catalog
from em_assets.defs.store import StoreResource
from em_assets.defs.table_metadata import table_preview
from em_assets.defs.tomograms.contrast_limits import contrast_limits
from em_assets.defs.tomograms.neuroglancer_state import neuroglancer_state
from em_assets.defs.tomograms.partitions import tomogram_partitions
from em_assets.defs.tomograms.raw_tomogram import raw_tomogram

REFRESH_ON_ANY_PARTITION = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


@dg.asset(
    group_name="tomograms",
    deps=[raw_tomogram, contrast_limits, neuroglancer_state],
    kinds={"pandas", "parquet"},
    automation_condition=REFRESH_ON_ANY_PARTITION,
)
def tomogram_catalog(context: dg.AssetExecutionContext, store: StoreResource) -> dg.MaterializeResult:
    """Every tomogram with its source, shape, voxel size, both limit pairs, state path and URL."""
    keys = context.instance.get_dynamic_partitions(tomogram_partitions.name)
    table = build_tomogram_catalog(store.layout, keys)
    csv_path, parquet_path = write_table(table, store.layout.asset_dir("tomogram_catalog"), "tomogram_catalog")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "complete": int((table["status"] == "complete").sum()),
            "preview": table_preview(table.drop(columns=["url"])),
            "csv": dg.MetadataValue.path(str(csv_path)),
            "parquet": dg.MetadataValue.path(str(parquet_path)),
        }
    )
