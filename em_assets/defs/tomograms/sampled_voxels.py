"""Asset `sampled_voxels`: the z-slab around the central slice and a seeded sample of its voxels."""

import dagster as dg
from pydantic import Field

from em_assets.core.contrast.sampled_voxels import save_slab_summary, summarize_slabs
from em_assets.core.tomograms.volumes import open_multiscale
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.pools import COMPUTE_POOL
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import DaskResource, StoreResource
from em_assets.defs.tomograms.partitions import tomogram_partitions
from em_assets.defs.tomograms.raw_tomogram import raw_tomogram


class SamplingConfig(dg.Config):
    """Which resolution level to summarise and how to sample it."""

    level: int = Field(-1, description="Resolution level to summarise; -1 is the lowest resolution.")
    z_radius: str = Field("auto", pattern=r"^(auto|none|\d+)$", description="'auto', 'none' or slices")
    downsampling_ratio: float = Field(0.3, gt=0, le=1, description="Sample size / full volume size.")
    seed: int = 42

    def resolved_z_radius(self) -> int | str | None:
        """The z radius as the core expects it: 'auto', None (whole volume) or an int."""
        return None if self.z_radius == "none" else self.z_radius if self.z_radius == "auto" else int(self.z_radius)


@dg.asset(group_name="tomograms", partitions_def=tomogram_partitions, deps=[raw_tomogram], kinds={"numpy"}, pool=COMPUTE_POOL)
@input_errors_as_failures()
def sampled_voxels(
    context: dg.AssetExecutionContext, config: SamplingConfig, store: StoreResource, dask: DaskResource
) -> dg.MaterializeResult:
    """The central z-slab of one resolution level (the lowest by default) and a seeded voxel sample."""
    key = context.partition_key
    inputs = {"raw_tomogram": store.layout.raw_tomogram_dir(key)}
    with publication(store.layout, context.asset_key.to_user_string(), key, inputs) as staged:
        multiscale = open_multiscale(store.layout.tomogram_zarr(key))
        data = multiscale.array(config.level)
        with dask.ordered_map() as map_tiles:
            summary = summarize_slabs(
                data,
                name=key,
                z_radius=config.resolved_z_radius(),
                downsampling_ratio=config.downsampling_ratio,
                seed=config.seed,
                map_tiles=map_tiles,
            )
        save_slab_summary(summary, staged.path)
        staged.finish([], ())
    folder = store.layout.sampled_voxels_dir(key)
    metadata: dict[str, object] = {
        "level": config.level,
        "level_shape_zyx": str(list(data.shape)),
        "path": dg.MetadataValue.path(str(folder)),
    }
    for method, slab in summary.slabs.items():
        metadata[f"{method}_z_bounds"] = str(list(slab.z_bounds))
        metadata[f"{method}_n_samples"] = int(slab.sample_size)
        metadata[f"{method}_n_nonfinite"] = int(slab.n_nonfinite)
        metadata[f"{method}_n_outliers"] = int(slab.n_outliers)
    metadata["histogram"] = dg.MetadataValue.md(summary.histogram_markdown())
    return dg.MaterializeResult(metadata=metadata)
