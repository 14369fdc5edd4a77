"""Real materialisations: two EM datasets through em_landing_sensor's run requests, then the merge."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import SHARED_SYNAPSE_ID, write_demo_em_datasets
from em_assets.core.synapses.metadata import MERGED_COLUMNS, read_merged_csv
from em_assets.dagster_support.local_runs import (
    SensorTick,
    evaluate_sensor,
    run_automation_once,
    run_sensor_once,
)
from em_assets.defs.synapses.landing_sensor import em_landing_sensor

SENSOR = em_landing_sensor.name
PIPELINE_ASSETS = ("raw_em_chunks", "processed_chunks", "chunk_metadata")


def _quiet(_: str) -> None:
    return None


def _check(instance: dg.DagsterInstance, asset: str, check: str) -> dg.AssetCheckEvaluation:
    key = dg.AssetCheckKey(dg.AssetKey(asset), check)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    return record.event.dagster_event.event_specific_data


def tick_and_run(definitions: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None = None) -> SensorTick:
    return run_sensor_once(definitions, instance, SENSOR, cursor, progress=_quiet)


def _outcomes(tick: SensorTick) -> list[tuple[str | None, bool]]:
    return [(outcome.partition, outcome.success) for outcome in tick.outcomes]


def _materialized(instance: dg.DagsterInstance, asset: str) -> set[str]:
    return set(instance.get_materialized_partitions(dg.AssetKey(asset)))


@pytest.fixture
def landing(layout: StoreLayout) -> list[Path]:
    """The two demo datasets, small chunks, plus folders the sensor must skip."""
    folders = write_demo_em_datasets(layout.em_landing, chunks_per_dataset=3, size=24)
    for bad in ("bad name!", "only-em"):
        (layout.em_landing / bad / "em").mkdir(parents=True)
    (layout.em_landing / "bad name!" / "mask").mkdir()
    return folders


def test_sensor_requests_two_datasets_once_and_skips_bad_folders(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    landing: list[Path],
    capfd: pytest.CaptureFixture,
) -> None:
    assert definitions.resolve_sensor_def(SENSOR).default_status == dg.DefaultSensorStatus.RUNNING
    result = evaluate_sensor(definitions, instance, SENSOR)
    logged = capfd.readouterr().err
    assert "bad name!: 'bad name!' is not a valid partition key" in logged
    assert "only-em: no mask/ sub-folder" in logged
    assert [request.partition_key for request in result.run_requests] == ["cortex-a", "cortex-b"]
    assert all(request.run_key.startswith(f"{request.partition_key}:") for request in result.run_requests)
    (add,) = result.dynamic_partitions_requests
    assert (add.partitions_def_name, list(add.partition_keys)) == ("em_dataset", ["cortex-a", "cortex-b"])
    again = evaluate_sensor(definitions, instance, SENSOR, result.cursor)
    assert isinstance(again, dg.SkipReason)


def test_two_datasets_materialise_and_merge(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, landing: list[Path]
) -> None:
    idle_automation = run_automation_once(definitions, instance, progress=_quiet)
    assert idle_automation.outcomes == []
    tick = tick_and_run(definitions, instance)
    assert _outcomes(tick) == [("cortex-a", True), ("cortex-b", True)]
    for asset in PIPELINE_ASSETS:
        assert _materialized(instance, asset) == {"cortex-a", "cortex-b"}, asset
    for partition in ("cortex-a", "cortex-b"):
        for asset, check in [
            ("raw_em_chunks", "has_complete_pairs"),
            ("raw_em_chunks", "every_file_paired"),
            ("processed_chunks", "every_chunk_processed"),
            ("chunk_metadata", "rows_match_tensors"),
        ]:
            assert tick.check(partition, asset, check).passed, (partition, asset, check)
    meta = pd.read_csv(layout.meta_file("cortex-b"), dtype=str)
    assert list(meta["synapse_id"]) == [SHARED_SYNAPSE_ID, "000201", "000202"]
    tensor = np.load(layout.processed_chunks_dir("cortex-b") / meta["filename"][1])
    assert tensor.shape == (2, 24, 24, 5) and tensor.dtype == np.uint8
    assert (layout.montage_file("cortex-b")).read_bytes()[:4] == b"\x89PNG"

    automation = run_automation_once(definitions, instance, idle_automation.cursor, progress=_quiet)
    assert [o.success for o in automation.outcomes] == [True]
    merged = read_merged_csv(layout.merged_metadata_files()[0])
    assert list(merged.columns) == list(MERGED_COLUMNS)
    assert list(merged["synapse_id"]) == [SHARED_SYNAPSE_ID, "000101", "000102", "000201", "000202"]
    assert list(merged["dataset"]) == ["cortex-a"] * 3 + ["cortex-b"] * 2
    assert all((layout.store / path).is_file() for path in merged["path"])
    parquet = pd.read_parquet(layout.merged_metadata_files()[1])
    pd.testing.assert_frame_equal(parquet, merged)
    assert _check(instance, "merged_metadata", "synapse_ids_consistent_across_datasets").passed

    idle = tick_and_run(definitions, instance, tick.cursor)
    assert isinstance(idle.result, dg.SkipReason) and idle.outcomes == []
    chunk = landing[1] / "em" / "000201.npy"
    shutil.copy2(chunk, chunk.with_suffix(".tmp"))
    os.replace(chunk.with_suffix(".tmp"), chunk)  # re-landed the way rsync and atomic copies do it
    rerun = tick_and_run(definitions, instance, tick.cursor)
    assert _outcomes(rerun) == [("cortex-b", True)]
    assert rerun.result.run_requests[0].run_key != tick.result.run_requests[1].run_key


def test_a_conflicting_synapse_id_fails_the_merge_check(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, landing: list[Path]
) -> None:
    mask_path = landing[1] / "mask" / f"{SHARED_SYNAPSE_ID}_labels.npy"
    mask = np.load(mask_path)
    mask[mask == 3] = 1
    np.save(mask_path, mask)
    idle_automation = run_automation_once(definitions, instance, progress=_quiet)
    tick_and_run(definitions, instance)
    automation = run_automation_once(definitions, instance, idle_automation.cursor, progress=_quiet)
    assert [o.success for o in automation.outcomes] == [False]
    check = _check(instance, "merged_metadata", "synapse_ids_consistent_across_datasets")
    assert not check.passed
    assert check.metadata["conflicting_ids"].value == [SHARED_SYNAPSE_ID]
    assert not layout.merged_metadata_files()[0].parent.exists(), "a merge failing its blocking check is not written"


def test_bad_chunks_fail_the_partition_and_publish_nothing(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, landing: list[Path]
) -> None:
    np.save(landing[0] / "em" / "000101.npy", np.zeros((24, 24, 24), dtype=np.uint16))
    np.save(landing[0] / "em" / "000999.npy", np.zeros((24, 24, 24), dtype=np.uint8))
    tick = tick_and_run(definitions, instance)
    assert _outcomes(tick) == [("cortex-a", False), ("cortex-b", True)]
    assert _materialized(instance, "chunk_metadata") == {"cortex-b"}
    processed = tick.check("cortex-a", "processed_chunks", "every_chunk_processed")
    assert not processed.passed
    assert "synapse 000101" in processed.description and "EM must be uint8" in processed.description
    table = processed.metadata["failures"]
    assert [column.name for column in table.schema.columns] == ["synapse_id", "error"]
    assert [record.data["synapse_id"] for record in table.records] == ["000101"]
    assert "EM must be uint8" in table.records[0].data["error"]
    paired = tick.check("cortex-a", "raw_em_chunks", "every_file_paired")
    assert not paired.passed and paired.severity == dg.AssetCheckSeverity.WARN
    assert not layout.processed_chunks_dir("cortex-a").exists(), "a failing blocking check publishes nothing"
    assert "every_chunk_processed" in json.loads(layout.failure_file("processed_chunks", "cortex-a").read_text())["problem"]
