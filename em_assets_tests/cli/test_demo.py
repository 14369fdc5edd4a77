"""`em-assets demo` runs the whole pipeline on the demo data into a persistent instance."""

from pathlib import Path

import dagster as dg
import pandas as pd

from em_assets.cli import main
from em_assets.core.store import StoreLayout
from em_assets.core.tomograms.demo import DEMO_TOMOGRAMS


def test_demo_materialises_every_partition_with_checks_passing(isolated_homes: Path, capsys) -> None:
    assert main(["demo"]) == 0
    output = capsys.readouterr().out
    assert "0 failed" in output and "[5/5]" in output
    layout = StoreLayout(isolated_homes)
    catalog = pd.read_csv(layout.tomogram_catalog_files()[0])
    assert sorted(catalog["key"]) == sorted(demo.name for demo in DEMO_TOMOGRAMS)
    assert set(catalog["status"]) == {"complete"}
    assert set(catalog["source_format"]) == {"ome-zarr", "mrc"}
    for key, url in zip(catalog["key"], catalog["url"]):
        assert url.startswith("https://neuroglancer-demo.appspot.com/#!")
        assert layout.url_file(key).read_text().strip() == url
    assert "https://" not in output  # URLs live in the store and the UI, not in the terminal
    first = min(catalog["key"])
    assert "make dev" in output and f"em-assets view {first}" in output

    instance = dg.DagsterInstance.get()
    datasets = instance.get_dynamic_partitions("em_dataset")
    assert len(datasets) >= 2
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key
    for asset, check in [
        ("raw_tomogram", "volume_is_3d_finite_and_varied"),
        ("contrast_limits", "limits_are_finite_ordered_and_in_range"),
        ("neuroglancer_state", "state_parses_and_references_existing_source"),
    ]:
        key = dg.AssetCheckKey(dg.AssetKey(asset), check)
        assert checks([key])[key].event.dagster_event.event_specific_data.passed
    assert instance.get_latest_materialization_event(dg.AssetKey("merged_metadata")) is not None

    assert main(["demo"]) == 0
    again = capsys.readouterr().out
    assert again.count("already ran as") == len(DEMO_TOMOGRAMS) + len(datasets)
    assert "0 runs succeeded, 0 failed" in again
