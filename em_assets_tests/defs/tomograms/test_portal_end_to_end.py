"""A portal partition materialised end to end (raw → limits → state) against the loopback portal."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import pytest
import zarr

from em_assets.cli import main
from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.dagster_support.local_runs import (
    code_location,
    local_instance,
    run_sensor_once,
)
from em_assets.defs.tomograms.contrast_limits import (
    PORTAL_CHECK,
    PORTAL_TOLERANCE_PERCENT,
)
from em_assets.defs.tomograms.portal_sensor import portal_sensor
from em_assets_tests.fixtures.portal.portal_records import (
    MISSING_ZARR_TOMOGRAM,
    published_limits,
)
from em_assets_tests.fixtures.portal.servers import PortalWorld


def test_portal_partition_from_raw_to_state_uses_the_public_zarr(
    portal: PortalWorld, isolated_homes, capsys
) -> None:
    assert main(["portal", "add", "773", "--materialize"]) == 0
    assert "portal-773: 4 assets materialised" in capsys.readouterr().out
    layout = StoreLayout(isolated_homes)

    copy = layout.tomogram_zarr("portal-773")
    multiscale = json.loads((copy / ".zattrs").read_text())["multiscales"][0]
    assert [d["path"] for d in multiscale["datasets"]] == ["2"]
    np.testing.assert_array_equal(zarr.open_array(copy / "2", mode="r")[:], portal.zarrs[773].levels[2])

    state = json.loads((layout.state_file("portal-773")).read_text())
    sources = [layer["source"]["url"] for layer in state["layers"]]
    assert sources and all(source == f"zarr://{portal.https_url(773)}" for source in sources)

    instance = dg.DagsterInstance.get()
    for asset in ("raw_tomogram", "sampled_voxels", "contrast_limits", "neuroglancer_state"):
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None and event.dagster_event.partition == "portal-773"
    state_metadata = instance.get_latest_materialization_event(dg.AssetKey("neuroglancer_state")).asset_materialization.metadata
    assert state_metadata["public_url"].value == f"[public zarr](<{portal.https_url(773)}>)"

    published = published_limits(portal.tomograms[773])
    record = TomogramRecord.load(layout.raw_tomogram_dir("portal-773"))
    assert record.portal_limits == pytest.approx(published)
    limits = json.loads(layout.limits_file("portal-773").read_text())
    window = json.loads((copy / ".zattrs").read_text())["omero"]["channels"][0]["window"]
    assert [window["start"], window["end"]] == limits["2d"]["limits"]
    key = dg.AssetCheckKey(dg.AssetKey("contrast_limits"), PORTAL_CHECK)
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key].event
    evaluation = check.dagster_event.event_specific_data
    robust = json.loads(evaluation.metadata["robust_range"].value)
    for dimension in ("2d", "3d"):
        ours, theirs = limits[dimension]["limits"], published[dimension]
        expected = 100 * max(abs(ours[0] - theirs[0]), abs(ours[1] - theirs[1])) / (robust[1] - robust[0])
        assert evaluation.metadata[f"difference_{dimension}_percent"].value == pytest.approx(expected)
    assert evaluation.passed == all(
        evaluation.metadata[f"difference_{d}_percent"].value <= PORTAL_TOLERANCE_PERCENT for d in ("2d", "3d")
    )
    assert evaluation.severity == dg.AssetCheckSeverity.WARN and "of the robust range" in evaluation.description


def test_sensor_runs_new_portal_tomograms_and_a_missing_zarr_fails_its_partition_clearly(
    portal: PortalWorld, monkeypatch
) -> None:
    monkeypatch.setenv("EM_ASSETS_PORTAL_DATASETS", "10005")
    instance = local_instance()
    tick = run_sensor_once(code_location(), instance, portal_sensor.name, progress=lambda _: None)
    outcomes = {outcome.partition: outcome for outcome in tick.outcomes}
    assert sorted(outcomes) == ["portal-801", "portal-802"]
    assert outcomes["portal-801"].success
    assert not outcomes["portal-802"].success
    failures = [
        record.dagster_event.event_specific_data.error.to_string()
        for record in instance.all_logs(outcomes["portal-802"].run_id)
        if record.dagster_event and record.dagster_event.event_type_value == "STEP_FAILURE"
    ]
    url = portal.https_url(MISSING_ZARR_TOMOGRAM)
    assert any(f"portal tomogram {MISSING_ZARR_TOMOGRAM}: no OME-Zarr group at {url}" in m for m in failures)
    assert json.loads(tick.cursor) == {"after_id": 0}
