"""A backfill of many small EM datasets runs them a few per run, with each dataset's own metadata and
check evaluations, and the same store as one run per dataset (the landing sensor's runs)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import dagster as dg
import pytest

from em_assets.core.errors import InputError
from em_assets.core.store import StoreLayout
from em_assets.dagster_support.batched_runs import DATASETS_PER_RUN_VARIABLE, datasets_per_run
from em_assets.dagster_support.local_runs import run_sensor_once
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets_tests.fixtures.backfills import install_profile, run_backfill
from em_assets_tests.fixtures.stores import differences
from em_assets_tests.fixtures.synapses import write_small_em_datasets

DATASETS = tuple(f"slice-{index}" for index in range(6))
PER_RUN = 4
CHUNKS = 2
ASSETS = ("raw_em_chunks", "processed_chunks", "chunk_metadata")
CHECKS = {
    "raw_em_chunks": ("has_complete_pairs", "every_file_paired"),
    "processed_chunks": ("every_chunk_processed",),
    "chunk_metadata": ("rows_match_tensors",),
}
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def write_datasets(layout: StoreLayout) -> None:
    """Six small landing datasets of two 16³ synapses each."""
    write_small_em_datasets(layout.em_landing, DATASETS, CHUNKS, size=16)


def materializations(instance: dg.DagsterInstance, asset: str) -> dict[str, dg.EventLogRecord]:
    """The materialisation record of `asset` for each partition."""
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
    return {record.partition_key: record for record in records}


def test_a_backfill_of_six_datasets_runs_them_four_per_run_like_one_run_each(
    definitions: dg.Definitions, layout: StoreLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DATASETS_PER_RUN_VARIABLE, str(PER_RUN))
    install_profile("local")
    write_datasets(layout)
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("em_dataset", list(DATASETS))
        backfill = run_backfill(instance, ASSETS, DATASETS, timeout=300)
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
        assert backfill.status.value == "COMPLETED_SUCCESS"
        assert len(runs) == math.ceil(len(DATASETS) / PER_RUN) == 2
        assert sorted(tuple(run.tags[tag] for tag in RANGE_TAGS) for run in runs) == [
            (DATASETS[0], DATASETS[PER_RUN - 1]),
            (DATASETS[PER_RUN], DATASETS[-1]),
        ]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS and run.asset_selection == {dg.AssetKey(a) for a in ASSETS} for run in runs)
        run_of = {dataset: run.run_id for run in runs for dataset in DATASETS if run.tags[RANGE_TAGS[0]] <= dataset <= run.tags[RANGE_TAGS[1]]}
        for asset in ASSETS:
            records = materializations(instance, asset)
            assert sorted(records) == list(DATASETS)
            for dataset, record in records.items():
                metadata = record.asset_materialization.metadata
                assert record.run_id == run_of[dataset]
                assert metadata["published"].value is True
                assert Path(metadata["path"].value).is_relative_to(layout.store / asset / dataset)
            assert [records[dataset].asset_materialization.metadata.get("chunks") for dataset in DATASETS] == (
                [dg.IntMetadataValue(CHUNKS)] * len(DATASETS) if asset == "processed_chunks" else [None] * len(DATASETS)
            )
            for check in CHECKS[asset]:
                key = dg.AssetCheckKey(dg.AssetKey(asset), check)
                history = instance.event_log_storage.get_asset_check_execution_history(key, limit=100)
                assert sorted(record.partition for record in history) == list(DATASETS)
                for record in history:
                    evaluation = record.event.dagster_event.event_specific_data
                    assert evaluation.passed and record.run_id == run_of[record.partition]
                    assert evaluation.target_materialization_data.storage_id == records[record.partition].storage_id
    reference = StoreLayout(tmp_path / "one-run-per-dataset")
    monkeypatch.setenv("EM_ASSETS_HOME", str(reference.home))
    write_datasets(reference)
    with dg.DagsterInstance.ephemeral() as instance:
        tick = run_sensor_once(definitions, instance, em_landing_sensor.name, progress=lambda _: None)
    assert [outcome.partition for outcome in tick.outcomes if outcome.success] == list(DATASETS)
    assert differences(layout.store, reference.store) == []


def test_a_dataset_failing_a_blocking_check_stops_its_batch_downstream_and_only_itself_upstream(
    definitions: dg.Definitions, layout: StoreLayout, instance: dg.DagsterInstance
) -> None:
    write_datasets(layout)
    first, bad, last = DATASETS[:3]
    shutil.rmtree(layout.em_landing / bad / "em")
    (layout.em_landing / bad / "em").mkdir()
    instance.add_dynamic_partitions("em_dataset", [first, bad, last])
    job = definitions.resolve_job_def("synapse_chunks_pipeline")
    result = job.execute_in_process(instance=instance, tags=dict(zip(RANGE_TAGS, (first, last))), raise_on_error=False)
    assert not result.success
    evaluations = {(e.partition, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {
        (first, "has_complete_pairs"): True,
        (first, "every_file_paired"): True,
        (bad, "has_complete_pairs"): False,
        (bad, "every_file_paired"): False,
        (last, "has_complete_pairs"): True,
        (last, "every_file_paired"): True,
    }
    published = {key: record.asset_materialization.metadata["published"].value for key, record in materializations(instance, "raw_em_chunks").items()}
    assert published == {first: True, bad: False, last: True}
    assert materializations(instance, "processed_chunks") == {}
    assert [layout.pairing_file(key).is_file() for key in (first, bad, last)] == [True, False, True]
    assert [layout.failure_file("raw_em_chunks", key).is_file() for key in (first, bad, last)] == [False, True, False]


@pytest.mark.parametrize("text", ["0", "-2", "four", "2.5"])
def test_a_bad_datasets_per_run_is_refused_naming_the_variable(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATASETS_PER_RUN_VARIABLE, text)
    with pytest.raises(InputError, match=rf"\${DATASETS_PER_RUN_VARIABLE}='{text}'.*at least 1"):
        datasets_per_run()


def test_datasets_per_run_defaults_to_ten_and_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATASETS_PER_RUN_VARIABLE, raising=False)
    assert datasets_per_run() == 10
    monkeypatch.setenv(DATASETS_PER_RUN_VARIABLE, "3")
    assert datasets_per_run() == 3
