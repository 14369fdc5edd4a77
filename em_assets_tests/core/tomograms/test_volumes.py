"""Reading MRC and OME-Zarr sources and writing NGFF 0.4 pyramids."""

import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
from em_assets.core.tomograms.pyramid import downsample_2x
from em_assets.core.tomograms.volumes import (
    open_multiscale,
    open_source_volume,
    write_multiscale,
)


def _volume(shape=(20, 33, 40), dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(0).normal(100, 10, size=shape).astype(dtype)


def test_pyramid_levels_shapes_scales_and_metadata(tmp_path: Path) -> None:
    data = _volume()
    multiscale = write_multiscale(tmp_path / "t.zarr", data, (10.0, 5.0, 5.0), "t")
    assert [a.shape for a in multiscale.arrays] == [(20, 33, 40), (10, 16, 20), (5, 8, 10)]
    assert [l.voxel_size for l in multiscale.levels] == [(10.0, 5.0, 5.0), (20.0, 10.0, 10.0), (40.0, 20.0, 20.0)]
    np.testing.assert_array_equal(multiscale.array(0)[:], data)
    np.testing.assert_allclose(multiscale.array(1)[:], downsample_2x(data, np.dtype(np.float32)))
    attrs = json.loads((tmp_path / "t.zarr" / ".zattrs").read_text())
    assert attrs["multiscales"][0]["version"] == "0.4"
    assert [a["unit"] for a in attrs["multiscales"][0]["axes"]] == ["angstrom"] * 3
    zarray = json.loads((tmp_path / "t.zarr" / "0" / ".zarray").read_text())
    assert zarray["zarr_format"] == 2 and zarray["dimension_separator"] == "/"


def test_pyramid_is_byte_identical_across_writes(tmp_path: Path) -> None:
    data = _volume()
    write_multiscale(tmp_path / "a.zarr", data, (1.0, 1.0, 1.0), "t")
    write_multiscale(tmp_path / "b.zarr", data, (1.0, 1.0, 1.0), "t")
    files_a = sorted(p.relative_to(tmp_path / "a.zarr") for p in (tmp_path / "a.zarr").rglob("*") if p.is_file())
    for relative in files_a:
        assert (tmp_path / "a.zarr" / relative).read_bytes() == (tmp_path / "b.zarr" / relative).read_bytes()


def test_integer_pyramid_rounds_without_overflow(tmp_path: Path) -> None:
    data = np.full((4, 4, 4), 255, dtype=np.uint8)
    data[0, 0, 0] = 254
    multiscale = write_multiscale(tmp_path / "u.zarr", data, (1.0, 1.0, 1.0), "u")
    assert multiscale.array(1).dtype == np.uint8
    assert multiscale.array(1)[0, 0, 0] == 255


def test_mrc_source_is_memory_mapped_with_voxel_size(tmp_path: Path) -> None:
    data = _volume()
    with mrcfile.new(tmp_path / "t.mrc") as mrc:
        mrc.set_data(data)
        mrc.voxel_size = (7.56, 7.56, 7.56)
    source = open_source_volume(tmp_path / "t.mrc")
    assert source.format == "mrc" and isinstance(source.data, np.memmap)
    assert source.voxel_size == pytest.approx((7.56, 7.56, 7.56))
    np.testing.assert_array_equal(source.data, data)


def test_truncated_mrc_is_refused_by_name(tmp_path: Path) -> None:
    with mrcfile.new(tmp_path / "t.mrc") as mrc:
        mrc.set_data(_volume())
    content = (tmp_path / "t.mrc").read_bytes()
    (tmp_path / "t.mrc").write_bytes(content[: len(content) // 2])
    with pytest.raises(InputError, match=r"t\.mrc.*truncated"):
        open_source_volume(tmp_path / "t.mrc")


def test_ngff_05_source_in_nanometres(tmp_path: Path) -> None:
    group = zarr.open_group(str(tmp_path / "v5.zarr"), mode="w", zarr_format=3)
    group.create_array("s0", data=_volume())
    multiscales = build_multiscales("v5", [MultiscaleLevel("s0", (1.0, 0.5, 0.5))])
    multiscales[0].pop("version")
    for axis in multiscales[0]["axes"]:
        axis["unit"] = "nanometer"
    group.attrs["ome"] = {"version": "0.5", "multiscales": multiscales}
    source = open_source_volume(tmp_path / "v5.zarr")
    assert source.voxel_size == pytest.approx((10.0, 5.0, 5.0))
    assert source.data.shape == (20, 33, 40)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("plain.zarr", lambda p: zarr.open_group(str(p), mode="w", zarr_format=2), "no 'multiscales'"),
        ("notes.txt", lambda p: p.write_text("hello"), "neither an MRC file"),
        ("missing.mrc", lambda p: None, "does not exist"),
    ],
)
def test_bad_sources_name_the_file(tmp_path: Path, name: str, make, message: str) -> None:
    make(tmp_path / name)
    with pytest.raises(InputError, match=message) as error:
        open_source_volume(tmp_path / name)
    assert name in str(error.value)


def test_two_dimensional_level_is_refused(tmp_path: Path) -> None:
    group = zarr.open_group(str(tmp_path / "flat.zarr"), mode="w", zarr_format=2)
    group.create_array("0", data=np.zeros((4, 4), dtype=np.float32))
    group.attrs["multiscales"] = build_multiscales("flat", [MultiscaleLevel("0", (1.0, 1.0, 1.0))])
    with pytest.raises(InputError, match="not 3-D"):
        open_multiscale(tmp_path / "flat.zarr")
