"""The Dask resource, off by default and on through the environment: the tomogram and synapse jobs
on a real 2-worker LocalCluster give the same artefacts as the in-process path; pools on the assets."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from em_assets.core.store import StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.tomograms.demo import write_demo_tomogram
from em_assets.dagster_support.local_runs import code_location, run_sensor_once
from em_assets.dagster_support.pools import COMPUTE_POOL, INGEST_POOL
from em_assets.defs.resources import DASK_SCHEDULER_VARIABLE, DaskResource
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets_tests.defs.conftest import SMALL_TOMOGRAMS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "dagster"
COMPARED = ("raw_tomogram", "sampled_voxels", "contrast_limits", "processed_chunks", "chunk_metadata")


def _store_files(layout: StoreLayout) -> dict[str, bytes]:
    """Every artefact file of the compared assets, the home folder's path (in records) masked."""
    return {
        path.relative_to(layout.store).as_posix(): path.read_bytes().replace(str(layout.home).encode(), b"HOME")
        for asset in COMPARED
        for path in sorted((layout.store / asset).rglob("*"))
        if path.is_file()
    }


def _materialise_everything(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    monkeypatch.setenv("EM_ASSETS_HOME", str(home))
    layout = StoreLayout(home)
    write_demo_tomogram(layout.tomogram_landing, SMALL_TOMOGRAMS[1])  # the MRC one, 36 x 80 x 88
    first, *others = sorted(write_demo_em_datasets(layout.em_landing, chunks_per_dataset=3, size=64))
    for folder in others:
        shutil.rmtree(folder)
    definitions = code_location()
    with dg.instance_for_test() as instance:
        for sensor in (tomogram_landing_sensor.name, em_landing_sensor.name):
            tick = run_sensor_once(definitions, instance, sensor, progress=lambda _: None)
            assert tick.outcomes and all(outcome.success for outcome in tick.outcomes), sensor
    return _store_files(layout)


def test_dask_is_off_by_default(definitions: dg.Definitions) -> None:
    dask = definitions.resources["dask"]
    assert isinstance(dask, DaskResource) and not dask.active
    with dask.ordered_map() as map_fn:
        assert map_fn is None


def test_jobs_on_a_dask_cluster_write_the_same_artefacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dask_cluster_client: object
) -> None:
    in_process = _materialise_everything(tmp_path / "in_process", monkeypatch)
    monkeypatch.setenv(DASK_SCHEDULER_VARIABLE, dask_cluster_client.scheduler.address)
    assert code_location().resources["dask"].active
    on_dask = _materialise_everything(tmp_path / "on_dask", monkeypatch)
    assert any(name.startswith("raw_tomogram/small-mrc/tomogram.zarr/2/") for name in in_process)
    assert any(name.endswith("manifest.json") for name in in_process)
    assert in_process.keys() == on_dask.keys()
    assert [name for name in in_process if in_process[name] != on_dask[name]] == []


def test_assets_carry_their_pools(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.materializable_asset_keys}
    assert pools["raw_tomogram"] == {INGEST_POOL}
    assert pools["sampled_voxels"] == pools["processed_chunks"] == {COMPUTE_POOL}


@pytest.mark.parametrize(("profile", "limit"), [("local.yaml", 2), ("postgres.yaml", 4)])
def test_profiles_cap_every_pool(profile: str, limit: int) -> None:
    concurrency = yaml.safe_load((DEPLOY / profile).read_text())["concurrency"]
    with dg.instance_for_test(overrides={"concurrency": concurrency}) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == limit
