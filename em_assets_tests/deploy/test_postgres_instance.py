"""The postgres instance profile: the demo pipeline stored in a real PostgreSQL, seen from another instance."""

import os
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_postgres import (
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)

from em_assets.cli import demo, main
from em_assets.core.synapses.demo import DEMO_DATASETS, write_demo_em_datasets
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomograms
from em_assets_tests.deploy.conftest import PROFILES, use_profile
from em_assets_tests.deploy.postgres_server import PostgresServer

# One small tomogram instead of the four demo ones, and two chunks per EM dataset: the same
# sensors, jobs and automation as `em-assets demo`, on less data.
SMALL_TOMOGRAM = DemoTomogram("pg-small", (40, 96, 96), 10.0, "ngff-0.4", lambda v: (0.1 * v).astype("float32"), seed=5)
DATASETS = sorted(name for name, _, _ in DEMO_DATASETS)


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `em-assets demo` write the small data set."""
    monkeypatch.setattr(demo, "write_demo_tomograms", lambda landing: write_demo_tomograms(landing, (SMALL_TOMOGRAM,)))
    monkeypatch.setattr(
        demo, "write_demo_em_datasets", lambda landing: write_demo_em_datasets(landing, chunks_per_dataset=2, size=48)
    )


def test_every_profile_turns_telemetry_off() -> None:
    profiles = sorted(PROFILES.glob("*.yaml"))
    assert [p.stem for p in profiles] == ["local", "postgres"]
    for profile in profiles:
        assert yaml.safe_load(profile.read_text())["telemetry"] == {"enabled": False}, profile


def test_postgres_profile_reads_its_connection_from_the_environment(
    postgres_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = yaml.safe_load((postgres_home / "dagster.yaml").read_text())["storage"]["postgres"]["postgres_db"]
    assert {field: value for field, value in connection.items() if field != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"},
        "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USER"},
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }
    monkeypatch.delenv("DAGSTER_PG_HOST")
    with pytest.raises(dg.DagsterInvalidConfigError, match="DAGSTER_PG_HOST"):
        dg.DagsterInstance.from_config(str(postgres_home))


def test_demo_in_postgres_is_visible_from_a_second_instance(
    postgres: PostgresServer, postgres_home: Path, small_demo: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["demo"]) == 0
    output = capsys.readouterr().out
    succeeded = int(re.search(r"(\d+) runs succeeded, 0 failed", output).group(1))
    assert not (postgres_home / "history").exists(), "runs went to SQLite instead of PostgreSQL"

    with dg.DagsterInstance.from_config(str(use_profile(tmp_path / "second_home", "postgres").parent)) as second:
        assert isinstance(second.run_storage, PostgresRunStorage)
        assert isinstance(second.event_log_storage, PostgresEventLogStorage)
        assert isinstance(second.schedule_storage, PostgresScheduleStorage)

        assert second.get_dynamic_partitions("tomogram") == [SMALL_TOMOGRAM.name]
        assert sorted(second.get_dynamic_partitions("em_dataset")) == DATASETS

        runs = second.get_runs()
        assert len(runs) == succeeded and {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
        partition_runs = {(run.job_name, run.tags.get("dagster/partition")) for run in runs}
        assert {("tomogram_pipeline", SMALL_TOMOGRAM.name)} | {("synapse_chunks_pipeline", d) for d in DATASETS} <= partition_runs

        materialized = {
            asset: second.get_materialized_partitions(dg.AssetKey(asset))
            for asset in ("raw_tomogram", "contrast_limits", "neuroglancer_state", "processed_chunks", "chunk_metadata")
        }
        assert materialized["raw_tomogram"] == materialized["neuroglancer_state"] == {SMALL_TOMOGRAM.name}
        assert materialized["contrast_limits"] == {SMALL_TOMOGRAM.name}
        assert materialized["processed_chunks"] == materialized["chunk_metadata"] == set(DATASETS)
        for asset in ("tomogram_catalog", "merged_metadata"):
            assert second.get_latest_materialization_event(dg.AssetKey(asset)) is not None, asset

    connection = postgres.connect(os.environ["DAGSTER_PG_DB"])
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM runs")
        assert cursor.fetchone()[0] == succeeded
    finally:
        connection.close()
