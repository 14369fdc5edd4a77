"""Materialising a reduced demo into two homes gives byte-identical stores."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from em_assets.core.store import LOCKS_DIR, StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets.dagster_support.local_runs import run_automation_once, run_sensor_once
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets_tests.fixtures.stores import differences

TINY_TOMOGRAMS = (
    DemoTomogram("tiny-zarr", (16, 32, 32), 10.0, "ngff-0.4", lambda v: (0.1 * v).astype("float32"), seed=11),
    DemoTomogram("tiny-mrc", (16, 24, 40), 7.5, "mrc", lambda v: (2e4 * v).astype("float32"), seed=12),
)


def materialise_demo(definitions: dg.Definitions, home: Path) -> Path:
    """The reduced demo (two tiny tomograms, two tiny EM datasets) through sensors and automation."""
    layout = StoreLayout(home)
    for demo in TINY_TOMOGRAMS:
        write_demo_tomogram(layout.tomogram_landing, demo)
    write_demo_em_datasets(layout.em_landing, chunks_per_dataset=2, size=16)
    with dg.DagsterInstance.ephemeral() as instance:
        baseline = run_automation_once(definitions, instance, progress=lambda _: None)
        outcomes = []
        for sensor in (tomogram_landing_sensor.name, em_landing_sensor.name):
            outcomes += run_sensor_once(definitions, instance, sensor, progress=lambda _: None).outcomes
        outcomes += run_automation_once(definitions, instance, baseline.cursor, progress=lambda _: None).outcomes
    assert outcomes and all(outcome.success for outcome in outcomes)
    return layout.store


def test_two_homes_hold_byte_identical_stores(
    definitions: dg.Definitions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = []
    for name in ("first-home", "elsewhere/second"):
        home = tmp_path / name
        monkeypatch.setenv("EM_ASSETS_HOME", str(home))
        stores.append(materialise_demo(definitions, home))
    assert sorted(path.name for path in stores[0].iterdir() if path.name != LOCKS_DIR) == [
        "chunk_metadata",
        "contrast_limits",
        "merged_metadata",
        "neuroglancer_state",
        "processed_chunks",
        "raw_em_chunks",
        "raw_tomogram",
        "sampled_voxels",
        "tomogram_catalog",
    ]
    assert differences(*stores) == []
