"""`em-assets demo`: write the demo data and run the whole pipeline into the persistent instance."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from unittest import mock

import pandas as pd

from em_assets.core.store import StoreLayout, configured_layout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.synapses.metadata import read_merged_csv
from em_assets.core.tomograms.catalog import build_tomogram_catalog
from em_assets.core.tomograms.demo import write_demo_tomograms
from em_assets.dagster_support.local_runs import (
    RunOutcome,
    code_location,
    local_instance,
    run_automation_once,
    run_sensor_once,
)
from em_assets.defs.resources import LANDING_QUIET_VARIABLE
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets.defs.tomograms.partitions import tomogram_partitions

LANDING_SENSORS = (tomogram_landing_sensor.name, em_landing_sensor.name)


def _step(number: int, total: int, title: str, work: Callable[[], object]) -> object:
    print(f"[{number}/{total}] {title} ...", flush=True)
    started = time.perf_counter()
    result = work()
    print(f"[{number}/{total}] {title}: done in {time.perf_counter() - started:.1f} s", flush=True)
    return result


def _limits(low: float, high: float) -> str:
    return f"[{low:.4g}, {high:.4g}]"


def print_summary(layout: StoreLayout, keys: list[str]) -> None:
    """The final table: each tomogram's status and limits (the viewer URLs stay in the store and the UI)."""
    table = build_tomogram_catalog(layout, keys)
    rows = pd.DataFrame(
        {
            "partition": table["key"],
            "status": table["status"],
            "gmm limits": [_limits(a, b) if pd.notna(a) else "-" for a, b in zip(table["gmm_low"], table["gmm_high"])],
            "cdf limits": [_limits(a, b) if pd.notna(a) else "-" for a, b in zip(table["cdf_low"], table["cdf_high"])],
        }
    )
    print()
    print(rows.to_string(index=False))


def print_synapse_summary(layout: StoreLayout) -> None:
    """Chunks per dataset in the merged synapse metadata."""
    merged, _ = layout.merged_metadata_files()
    if not merged.is_file():
        print("\nNo merged synapse metadata yet.")
        return
    table = read_merged_csv(merged)
    counts = table.groupby("dataset").size()
    print(f"\nSynapse chunks: {len(table)} training tensors in {merged}")
    for dataset, count in counts.items():
        print(f"  {dataset}: {count} chunks")


def print_next_steps(layout: StoreLayout, keys: list[str]) -> None:
    """Where to look next: the Dagster UI, the local viewer, the stored URL (never the URL itself)."""
    steps = [("make dev", "the Dagster UI on this history: pictures, checks, lineage")]
    if keys:
        steps += [
            (f"em-assets view {keys[0]}", "the tomogram in Neuroglancer with its computed limits"),
            (str(layout.url_file(keys[0])), "its shareable Neuroglancer URL"),
        ]
    width = max(len(command) for command, _ in steps)
    print("\nWhere to look next:")
    for command, meaning in steps:
        print(f"  {command:<{width}}  {meaning}")


def run_demo(args: argparse.Namespace) -> int:
    """Write the demo data, tick each landing sensor, run its requests, then refresh the catalogues."""
    layout = configured_layout()
    instance = local_instance()
    defs = code_location()
    total = 3 + len(LANDING_SENSORS)
    _step(1, total, f"writing demo tomograms into {layout.tomogram_landing}", lambda: write_demo_tomograms(layout.tomogram_landing))
    _step(2, total, f"writing demo EM datasets into {layout.em_landing}", lambda: write_demo_em_datasets(layout.em_landing))
    baseline = run_automation_once(defs, instance, progress=lambda _: None)
    outcomes: list[RunOutcome] = []
    for offset, sensor in enumerate(LANDING_SENSORS):
        with mock.patch.dict(os.environ, {LANDING_QUIET_VARIABLE: "0"}):  # the demo's items are complete
            outcomes += _step(3 + offset, total, f"ticking {sensor} and running its requests", lambda s=sensor: run_sensor_once(defs, instance, s).outcomes)
    outcomes += _step(total, total, "refreshing the catalogues (automation conditions)", lambda: run_automation_once(defs, instance, baseline.cursor).outcomes)
    keys = sorted(instance.get_dynamic_partitions(tomogram_partitions.name))
    print_summary(layout, keys)
    print_synapse_summary(layout)
    failed = [o for o in outcomes if not o.success]
    print(f"\n{len(outcomes) - len(failed)} runs succeeded, {len(failed)} failed. Dagster home: {instance.root_directory}")
    print_next_steps(layout, keys)
    return 1 if failed else 0
