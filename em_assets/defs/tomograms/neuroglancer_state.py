"""Asset `neuroglancer_state`: the viewer state JSON of one tomogram and its shareable URL."""

import json
from pathlib import Path

import dagster as dg

from em_assets.core.neuroglancer import state_url
from em_assets.core.storage import StoreLayout, atomic_directory
from em_assets.core.tomogram_record import ZARR_NAME, TomogramRecord
from em_assets.core.tomogram_state import tomogram_state
from em_assets.defs.failures import input_errors_as_failures
from em_assets.defs.store import StoreResource
from em_assets.defs.tomograms.contrast_limits import LIMITS_FILE, contrast_limits
from em_assets.defs.tomograms.partitions import tomogram_partitions
from em_assets.defs.tomograms.viewer_resource import NeuroglancerResource

STATE_CHECK = "state_parses_and_references_existing_source"
STATE_FILE = "state.json"
URL_FILE = "url.txt"


def layer_source(record: TomogramRecord, layout: StoreLayout, viewer: NeuroglancerResource) -> str:
    """The tomogram's public zarr URL when it has one, else its store copy served locally."""
    if record.public_url:
        return f"zarr://{record.public_url}"
    local = layout.asset_dir("raw_tomogram", record.key) / ZARR_NAME
    return viewer.local_source(local.relative_to(layout.store).as_posix())


def state_check(state_path: Path, record: TomogramRecord, layout: StoreLayout) -> dg.AssetCheckResult:
    """The written state parses and every layer source points at data that exists."""
    problems = []
    try:
        state = json.loads(state_path.read_text())
        sources = [layer["source"]["url"] for layer in state["layers"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return dg.AssetCheckResult(check_name=STATE_CHECK, passed=False, description=f"unreadable: {error}")
    local_zarr = layout.asset_dir("raw_tomogram", record.key) / ZARR_NAME
    for source in sources:
        public = record.public_url and source == f"zarr://{record.public_url}"
        if not public and not (source.endswith(f"/{ZARR_NAME}") and (local_zarr / ".zattrs").is_file()):
            problems.append(f"layer source {source} references no existing zarr")
    return dg.AssetCheckResult(
        check_name=STATE_CHECK,
        passed=not problems,
        description="; ".join(problems) or f"{len(sources)} layers, sources exist",
        metadata={"sources": dg.MetadataValue.json(sorted(set(sources)))},
    )


@dg.asset(
    group_name="tomograms",
    partitions_def=tomogram_partitions,
    deps=[contrast_limits],
    kinds={"json"},
    check_specs=[dg.AssetCheckSpec(STATE_CHECK, asset="neuroglancer_state", blocking=True)],
)
def neuroglancer_state(
    context: dg.AssetExecutionContext, store: StoreResource, neuroglancer: NeuroglancerResource
) -> dg.MaterializeResult:
    """The Neuroglancer state (one image layer per contrast method, GMM visible) and its URL."""
    with input_errors_as_failures():
        key = context.partition_key
        layout = store.layout
        record = TomogramRecord.load(layout.asset_dir("raw_tomogram", key))
        limits = json.loads((layout.asset_dir("contrast_limits", key) / LIMITS_FILE).read_text())
        state = tomogram_state(
            record,
            layer_source(record, layout, neuroglancer),
            {"gmm": limits["gmm"], "cdf": limits["cdf"]},
            limits_2d=limits["2d"]["method"],
            limits_3d=limits["3d"]["method"],
        )
        url = state_url(state, prefix=neuroglancer.url_prefix)
        folder = layout.asset_dir("neuroglancer_state", key)
        with atomic_directory(folder) as tmp:
            (tmp / STATE_FILE).write_text(json.dumps(state, indent=4))
            (tmp / URL_FILE).write_text(url + "\n")
        return dg.MaterializeResult(
            metadata={
                "url": dg.MetadataValue.url(url),
                "layer_source": state["layers"][0]["source"]["url"],
                "state": dg.MetadataValue.json(state),
                "path": dg.MetadataValue.path(str(folder / STATE_FILE)),
            },
            check_results=[state_check(folder / STATE_FILE, record, layout)],
        )
