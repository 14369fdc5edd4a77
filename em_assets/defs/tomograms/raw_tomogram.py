"""Asset `raw_tomogram`: the volume as an NGFF 0.4 multiscale in the store (a folder or an object store)."""

import shutil

import dagster as dg

from em_assets.core.portal.client import is_portal_key, tomogram_id_from_key
from em_assets.core.portal.ingest import portal_record
from em_assets.core.render import (
    INLINE_MAX_BYTES,
    central_slice_panels,
    markdown_image,
    markdown_link,
    panels_png,
)
from em_assets.core.shared_store import move_folder
from em_assets.core.store import CENTRAL_SLICES, TOMOGRAM_ZARR
from em_assets.core.tomograms.distributed_ingest import ingest_landing_tomogram_boxes
from em_assets.core.tomograms.ingest import ingest_landing_tomogram
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.core.tomograms.statistics import VolumeStatistics, volume_statistics
from em_assets.core.tomograms.volumes import open_multiscale
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.links import links_as_markdown, public_url_link
from em_assets.dagster_support.pools import INGEST_POOL
from em_assets.dagster_support.publication import publication
from em_assets.dagster_support.run_pods import RAW_TOMOGRAM_POD
from em_assets.defs.resources import DaskResource, PortalResource, StoreResource
from em_assets.defs.tomograms.partitions import tomogram_asset

VOLUME_CHECK = "volume_is_3d_finite_and_varied"
NONFINITE_CHECK = "volume_has_no_nonfinite_voxels"


def volume_checks(statistics: VolumeStatistics) -> list[dg.AssetCheckResult]:
    """The blocking sanity check of a volume and the warning about NaN/inf voxels."""
    problems = []
    if len(statistics.shape) != 3:
        problems.append(f"not 3-D (shape {statistics.shape})")
    if statistics.n_finite == 0:
        problems.append("no finite voxel")
    elif not statistics.maximum > statistics.minimum:
        problems.append(f"constant (every finite voxel is {statistics.minimum})")
    counts = {"n_nonfinite": statistics.n_nonfinite, "n_voxels": statistics.n_voxels}
    return [
        dg.AssetCheckResult(
            check_name=VOLUME_CHECK,
            passed=not problems,
            description="; ".join(problems) or "3-D, finite voxels, not constant",
            metadata={**counts, "min": statistics.minimum, "max": statistics.maximum},
        ),
        dg.AssetCheckResult(
            check_name=NONFINITE_CHECK,
            passed=statistics.n_nonfinite == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{statistics.n_nonfinite} NaN or infinite voxels (ignored downstream)",
            metadata=counts,
        ),
    ]


def record_metadata(record: TomogramRecord) -> dict[str, object]:
    """What the UI shows of an ingested tomogram."""
    return {
        "source": record.source,
        "source_format": record.source_format,
        "shape_zyx": str(list(record.shape)),
        "dtype": record.dtype,
        "voxel_size_angstrom_zyx": str(list(record.voxel_size)),
        "translation_angstrom_zyx": str(list(record.translation)),
        **({f"portal_limits_{d}": str(list(pair)) for d, pair in record.portal_limits.items()} if record.portal_limits else {}),
        "levels": dg.MetadataValue.json([{"path": l.path, "shape": list(l.shape)} for l in record.levels]),
        **public_url_link(record),
        **{name: dg.MetadataValue.md(markdown_link(url, name)) for name, url in record.links.items()},
        "missing_source_chunks": record.missing_source_chunks,
    }


@tomogram_asset(
    kinds={"zarr"},
    op_tags=RAW_TOMOGRAM_POD,
    pool=INGEST_POOL,
    check_specs=[
        dg.AssetCheckSpec(
            VOLUME_CHECK,
            asset="raw_tomogram",
            blocking=True,
            description="Fails (and blocks the downstream assets) when the volume is not 3-D, has no finite "
            "voxel or is constant.",
        ),
        dg.AssetCheckSpec(
            NONFINITE_CHECK,
            asset="raw_tomogram",
            description="Warns when the volume holds NaN or infinite voxels, which the contrast limits ignore.",
        ),
    ],
)
@input_errors_as_failures()
def raw_tomogram(
    context: dg.AssetExecutionContext, store: StoreResource, portal: PortalResource, dask: DaskResource
) -> dg.MaterializeResult:
    """The tomogram as an OME-Zarr multiscale in the store, from the landing folder or the CryoET Data Portal."""
    key = context.partition_key
    layout = store.layout
    extra: dict[str, object] = {}
    statistics: VolumeStatistics | None = None
    with publication(layout, context.asset_key.to_user_string(), key) as staged:
        if is_portal_key(key):
            mirror = layout.portal_mirror_dir(key)
            ingest = portal.ingest_tomogram(tomogram_id_from_key(key), mirror / TOMOGRAM_ZARR)
            move_folder(mirror / TOMOGRAM_ZARR, staged.path / TOMOGRAM_ZARR)
            shutil.rmtree(mirror, ignore_errors=True)
            record = portal_record(key, ingest, staged.path)
            extra = links_as_markdown(ingest.metadata)
        else:
            with dask.ordered_map() as map_boxes:
                if map_boxes is None:
                    record, statistics = ingest_landing_tomogram(layout.tomogram_landing, key, staged.path)
                else:
                    record, statistics = ingest_landing_tomogram_boxes(
                        layout.tomogram_landing, key, staged.path, map_boxes
                    )
        multiscale = open_multiscale(staged.path / TOMOGRAM_ZARR)
        statistics = statistics or volume_statistics(multiscale.array(0))
        panels = central_slice_panels(multiscale.array(0))
        (staged.path / CENTRAL_SLICES).write_bytes(panels_png(panels))
        preview = panels_png(panels, max_bytes=INLINE_MAX_BYTES)
        checks = volume_checks(statistics)
        published = staged.finish(checks, {VOLUME_CHECK})
    zarr_path = layout.tomogram_zarr(key)
    context.log.info(f"ingested {record.source} as {zarr_path}" if published["published"] else f"{key} not published")
    if record.missing_source_chunks:
        context.log.warning(f"{record.source}: {record.missing_source_chunks} chunks absent, read as the fill value")
    return dg.MaterializeResult(
        metadata={
            **record_metadata(record),
            **extra,
            "path": dg.MetadataValue.path(str(zarr_path)),
            "central_slices": dg.MetadataValue.md(markdown_image(preview, f"{key} central xy and xz slices")),
            "central_slices_path": dg.MetadataValue.path(str(layout.central_slices_file(key))),
            "n_nonfinite": statistics.n_nonfinite,
            **published,
        },
        check_results=checks,
    )
