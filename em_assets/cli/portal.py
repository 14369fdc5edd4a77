"""`em-assets portal list|add`: browse the CryoET Data Portal and register its tomograms as partitions."""

from __future__ import annotations

import argparse
import sys

import dagster as dg
from tqdm import tqdm

from em_assets.core.errors import InputError
from em_assets.core.portal.client import PortalFilters, PortalTomogram
from em_assets.core.portal.retry import RetriesExhausted
from em_assets.dagster_support.local_runs import code_location, local_instance
from em_assets.defs.resources import PortalResource
from em_assets.defs.tomograms.jobs import tomogram_pipeline
from em_assets.defs.tomograms.partitions import tomogram_partitions


def _row(tomogram: PortalTomogram) -> str:
    size = "x".join(str(n) for n in tomogram.size_zyx)
    default = "default" if tomogram.is_visualization_default else ""
    return (
        f"{tomogram.partition_key:<14} {tomogram.dataset_id:>7} {tomogram.run_name:<24} "
        f"{tomogram.voxel_spacing:>8.3f} {size:>16} {default}"
    )


def list_tomograms(args: argparse.Namespace) -> int:
    """Print the tomograms of the given (or followed) datasets, page by page."""
    portal = PortalResource()
    followed = portal.filters()
    filters = PortalFilters(
        dataset_ids=tuple(args.dataset) or followed.dataset_ids,
        run_names=tuple(args.run),
        voxel_spacing=args.voxel_spacing,
        visualization_default_only=args.default_only,
    )
    if not filters.dataset_ids:
        raise InputError("portal list", "name a dataset with --dataset or set EM_ASSETS_PORTAL_DATASETS")
    print(f"{'partition':<14} {'dataset':>7} {'run':<24} {'spacing':>8} {'size (z×y×x)':>16}")
    count = 0
    for page in portal.pages(filters):
        for tomogram in page:
            print(_row(tomogram), flush=True)
        count += len(page)
    print(f"{count} tomogram(s) at {portal.settings().url}")
    return 0


def add_tomogram(args: argparse.Namespace) -> int:
    """Register `portal-<id>` in the Dagster instance; with --materialize, run its pipeline too."""
    tomogram = PortalResource().tomogram(args.tomogram_id)
    key = tomogram.partition_key
    instance = local_instance()
    if instance.has_dynamic_partition(tomogram_partitions.name, key):
        print(f"{key} is already registered")
    else:
        instance.add_dynamic_partitions(tomogram_partitions.name, [key])
        print(f"registered {key}")
    print(_row(tomogram))
    print(f"portal page: {tomogram.portal_link}")
    print(f"source:      {tomogram.https_omezarr_dir}")
    if not args.materialize:
        print("materialise it with --materialize, the UI (`make dev`), or a running portal_sensor")
        return 0
    return materialize_partition(instance, key)


def materialize_partition(instance: dg.DagsterInstance, key: str) -> int:
    """Materialise the tomogram pipeline's assets for `key`, one asset per step, with a progress bar."""
    defs = code_location()
    job = defs.resolve_job_def(tomogram_pipeline.name)
    graph = defs.resolve_asset_graph()
    selected = job.asset_layer.selected_asset_keys
    steps = [asset for asset in graph.toposorted_asset_keys if asset in selected]
    with tqdm(steps, desc=key, unit="asset", file=sys.stdout) as bar:
        for asset in bar:
            bar.set_postfix_str(asset.to_user_string())
            result = job.execute_in_process(
                instance=instance, partition_key=key, asset_selection=[asset], raise_on_error=False
            )
            if not result.success:
                bar.close()
                print(f"{asset.to_user_string()} failed for {key} (run {result.run_id}); see `make dev`")
                return 1
    print(f"{key}: {len(steps)} assets materialised into {instance.root_directory}")
    return 0


def _guarded(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (InputError, RetriesExhausted) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return run


run_list = _guarded(list_tomograms)
run_add = _guarded(add_tomogram)
