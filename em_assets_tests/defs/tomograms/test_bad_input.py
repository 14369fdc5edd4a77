"""A bad tomogram fails only its own partition, with a clear error and no partial output."""

from pathlib import Path

import dagster as dg
import mrcfile
import numpy as np

from em_assets.core.store import StoreLayout
from em_assets.dagster_support.local_runs import run_sensor_once
from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor
from em_assets_tests.fixtures.tomograms import (
    corrupt_chunk,
    noise,
    write_mrc,
    write_oversized_claim,
    write_zarr,
)


def _failure_message(instance: dg.DagsterInstance, run_id: str) -> str:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    failures = [r.event_log_entry.dagster_event.step_failure_data for r in records]
    return " ".join(f.user_failure_data.description for f in failures if f.user_failure_data)


def test_truncated_mrc_fails_alone_and_leaves_nothing_behind(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, small_landing: list[Path]
) -> None:
    broken = layout.tomogram_landing / "broken.mrc"
    with mrcfile.new(broken) as mrc:
        mrc.set_data(np.zeros((8, 16, 16), dtype=np.float32))
    broken.write_bytes(broken.read_bytes()[:2000])

    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    outcomes = {o.partition: o for o in tick.outcomes}
    assert not outcomes["broken"].success
    assert outcomes["small-mrc"].success and outcomes["small-zarr"].success
    message = _failure_message(instance, outcomes["broken"].run_id)
    assert "broken.mrc" in message and "truncated" in message
    assert not layout.raw_tomogram_dir("broken").exists()
    assert [p.name for p in layout.raw_tomogram_dir("broken").parent.iterdir() if p.name.startswith(".")] == []


def test_constant_volume_is_stopped_by_the_blocking_check(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    flat = layout.tomogram_landing / "flat.mrc"
    flat.parent.mkdir(parents=True)
    with mrcfile.new(flat) as mrc:
        mrc.set_data(np.full((8, 16, 16), 3.0, dtype=np.float32))

    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    assert [o.success for o in tick.outcomes] == [False]
    key = dg.AssetCheckKey(dg.AssetKey("raw_tomogram"), "volume_is_3d_finite_and_varied")
    check = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert not check.event.dagster_event.event_specific_data.passed
    assert "constant" in check.event.dagster_event.event_specific_data.description
    assert instance.get_materialized_partitions(dg.AssetKey("contrast_limits")) == set()


def test_bad_tomograms_fail_alone_by_name_and_publish_nothing(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout, small_landing: list[Path]
) -> None:
    landing = layout.tomogram_landing
    write_mrc(landing / "complex.mrc", noise(dtype=np.complex64))
    corrupt_chunk(write_zarr(landing / "corrupt.zarr", [noise((8, 8, 8))]))
    write_oversized_claim(landing / "huge.zarr")
    (landing / "outside.zarr").symlink_to("/etc")
    (landing / "copy.mrc").symlink_to(small_landing[1])

    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    outcomes = {o.partition: o for o in tick.outcomes}
    assert sorted(outcomes) == ["complex", "corrupt", "huge", "small-mrc", "small-zarr"]
    assert outcomes["small-mrc"].success and outcomes["small-zarr"].success
    expected = {
        "complex": "complex.mrc: holds complex float32 data (mode 4)",
        "corrupt": "corrupt.zarr/0/0.0.1: corrupt chunk: it cannot be decoded (RuntimeError)",
        "huge": "huge.zarr: its metadata claims 80.0 GB for level '0'",
    }
    for key, message in expected.items():
        assert not outcomes[key].success
        assert message in _failure_message(instance, outcomes[key].run_id)
        assert not layout.raw_tomogram_dir(key).exists()
    assert [p.name for p in layout.raw_tomogram_dir("complex").parent.iterdir() if p.name.startswith(".")] == []
    assert set(instance.get_dynamic_partitions("tomogram")) == set(outcomes)
    assert instance.get_materialized_partitions(dg.AssetKey("contrast_limits")) == {"small-mrc", "small-zarr"}


def test_an_all_nan_volume_is_stopped_by_the_blocking_check(
    definitions: dg.Definitions, instance: dg.DagsterInstance, layout: StoreLayout
) -> None:
    write_mrc(layout.tomogram_landing / "nan.mrc", np.full((8, 16, 16), np.nan, dtype=np.float32))
    tick = run_sensor_once(definitions, instance, tomogram_landing_sensor.name, progress=lambda _: None)
    assert [o.success for o in tick.outcomes] == [False]
    check = tick.check("nan", "raw_tomogram", "volume_is_3d_finite_and_varied")
    assert not check.passed and check.description == "no finite voxel"
    assert instance.get_materialized_partitions(dg.AssetKey("sampled_voxels")) == set()
