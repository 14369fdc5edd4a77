"""Demo tomograms are simulated lamellae, stored in each dtype and format with the header they declare."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.tomograms.demo import (
    DEMO_TOMOGRAMS,
    DemoTomogram,
    demo_volume,
    stored_as,
    write_demo_tomograms,
)
from em_assets.core.tomograms.simulation import simulate_tomogram
from em_assets.core.tomograms.volumes import open_source_volume

SMALL = (
    DemoTomogram("f32", (24, 48, 48), 10.0, "ngff-0.4", stored_as("float32", 100.0, 5.0), seed=1),
    DemoTomogram("i8", (24, 48, 48), 10.0, "ngff-0.5", stored_as("int8"), seed=2),
    DemoTomogram("i16", (24, 40, 56), 10.0, "mrc", stored_as("int16"), seed=3,
                 mrc_origin=(-30.0, 40.0, 50.0), mrc_voxel_size=(10.0, 10.0, 10.5)),  # fmt: skip
    DemoTomogram("u8", (24, 48, 48), 10.0, "ngff-0.4", stored_as("uint8"), seed=4, dose=30.0),
)


def test_each_format_and_dtype_reads_back_with_its_geometry(tmp_path: Path) -> None:
    paths = write_demo_tomograms(tmp_path, SMALL)
    assert [p.name for p in paths] == ["f32.zarr", "i8.zarr", "i16.mrc", "u8.zarr"]
    sources = [open_source_volume(p) for p in paths]
    assert [s.data.dtype for s in sources] == [np.float32, np.int8, np.int16, np.uint8]
    assert [s.format for s in sources] == ["ome-zarr", "ome-zarr", "mrc", "ome-zarr"]
    for demo, source in zip(SMALL, sources):
        assert source.data.shape == demo.shape
        np.testing.assert_array_equal(np.asarray(source.data[:]), demo_volume(demo))
    assert sources[2].voxel_size == pytest.approx((10.5, 10.0, 10.0))
    assert sources[2].translation == pytest.approx((50.0, 40.0, -30.0))


def test_float_demo_is_the_simulation_at_unit_spread_then_scaled() -> None:
    demo = SMALL[0]
    simulated = simulate_tomogram(demo.spec).astype(np.float64)
    unit = (simulated - simulated.mean()) / simulated.std()
    np.testing.assert_allclose(demo_volume(demo), 5.0 + 100.0 * unit, rtol=1e-4, atol=1e-3)


def test_integer_demos_use_the_full_type_range() -> None:
    for demo, (low, high) in ((SMALL[1], (-128, 127)), (SMALL[3], (0, 255))):
        volume = demo_volume(demo)
        assert volume.min() == low and volume.max() == high  # quantise saturates the 0.1 % tails


def test_existing_demos_are_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "f32.zarr").mkdir()
    assert write_demo_tomograms(tmp_path, SMALL[:1]) == [tmp_path / "f32.zarr"]
    assert list((tmp_path / "f32.zarr").iterdir()) == []


def test_demo_set_covers_the_portal_dtypes_and_both_file_kinds() -> None:
    unit = np.linspace(-3, 3, 64, dtype=np.float32).reshape(4, 4, 4)
    assert sorted(str(demo.scale(unit).dtype) for demo in DEMO_TOMOGRAMS) == ["float32", "int16", "int8", "uint8"]
    assert {demo.format for demo in DEMO_TOMOGRAMS} == {"ngff-0.4", "ngff-0.5", "mrc"}
    header = next(demo for demo in DEMO_TOMOGRAMS if demo.format == "mrc")
    assert any(header.mrc_origin) and len(set(header.mrc_voxel_size)) > 1
    assert min(demo.dose for demo in DEMO_TOMOGRAMS) < 60 <= max(demo.dose for demo in DEMO_TOMOGRAMS)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(InputError, match="demo tomogram x: format 'tiff'"):
        DemoTomogram("x", (16, 16, 16), 10.0, "tiff", stored_as("int8"), seed=0)
