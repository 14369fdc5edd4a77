"""The synapse group end to end with the store root on a moto S3 server on 127.0.0.1: pairing,
tensors, meta.csv and the merge published as versions behind manifests, byte-identical to a local store."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from em_assets.core.lineage import read_lineage
from em_assets.core.store import PUBLISHED_MANIFEST, StoreLayout
from em_assets.core.synapses.demo import write_demo_em_datasets
from em_assets.core.synapses.metadata import read_merged_csv
from em_assets.dagster_support.local_runs import code_location, run_automation_once, run_sensor_once
from em_assets.defs.synapses.landing_sensor import em_landing_sensor
from em_assets_tests.fixtures.portal.file_servers import S3Server
from em_assets_tests.fixtures.s3_store import STORE_PREFIX, bucket_keys

DATASETS = ("cortex-a", "cortex-b")
ASSETS = ("raw_em_chunks", "processed_chunks", "chunk_metadata")


def _quiet(_: str) -> None:
    return None


def _materialise(instance: dg.DagsterInstance) -> None:
    definitions = code_location()
    idle = run_automation_once(definitions, instance, progress=_quiet)
    tick = run_sensor_once(definitions, instance, em_landing_sensor.name, progress=_quiet)
    assert [(o.partition, o.success) for o in tick.outcomes] == [(key, True) for key in DATASETS]
    merge = run_automation_once(definitions, instance, idle.cursor, progress=_quiet)
    assert [o.success for o in merge.outcomes] == [True]


def test_the_synapse_group_materialises_on_s3_as_on_a_local_store(
    s3_store: S3Server, s3_store_url: str, layout: StoreLayout, instance: dg.DagsterInstance,
    monkeypatch, tmp_path,
) -> None:  # fmt: skip
    write_demo_em_datasets(layout.em_landing, chunks_per_dataset=3, size=24)
    _materialise(instance)
    assert not (layout.home / "store").exists()  # nothing went to the local store
    s3 = StoreLayout(layout.home, s3_store_url)
    keys = bucket_keys(s3_store, STORE_PREFIX)
    for asset in ASSETS:
        for dataset in DATASETS:
            assert f"{STORE_PREFIX}/{asset}/{dataset}/{PUBLISHED_MANIFEST}" in keys, (asset, dataset)
    assert f"{STORE_PREFIX}/merged_metadata/{PUBLISHED_MANIFEST}" in keys
    merged = read_merged_csv(s3.merged_metadata_files()[0])
    assert all((s3.store / path).is_file() for path in merged["path"])
    pd.testing.assert_frame_equal(pd.read_parquet(str(s3.merged_metadata_files()[1])), merged)
    lineage = read_lineage(s3.published(s3.chunk_metadata_dir("cortex-b")))
    assert lineage["inputs"]["processed_chunks"]["digest"] == read_lineage(s3.tensor_dir("cortex-b"))["digest"]

    monkeypatch.delenv("EM_ASSETS_STORE")
    local_home = tmp_path / "local"
    monkeypatch.setenv("EM_ASSETS_HOME", str(local_home))
    local = StoreLayout(local_home)
    write_demo_em_datasets(local.em_landing, chunks_per_dataset=3, size=24)
    with dg.instance_for_test() as local_instance:
        _materialise(local_instance)
    for dataset in DATASETS:
        assert s3.meta_file(dataset).read_bytes() == local.meta_file(dataset).read_bytes()
        assert s3.manifest_file(dataset).read_bytes() == local.manifest_file(dataset).read_bytes()
        for name in pd.read_csv(local.meta_file(dataset), dtype=str)["filename"]:
            assert (s3.tensor_dir(dataset) / name).read_bytes() == (local.tensor_dir(dataset) / name).read_bytes()
        for asset in ASSETS:
            ours = read_lineage(s3.published(s3.asset_output_dir(asset, dataset)))["digest"]
            assert ours == read_lineage(local.asset_output_dir(asset, dataset))["digest"], (asset, dataset)
    assert read_merged_csv(s3.merged_metadata_files()[0]).drop(columns="path").equals(
        read_merged_csv(local.merged_metadata_files()[0]).drop(columns="path")
    )
