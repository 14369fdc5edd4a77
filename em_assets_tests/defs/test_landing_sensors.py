"""Landing sensors under faults: a failing tick keeps its cursor, late and half-copied items wait for
the next ticks, refused items are reported once per change where the UI shows them."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

import em_assets.core.landing as landing
import em_assets.dagster_support.landing_requests as landing_requests
import em_assets.defs.tomograms.landing_sensor as tomogram_sensor_module
from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.landing import scan_tomogram_landing
from em_assets.dagster_support.local_runs import evaluate_sensor
from em_assets.defs.resources import LANDING_QUIET_VARIABLE
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor

TOMOGRAMS = tomogram_landing_sensor.name
ALLOWED = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"


def _land(layout: StoreLayout, *names: str) -> None:
    layout.tomogram_landing.mkdir(parents=True, exist_ok=True)
    for name in names:
        (layout.tomogram_landing / name).write_bytes(b"x" * 100)


def _requested(result: dg.SensorResult | dg.SkipReason) -> list[str]:
    return [] if isinstance(result, dg.SkipReason) else [r.partition_key for r in result.run_requests]


def _tick(definitions: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None):
    """Evaluate the tomogram sensor and register what it asks for, as the daemon would."""
    result = evaluate_sensor(definitions, instance, TOMOGRAMS, cursor)
    if isinstance(result, dg.SkipReason):
        return result, cursor
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result, result.cursor


def test_a_failing_tick_keeps_the_cursor_and_the_next_one_skips_nothing(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land(layout, "a.mrc", "b.mrc")
    first, cursor = _tick(definitions, instance, None)
    assert _requested(first) == ["a", "b"]
    _land(layout, "c.mrc")
    real_scandir = os.scandir

    def denied(path):
        if Path(path) == layout.tomogram_landing:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(landing.os, "scandir", denied)
    with pytest.raises(PermissionError, match="tomograms"):
        evaluate_sensor(definitions, instance, TOMOGRAMS, cursor)
    monkeypatch.setattr(landing.os, "scandir", real_scandir)
    later, _ = _tick(definitions, instance, cursor)
    assert _requested(later) == ["c"]


def test_items_landing_during_a_tick_are_picked_up_by_the_next(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land(layout, "a.mrc")
    _, cursor = _tick(definitions, instance, None)

    def scan_then_land(folder: Path):
        scan = scan_tomogram_landing(folder)
        _land(layout, "late.mrc")
        with (folder / "a.mrc").open("ab") as grown:
            grown.write(b"more")
        return scan

    monkeypatch.setattr(tomogram_sensor_module, "scan_tomogram_landing", scan_then_land)
    during, cursor = _tick(definitions, instance, cursor)
    assert _requested(during) == []
    monkeypatch.setattr(tomogram_sensor_module, "scan_tomogram_landing", scan_tomogram_landing)
    after, cursor = _tick(definitions, instance, cursor)
    assert _requested(after) == ["a", "late"]
    idle, _ = _tick(definitions, instance, cursor)
    assert _requested(idle) == []


def test_a_growing_item_waits_for_the_quiet_period(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANDING_QUIET_VARIABLE, "30")
    now = [1_000.0]
    monkeypatch.setattr(landing_requests, "clock", lambda: now[0])
    _land(layout, "growing.mrc")
    (layout.tomogram_landing / "copying.zarr" / "0").mkdir(parents=True)  # chunks first, no metadata yet
    waiting, cursor = _tick(definitions, instance, None)
    assert _requested(waiting) == [] and "2 waiting to stay unchanged for 30 s" in waiting.skip_reason.skip_message
    now[0] += 20
    with (layout.tomogram_landing / "growing.mrc").open("ab") as grown:
        grown.write(b"more")
    (layout.tomogram_landing / "copying.zarr" / ".zattrs").write_text("{}")
    still, cursor = _tick(definitions, instance, cursor)
    assert _requested(still) == []
    now[0] += 29
    assert _requested(_tick(definitions, instance, cursor)[0]) == []
    now[0] += 1
    ready, _ = _tick(definitions, instance, cursor)
    assert _requested(ready) == ["copying", "growing"]


def test_a_refused_item_is_reported_once_per_change_as_an_observation(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    _land(layout, "bad name.mrc")
    first, cursor = _tick(definitions, instance, None)
    assert _requested(first) == []
    assert ALLOWED in first.skip_reason.skip_message and "bad name.mrc" in first.skip_reason.skip_message
    (observation,) = first.asset_events
    assert observation.asset_key == dg.AssetKey("raw_tomogram")
    assert observation.metadata["allowed_names"].value == f"allowed names match {ALLOWED}"
    assert observation.metadata["landing_item"].value == str(layout.tomogram_landing / "bad name.mrc")
    instance.report_runless_asset_event(observation)
    assert instance.fetch_observations(dg.AssetKey("raw_tomogram"), limit=5).records

    again, same = _tick(definitions, instance, cursor)
    assert isinstance(again, dg.SkipReason) and same == cursor
    assert "1 refused items reported before" in again.skip_message
    with (layout.tomogram_landing / "bad name.mrc").open("ab") as changed:
        changed.write(b"changed")
    changed_tick, _ = _tick(definitions, instance, cursor)
    assert len(changed_tick.asset_events) == 1


def test_em_folders_without_masks_are_observed_on_raw_em_chunks(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    (layout.em_landing / "only-em" / "em").mkdir(parents=True)
    result = evaluate_sensor(definitions, instance, em_landing_sensor.name)
    (observation,) = result.asset_events
    assert observation.asset_key == dg.AssetKey("raw_em_chunks")
    assert observation.metadata["problem"].value == "no mask/ sub-folder"
    assert isinstance(evaluate_sensor(definitions, instance, em_landing_sensor.name, result.cursor), dg.SkipReason)


def test_an_unreadable_item_is_refused_then_run_once_it_can_be_read(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = layout.tomogram_landing / "locked.zarr"
    (item / "0").mkdir(parents=True)
    (item / "1").mkdir()
    real_scandir = os.scandir

    def denied(path):
        if Path(path) == item:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(landing.os, "scandir", denied)
    refused, cursor = _tick(definitions, instance, None)
    assert "locked.zarr: cannot be read (Permission denied)" in refused.skip_reason.skip_message
    monkeypatch.setattr(landing.os, "scandir", real_scandir)
    readable, _ = _tick(definitions, instance, cursor)
    assert _requested(readable) == ["locked"]
