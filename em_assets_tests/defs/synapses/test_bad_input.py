"""Real materialisations of bad EM datasets: each fails (or warns) alone, naming the synapse and the
problem; good chunks and other datasets are written; the merge survives hostile partition keys."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import synthetic_synapse_chunk, write_demo_em_datasets
from em_assets.core.synapses.metadata import read_merged_csv
from em_assets.dagster_support.local_runs import run_automation_once, run_sensor_once
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets.defs.synapses.partitions import em_dataset_partitions
from em_assets_tests.fixtures.synapses import npy_with_header, save_npy

HOSTILE_KEYS = ["..", "abc\n", "a/b", "/etc"]


def _quiet(_: str) -> None:
    return None


def write_dataset(folder: Path, ids: list[str], size: int = 24) -> Path:
    for index, synapse_id in enumerate(ids):
        em, mask = synthetic_synapse_chunk(index, size)
        save_npy(folder / "em" / f"{synapse_id}.npy", em)
        save_npy(folder / "mask" / f"{synapse_id}_mask.npy", mask)
    return folder


@pytest.fixture
def bad_landing(layout: StoreLayout) -> Path:
    """cortex-a (good), and datasets with a label 7 and 200 chunk, an overflowing header and a chunk
    linked to /etc/passwd, nothing at all, and a link to cortex-a."""
    landing = layout.em_landing
    good, other = write_demo_em_datasets(landing, chunks_per_dataset=2, size=24)
    shutil.rmtree(other)
    labels = write_dataset(landing / "labels", ["1", "2"])
    mask = np.load(labels / "mask" / "2_mask.npy")
    mask[0, 0, :2] = [7, 200]
    np.save(labels / "mask" / "2_mask.npy", mask)
    overflow = write_dataset(landing / "overflow", ["1", "2", "3"])
    npy_with_header(overflow / "em" / "2.npy", (2**32, 2**32, 2**32))
    (overflow / "em" / "9.npy").symlink_to("/etc/passwd")
    save_npy(overflow / "mask" / "9_mask.npy", np.zeros((24, 24, 24), np.uint8))
    (landing / "empty" / "em").mkdir(parents=True)
    (landing / "empty" / "mask").mkdir()
    (landing / "mirror").symlink_to(good)
    return landing


def test_bad_datasets_fail_alone_and_publish_no_partial_output(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, bad_landing: Path
) -> None:
    tick = run_sensor_once(definitions, instance, em_landing_sensor.name, progress=_quiet)
    outcomes = {o.partition: o.success for o in tick.outcomes}
    assert outcomes == {"cortex-a": True, "empty": False, "labels": False, "overflow": False}
    assert "mirror" not in instance.get_dynamic_partitions(em_dataset_partitions.name)

    labels = tick.check("labels", "processed_chunks", "every_chunk_processed")
    assert not labels.passed
    assert "synapse 2 (" in labels.description and "2_mask.npy): mask labels must be 0-3" in labels.description
    assert labels.description.endswith("found 7, 200")
    overflow = tick.check("overflow", "processed_chunks", "every_chunk_processed")
    assert "synapse 2 (" in overflow.description and "truncated: the header promises" in overflow.description
    for key, processed in {"labels": 1, "overflow": 2}.items():
        check = tick.check(key, "processed_chunks", "every_chunk_processed")
        assert check.description.startswith(f"1 of {processed + 1} chunks failed"), "the good chunks were processed"
        assert not layout.processed_chunks_dir(key).exists(), "a failing blocking check publishes no partial output"
        assert not layout.meta_file(key).exists(), "the blocking check stops chunk_metadata"

    assert not tick.check("empty", "raw_em_chunks", "has_complete_pairs").passed
    assert not layout.processed_chunks_dir("empty").exists()
    linked = tick.check("overflow", "raw_em_chunks", "every_file_paired")
    assert not linked.passed and linked.severity == dg.AssetCheckSeverity.WARN
    assert "1 symbolic links (never followed)" in linked.description
    assert linked.metadata["linked_files"].value == {"count": 1, "first": ["em/9.npy"]}


def test_the_merge_skips_and_reports_hostile_keys(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    shutil.rmtree(write_demo_em_datasets(layout.em_landing, chunks_per_dataset=2, size=24)[1])
    idle = run_automation_once(definitions, instance, progress=_quiet)
    tick = run_sensor_once(definitions, instance, em_landing_sensor.name, progress=_quiet)
    assert all(o.success for o in tick.outcomes)
    instance.add_dynamic_partitions(em_dataset_partitions.name, HOSTILE_KEYS)
    merge = run_automation_once(definitions, instance, idle.cursor, progress=_quiet)
    assert [o.success for o in merge.outcomes] == [True]
    (materialization,) = merge.outcomes[0].result.asset_materializations_for_node("merged_metadata")
    assert materialization.metadata["invalid_dataset_keys"].value == sorted(ascii(k) for k in HOSTILE_KEYS)
    assert sorted(set(read_merged_csv(layout.merged_metadata_files()[0])["dataset"])) == ["cortex-a"]


def test_a_hostile_partition_fails_before_any_path_is_built(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    key = "../landing"
    outside = layout.home / "landing"
    before = sorted(os.walk(layout.home))
    instance.add_dynamic_partitions(em_dataset_partitions.name, [key])
    job = definitions.resolve_job_def("synapse_chunks_pipeline")
    result = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    description = failure.step_failure_data.user_failure_data.description
    assert description == f"{ascii(key)}: " + (
        "not a valid partition key: use 1-128 ASCII letters, digits, '.', '_' or '-', "
        "starting with a letter or digit, without '..'"
    )
    assert sorted(os.walk(layout.home)) == before and not outside.exists()
