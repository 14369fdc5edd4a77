"""One tomogram materialised end to end (raw -> sampled -> limits -> state) with the store root on a
moto S3 server on 127.0.0.1, folders published as versions behind a manifest."""

from __future__ import annotations

import json

import dagster as dg
import numpy as np
import pytest

from em_assets.core.shared_store import staged_version, store_root
from em_assets.core.store import PUBLISHED_MANIFEST, VERSIONS_FOLDER, StoreLayout
from em_assets.core.tomograms.demo import write_demo_tomogram
from em_assets.core.tomograms.volumes import open_multiscale, open_source_volume
from em_assets.dagster_support.local_runs import code_location, run_sensor_once
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets_tests.defs.conftest import SMALL_TOMOGRAMS
from em_assets_tests.fixtures.portal.file_servers import S3Server
from em_assets_tests.fixtures.s3_store import STORE_URL, bucket_keys


def test_a_tomogram_materialises_end_to_end_on_s3(
    s3_store: S3Server, s3_store_url: str, layout: StoreLayout, instance: dg.DagsterInstance
) -> None:
    demo = SMALL_TOMOGRAMS[1]
    source = write_demo_tomogram(layout.tomogram_landing, demo)
    tick = run_sensor_once(code_location(), instance, tomogram_landing_sensor.name, progress=lambda _: None)
    assert [(o.partition, o.success) for o in tick.outcomes] == [(demo.name, True)]
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
    assert state["layers"][0]["source"]["url"].endswith(f"/{published_zarr}")


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
