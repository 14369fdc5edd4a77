"""Tomograms materialised end to end (raw -> sampled -> limits -> state -> catalogue), from the landing
folder and from the portal, with the store root on a moto S3 server on 127.0.0.1, folders published
as versions behind a manifest; `em-assets view` on that store."""

from __future__ import annotations

import io
import json
from urllib.parse import unquote

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from em_assets.core.shared_store import staged_version, store_root
from em_assets.core.store import PUBLISHED_MANIFEST, VERSIONS_FOLDER, StoreLayout
from em_assets.core.tomograms.demo import write_demo_tomogram
from em_assets.core.tomograms.volumes import open_multiscale, open_source_volume
from em_assets.cli import main
from em_assets.dagster_support.local_runs import code_location, run_automation_once, run_sensor_once
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets_tests.defs.conftest import SMALL_TOMOGRAMS
from em_assets_tests.fixtures.portal.file_servers import S3Server
from em_assets_tests.fixtures.portal.servers import PortalWorld
from em_assets_tests.fixtures.s3_store import STORE_PREFIX, STORE_URL, bucket_keys


def _quiet(_: str) -> None:
    return None


def test_a_tomogram_materialises_end_to_end_on_s3(
    s3_store: S3Server, s3_store_url: str, layout: StoreLayout, instance: dg.DagsterInstance, capsys
) -> None:
    demo = SMALL_TOMOGRAMS[1]
    source = write_demo_tomogram(layout.tomogram_landing, demo)
    definitions = code_location()
    idle = run_automation_once(definitions, instance, progress=_quiet)
    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=_quiet)
    assert [(o.partition, o.success) for o in tick.outcomes] == [(demo.name, True)]
    catalogue = run_automation_once(definitions, instance, idle.cursor, progress=_quiet)
    assert [o.success for o in catalogue.outcomes] == [True]  # tomogram_catalog, the one automated asset here
    assert not (layout.home / "store").exists()  # nothing went to the local store
    s3_layout = StoreLayout(layout.home, STORE_URL)
    for asset in ("raw_tomogram", "sampled_voxels", "contrast_limits", "neuroglancer_state"):
        manifest = f"lab/store/{asset}/{demo.name}/{PUBLISHED_MANIFEST}"
        assert manifest in bucket_keys(s3_store, f"lab/store/{asset}/"), asset
    stored = open_multiscale(s3_layout.tomogram_zarr(demo.name)).array(0)
    np.testing.assert_array_equal(stored[:], np.asarray(open_source_volume(source).data))
    limits = json.loads(s3_layout.limits_file(demo.name).read_text())
    assert limits["gmm"][0] < limits["gmm"][1]
    state = json.loads(s3_layout.state_file(demo.name).read_text())
    published_zarr = s3_layout.relative(s3_layout.tomogram_zarr(demo.name))
    assert published_zarr.startswith(f"raw_tomogram/{demo.name}/{VERSIONS_FOLDER}/")
    assert {layer["source"]["url"] for layer in state["layers"]} == {f"zarr://{STORE_URL}/{published_zarr}"}
    csv_path, parquet_path = s3_layout.tomogram_catalog_files()
    assert f"{STORE_PREFIX}/tomogram_catalog/{PUBLISHED_MANIFEST}" in bucket_keys(s3_store, STORE_PREFIX)
    table = pd.read_csv(io.BytesIO(csv_path.read_bytes()))
    assert list(table["key"]) == [demo.name] and list(table["status"]) == ["complete"]
    assert table["problem"].isna().all()  # no failure, nothing stale: lineage is read through the manifests
    assert list(table["state_path"]) == [s3_layout.relative(s3_layout.state_file(demo.name))]
    assert list(pd.read_parquet(io.BytesIO(parquet_path.read_bytes()))["gmm_low"]) == [limits["gmm"][0]]

    assert main(["view"]) == 0
    assert f"{demo.name}  (methods: gmm, cdf, percentile)" in capsys.readouterr().out
    assert main(["view", demo.name, "--method", "cdf"]) == 0
    out = capsys.readouterr().out
    assert "is an object store; the local viewer serves a local store only" in out
    assert f"Layer source: zarr://{STORE_URL}/{published_zarr}" in out
    url = out.split("(the browser must be able to read the bucket): ")[1].strip()
    shown = json.loads(unquote(url.split("#!", 1)[1]))
    assert [layer.get("visible", True) for layer in shown["layers"]] == [False, True, False]  # cdf only


def test_a_portal_tomogram_materialises_on_s3(
    portal: PortalWorld, s3_store: S3Server, s3_store_url: str, layout: StoreLayout, capsys
) -> None:
    assert main(["portal", "add", "773", "--materialize"]) == 0
    assert "portal-773: 4 assets materialised" in capsys.readouterr().out
    assert not (layout.home / "store").exists()
    s3_layout = StoreLayout(layout.home, STORE_URL)
    copy = open_multiscale(s3_layout.tomogram_zarr("portal-773"))
    np.testing.assert_array_equal(copy.array(0)[:], portal.zarrs[773].levels[2])
    assert not layout.portal_mirror_dir("portal-773").exists()  # the local mirror went up and was removed
    state = json.loads(s3_layout.state_file("portal-773").read_text())
    assert {layer["source"]["url"] for layer in state["layers"]} == {f"zarr://{portal.https_url(773)}"}


def test_a_failed_publication_keeps_the_previous_version(s3_store: S3Server) -> None:
    target = store_root(STORE_URL) / "contrast_limits" / "t1"
    with staged_version(target) as staged:
        (staged.path / "limits.json").write_text('{"v": 1}')
        staged.publish()
    with pytest.raises(RuntimeError), staged_version(target) as staged:
        (staged.path / "limits.json").write_text('{"v": 2}')
        raise RuntimeError("the run died before publishing")
    layout = StoreLayout(store_root("."), STORE_URL)
    assert json.loads((layout.published(target) / "limits.json").read_text()) == {"v": 1}
    with staged_version(target) as staged:
        (staged.path / "limits.json").write_text('{"v": 3}')
        staged.publish()
    versions = {key.split("/")[-2] for key in bucket_keys(s3_store, "lab/store/contrast_limits/t1/.versions/")}
    assert len(versions) == 1  # the superseded and the failed versions are gone
    assert json.loads((layout.published(target) / "limits.json").read_text()) == {"v": 3}
