"""Asset `neuroglancer_state`: the viewer state JSON of one tomogram and its shareable URL."""

import json
from pathlib import Path

import dagster as dg

from em_assets.core.contrast.limits import ContrastReport
from em_assets.core.render import markdown_link
from em_assets.core.store import STATE_FILE, TOMOGRAM_ZARR, URL_FILE, StoreLayout, is_url
from em_assets.core.tomograms.neuroglancer import state_url, tomogram_state
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.links import public_url_link
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import NeuroglancerResource, StoreResource
from em_assets.defs.tomograms.contrast_limits import contrast_limits
from em_assets.defs.tomograms.partitions import tomogram_asset

STATE_CHECK = "state_parses_and_references_existing_source"
STATE_CHECK_SPEC = dg.AssetCheckSpec(
    STATE_CHECK,
    asset="neuroglancer_state",
    blocking=True,
    description="Fails unless the written state parses and every layer source is the public zarr or the "
    "stored copy of the tomogram.",
)


def layer_source(record: TomogramRecord, layout: StoreLayout, viewer: NeuroglancerResource) -> str:
    """The public zarr URL if any, else the store copy: its object-store URL, or served locally."""
    if record.public_url:
        return f"zarr://{record.public_url}"
    if is_url(layout.store):
        return f"zarr://{layout.tomogram_zarr(record.key)}"
    return viewer.local_source(layout.relative(layout.tomogram_zarr(record.key)))


def state_check(state_path: Path, record: TomogramRecord, layout: StoreLayout) -> dg.AssetCheckResult:
    """The written state parses and every layer source points at data that exists."""
    problems = []
    try:
        state = json.loads(state_path.read_text())
        sources = [layer["source"]["url"] for layer in state["layers"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return dg.AssetCheckResult(check_name=STATE_CHECK, passed=False, description=f"unreadable: {error}")
    local_zarr = layout.tomogram_zarr(record.key)
    for source in sources:
        public = record.public_url and source == f"zarr://{record.public_url}"
        if not public and not (source.endswith(f"/{TOMOGRAM_ZARR}") and (local_zarr / ".zattrs").is_file()):
            problems.append(f"layer source {source} references no existing zarr")
    return dg.AssetCheckResult(
        check_name=STATE_CHECK,
        passed=not problems,
        description="; ".join(problems) or f"{len(sources)} layers, sources exist",
        metadata={"sources": dg.MetadataValue.json(sorted(set(sources)))},
    )


@tomogram_asset(deps=[contrast_limits], kinds={"json"}, check_specs=[STATE_CHECK_SPEC])
@input_errors_as_failures()
def neuroglancer_state(
    context: dg.AssetExecutionContext, store: StoreResource, neuroglancer: NeuroglancerResource
) -> dg.MaterializeResult:
    """The Neuroglancer state (one image layer per contrast method, GMM visible) and its URL."""
    key = context.partition_key
    layout = store.layout
    inputs = {"raw_tomogram": layout.raw_tomogram_dir(key), "contrast_limits": layout.contrast_limits_dir(key)}
    with publication(layout, context.asset_key.to_user_string(), key, inputs) as staged:
        record = TomogramRecord.load(layout.published(layout.raw_tomogram_dir(key)))
        document = json.loads(layout.limits_file(key).read_text())
        report = ContrastReport.from_json(document)
        state = tomogram_state(
            record,
            layer_source(record, layout, neuroglancer),
            report.by_method(),
            limits_2d=document["2d"]["method"],
            limits_3d=document["3d"]["method"],
        )
        url = state_url(state, prefix=neuroglancer.url_prefix)
        (staged.path / STATE_FILE).write_text(json.dumps(state, indent=4))
        (staged.path / URL_FILE).write_text(url + "\n")
        checks = [state_check(staged.path / STATE_FILE, record, layout)]
        published = staged.finish(checks, {STATE_CHECK})
    return dg.MaterializeResult(
        metadata={
            "viewer": dg.MetadataValue.md(markdown_link(url, "open in Neuroglancer")),
            **public_url_link(record),
            "url_path": dg.MetadataValue.path(str(layout.url_file(key))),
            "layer_source": state["layers"][0]["source"]["url"],
            "state": dg.MetadataValue.json(state),
            "path": dg.MetadataValue.path(str(layout.state_file(key))),
            **published,
        },
        check_results=checks,
    )
