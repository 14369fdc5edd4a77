"""Validate, then publish: a bad re-run keeps the previous outputs, and the catalogues say what failed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import mrcfile
import numpy as np
import pandas as pd
import pytest

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.synapses.metadata import read_merged_csv
from em_assets.core.tomograms.demo import DemoTomogram, write_demo_tomogram
from em_assets.dagster_support.local_runs import QUIET_LOGGERS
from em_assets_tests.fixtures.kill_checks import leftovers, snapshot
from em_assets_tests.fixtures.kill_runner import GROUP_ASSETS, GROUP_PARTITIONS

TOMOGRAM = DemoTomogram("t", (16, 32, 32), 10.0, "mrc", lambda v: (2e4 * v).astype("float32"), seed=5)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """An in-memory instance (these tests look at the store, not at the run history)."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def run(definitions: dg.Definitions, instance: dg.DagsterInstance, group: str, partition: str | None) -> dg.ExecuteInProcessResult:
    """Materialise one partition's chain of `group`, or (partition None) its catalogue."""
    chain, catalogue = GROUP_ASSETS[group]
    if partition is not None:
        instance.add_dynamic_partitions(GROUP_PARTITIONS[group], [partition])
    return definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config=QUIET_LOGGERS,
        instance=instance,
        partition_key=partition,
        asset_selection=[dg.AssetKey(name) for name in (chain if partition else catalogue)],
        raise_on_error=False,
    )


def check(result: dg.ExecuteInProcessResult, asset: str, name: str) -> dg.AssetCheckEvaluation:
    key = dg.AssetCheckKey(dg.AssetKey(asset), name)
    return next(e for e in result.get_asset_check_evaluations() if e.asset_check_key == key)


def tomogram_outputs(layout: StoreLayout) -> dict[str, dict[str, str]]:
    folders = [layout.raw_tomogram_dir("t"), layout.sampled_voxels_dir("t"), layout.contrast_limits_dir("t"), layout.neuroglancer_state_dir("t")]
    return {folder.parent.name: snapshot(folder) for folder in folders}


def overwrite_mrc(path: Path, volume: np.ndarray) -> None:
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(volume.astype(np.float32))
        mrc.voxel_size = 10.0


@pytest.mark.filterwarnings("ignore:Data array contains NaN values:RuntimeWarning")
@pytest.mark.parametrize("bad", ["constant", "all-nan"])
def test_a_bad_rerun_keeps_the_good_tomogram_and_the_catalogue_says_it_failed(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, bad: str
) -> None:
    source = write_demo_tomogram(layout.tomogram_landing, TOMOGRAM)
    assert run(definitions, instance, "tomograms", "t").success
    assert run(definitions, instance, "tomograms", None).success
    good = tomogram_outputs(layout)
    overwrite_mrc(source, np.full((20, 20, 20), 3.0 if bad == "constant" else np.nan))

    rerun = run(definitions, instance, "tomograms", "t")
    assert not rerun.success
    volume = check(rerun, "raw_tomogram", "volume_is_3d_finite_and_varied")
    assert not volume.passed and ("constant" in volume.description or "no finite voxel" in volume.description)
    assert tomogram_outputs(layout) == good, "the zarr, the slab, the limits and the state are the previous run's"
    assert leftovers(layout.store) == []

    catalogue = run(definitions, instance, "tomograms", None)
    assert not check(catalogue, "tomogram_catalog", "every_tomogram_current").passed
    row = pd.read_parquet(layout.tomogram_catalog_files()[1]).iloc[0]
    assert row["status"] == "failed" and "raw_tomogram failed: volume_is_3d_finite_and_varied" in row["problem"]
    assert (row["shape_z"], row["shape_y"], row["shape_x"]) == TOMOGRAM.shape, "the shape of the kept zarr, not the bad one"

    overwrite_mrc(source, np.arange(16 * 32 * 32, dtype=np.float32).reshape(16, 32, 32))
    assert run(definitions, instance, "tomograms", "t").success
    assert run(definitions, instance, "tomograms", None).success
    row = pd.read_parquet(layout.tomogram_catalog_files()[1]).iloc[0]
    assert row["status"] == "complete" and row["problem"] is None


def test_outputs_made_from_a_replaced_upstream_are_marked_stale(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    source = write_demo_tomogram(layout.tomogram_landing, TOMOGRAM)
    assert run(definitions, instance, "tomograms", "t").success
    overwrite_mrc(source, np.arange(16 * 32 * 32, dtype=np.float32).reshape(16, 32, 32))
    instance.add_dynamic_partitions("tomogram", ["t"])
    only_raw = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        run_config=QUIET_LOGGERS, instance=instance, partition_key="t", asset_selection=[dg.AssetKey("raw_tomogram")]
    )
    assert only_raw.success
    assert run(definitions, instance, "tomograms", None).success
    row = pd.read_parquet(layout.tomogram_catalog_files()[1]).iloc[0]
    assert row["status"] == "stale"
    assert "sampled_voxels is stale: made from a replaced raw_tomogram" in row["problem"]
    assert "neuroglancer_state is stale: made from a replaced raw_tomogram" in row["problem"]


def test_a_failed_dataset_rerun_keeps_its_tensors_and_is_left_out_of_the_merge(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    datasets = write_demo_em_datasets(layout.em_landing, chunks_per_dataset=2, size=16)
    for dataset in datasets:
        assert run(definitions, instance, "synapses", dataset.name).success
    assert run(definitions, instance, "synapses", None).success
    bad, good = datasets[0].name, datasets[1].name
    assert set(read_merged_csv(layout.merged_metadata_files()[0])["dataset"]) == {bad, good}
    kept = {folder: snapshot(folder) for folder in (layout.processed_chunks_dir(bad), layout.chunk_metadata_dir(bad))}

    broken = sorted((datasets[0] / "em").glob("*.npy"))[0]
    np.save(broken, np.zeros((16, 16, 16), dtype=np.uint16))
    rerun = run(definitions, instance, "synapses", bad)
    assert not rerun.success and not check(rerun, "processed_chunks", "every_chunk_processed").passed
    assert {folder: snapshot(folder) for folder in kept} == kept

    merge = run(definitions, instance, "synapses", None)
    assert merge.success
    current = check(merge, "merged_metadata", "every_dataset_current")
    assert not current.passed and f"{bad}: processed_chunks failed" in current.description
    assert set(read_merged_csv(layout.merged_metadata_files()[0])["dataset"]) == {good}

    shutil.copyfile(sorted((datasets[1] / "em").glob("*.npy"))[0], broken)
    assert run(definitions, instance, "synapses", bad).success
    merge = run(definitions, instance, "synapses", None)
    assert check(merge, "merged_metadata", "every_dataset_current").passed
    assert set(read_merged_csv(layout.merged_metadata_files()[0])["dataset"]) == {bad, good}
