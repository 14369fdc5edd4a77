"""Real materialisations of tomogram partitions through the landing sensor, and the catalogue."""

import json
import os
from pathlib import Path

import dagster as dg
import pandas as pd

from em_assets.core.render import INLINE_MAX_BYTES, MIN_LONG_EDGE, png_size
from em_assets.core.store import StoreLayout
from em_assets.dagster_support.local_runs import run_automation_once, run_sensor_once
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor

PIPELINE_ASSETS = ("raw_tomogram", "sampled_voxels", "contrast_limits", "neuroglancer_state")


def _check_passed(instance: dg.DagsterInstance, asset: str, check: str) -> bool:
    key = dg.AssetCheckKey(dg.AssetKey(asset), check)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    return record.event.dagster_event.event_specific_data.passed


def test_sensor_runs_two_partitions_end_to_end(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, small_landing: list[Path]
) -> None:
    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    outcomes = tick.outcomes
    assert sorted(o.partition for o in outcomes) == ["small-mrc", "small-zarr"]
    assert all(o.success for o in outcomes)
    assert sorted(instance.get_dynamic_partitions("tomogram")) == ["small-mrc", "small-zarr"]
    for asset in PIPELINE_ASSETS:
        materialized = instance.get_materialized_partitions(dg.AssetKey(asset))
        assert materialized == {"small-mrc", "small-zarr"}, asset
    assert _check_passed(instance, "raw_tomogram", "volume_is_3d_finite_and_varied")
    assert _check_passed(instance, "contrast_limits", "limits_are_finite_ordered_and_in_range")
    assert _check_passed(instance, "contrast_limits", "slab_has_no_extreme_voxels")
    assert _check_passed(instance, "neuroglancer_state", "state_parses_and_references_existing_source")

    state = json.loads((layout.state_file("small-zarr")).read_text())
    assert [layer["name"] for layer in state["layers"]] == ["small-zarr_gmm", "small-zarr_cdf", "small-zarr_percentile"]
    assert state["layers"][0]["source"]["url"] == "zarr://http://127.0.0.1:8765/raw_tomogram/small-zarr/tomogram.zarr"
    assert state["dimensions"]["x"] == [1e-9, "m"]
    limits = json.loads((layout.limits_file("small-mrc")).read_text())
    assert state["layers"][0]["shaderControls"]["contrast"]["range"] != limits["gmm"]
    assert limits["gmm"][0] < limits["gmm"][1]
    for key in ("small-mrc", "small-zarr"):
        chosen = json.loads(layout.limits_file(key).read_text())
        omero = json.loads((layout.tomogram_zarr(key) / ".zattrs").read_text())["omero"]
        low, high = chosen["data_range"]
        assert omero["channels"][0]["window"] == {
            "min": low, "max": high, "start": chosen["2d"]["limits"][0], "end": chosen["2d"]["limits"][1]
        }
    assert _check_passed(instance, "contrast_limits", "limits_near_the_portal_published_limits")
    _assert_pictures_and_links(instance, layout)


def _metadata(instance: dg.DagsterInstance, asset: str, key: str) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1
    ).records
    return records[0].asset_materialization.metadata


def _assert_pictures_and_links(instance: dg.DagsterInstance, layout: StoreLayout) -> None:
    for key in ("small-mrc", "small-zarr"):
        raw = _metadata(instance, "raw_tomogram", key)
        limits = _metadata(instance, "contrast_limits", key)
        for path in (layout.central_slices_file(key), layout.contrast_slices_file(key)):
            width, height = png_size(path.read_bytes())
            assert max(width, height) >= MIN_LONG_EDGE, path  # the small tomograms are < 512 px: upscaled
        assert raw["central_slices_path"].value == str(layout.central_slices_file(key))
        assert limits["slices_path"].value == str(layout.contrast_slices_file(key))
        for inline in (raw["central_slices"], limits["slices"], limits["plot"]):
            assert inline.value.startswith("![") and "data:image/png;base64," in inline.value
            assert len(inline.value) < INLINE_MAX_BYTES * 4 / 3 + 200  # base64 of at most INLINE_MAX_BYTES
        state = _metadata(instance, "neuroglancer_state", key)
        url = layout.url_file(key).read_text().strip()
        assert state["viewer"].value == f"[open in Neuroglancer](<{url}>)"


def test_catalogue_follows_new_partitions(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, small_landing: list[Path]
) -> None:
    baseline = run_automation_once(definitions, instance, progress=lambda _: None)
    first = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    automation = run_automation_once(definitions, instance, baseline.cursor, progress=lambda _: None)
    assert [o.success for o in automation.outcomes] == [True]
    catalog = pd.read_parquet(layout.tomogram_catalog_files()[1])
    assert list(catalog["key"]) == ["small-mrc", "small-zarr"]
    assert set(catalog["status"]) == {"complete"}
    mrc_limits = json.loads((layout.limits_file("small-mrc")).read_text())
    assert catalog.loc[0, "gmm_low"] == mrc_limits["gmm"][0]
    assert catalog.loc[0, "percentile_high"] == mrc_limits["percentile"][1]

    quiet = run_automation_once(definitions, instance, automation.cursor, progress=lambda _: None)
    assert quiet.outcomes == []
    idle = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, first.cursor, progress=lambda _: None)
    assert idle.outcomes == [] and idle.cursor == first.cursor
    os.utime(small_landing[1], ns=(0, 10**18))
    rerun = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, first.cursor, progress=lambda _: None)
    assert [o.partition for o in rerun.outcomes] == ["small-mrc"]
    again = run_automation_once(definitions, instance, quiet.cursor, progress=lambda _: None)
    assert [o.success for o in again.outcomes] == [True]
