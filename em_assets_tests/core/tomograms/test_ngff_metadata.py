"""NGFF 0.4/0.5 metadata read by the specification: named axes, length units, composed transforms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import (
    MultiscaleLevel,
    build_multiscales,
    set_translation,
    write_display_window,
)
from em_assets.core.tomograms.volumes import (
    open_multiscale,
    open_source_volume,
    write_multiscale,
)

VOLUME = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)  # z, y, x, every voxel distinct


def _axes(names: str, unit: str = "angstrom") -> list[dict[str, str]]:
    return [{"name": name, "type": "space", "unit": unit} for name in names]


def _scale(*values: float) -> dict[str, Any]:
    return {"type": "scale", "scale": list(values)}


def _shift(*values: float) -> dict[str, Any]:
    return {"type": "translation", "translation": list(values)}


def _write(path: Path, data: np.ndarray, multiscale: dict[str, Any], version: str = "0.4") -> Path:
    group = zarr.open_group(str(path), mode="w", zarr_format=2 if version == "0.4" else 3)
    group.create_array("0", data=data)
    if version == "0.4":
        group.attrs["multiscales"] = [{"version": "0.4", **multiscale}]
    else:
        group.attrs["ome"] = {"version": "0.5", "multiscales": [multiscale]}
    return path


def _image(axes: list[dict[str, str]], transforms: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"axes": axes, "datasets": [{"path": "0", "coordinateTransformations": transforms}], **extra}


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_x_y_z_store_is_reordered_by_axis_name(tmp_path: Path, version: str) -> None:
    stored = VOLUME.transpose(2, 1, 0)  # x, y, z on disk
    _write(tmp_path / "xyz.zarr", stored, _image(_axes("xyz"), [_scale(1.0, 2.0, 3.0), _shift(10.0, 20.0, 30.0)]), version)
    source = open_source_volume(tmp_path / "xyz.zarr")
    assert source.data.shape == (4, 5, 6)
    np.testing.assert_array_equal(np.asarray(source.data[:]), VOLUME)
    np.testing.assert_array_equal(source.data[1, 2:4], VOLUME[1, 2:4])
    assert source.voxel_size == (3.0, 2.0, 1.0) and source.translation == (30.0, 20.0, 10.0)


def test_y_z_x_store_and_its_pyramid_copy(tmp_path: Path) -> None:
    stored = VOLUME.transpose(1, 0, 2)  # y, z, x on disk
    _write(tmp_path / "yzx.zarr", stored, _image(_axes("yzx"), [_scale(2.0, 3.0, 1.0)]))
    source = open_source_volume(tmp_path / "yzx.zarr")
    copy = write_multiscale(tmp_path / "copy.zarr", source.data, source.voxel_size, "copy")
    np.testing.assert_array_equal(copy.array(0)[:], VOLUME)
    assert copy.levels[0].voxel_size == (3.0, 2.0, 1.0)


@pytest.mark.parametrize(
    ("unit", "angstrom_per_unit"),
    [
        ("picometer", 0.01),  # 1 Å = 100 pm
        ("nanometer", 10.0),
        ("centimeter", 1e8),  # 1 cm = 1e-2 m = 1e8 Å
        ("inch", 2.54e8),  # the international inch is exactly 2.54 cm
        ("parsec", 3.0857e26),  # IAU: 1 pc ≈ 3.0857e16 m
    ],
)
def test_length_units_convert_to_angstrom(tmp_path: Path, unit: str, angstrom_per_unit: float) -> None:
    _write(tmp_path / "u.zarr", VOLUME, _image(_axes("zyx", unit), [_scale(1.0, 2.0, 4.0)]))
    source = open_source_volume(tmp_path / "u.zarr")
    assert source.voxel_size == pytest.approx(tuple(v * angstrom_per_unit for v in (1.0, 2.0, 4.0)), rel=1e-4)


def test_dataset_and_multiscale_transforms_compose(tmp_path: Path) -> None:
    # physical = (index × dataset scale + dataset translation) × multiscale scale + multiscale translation
    multiscale = _image(
        _axes("zyx", "nanometer"),
        [_scale(2.0, 2.0, 2.0), _shift(1.0, 2.0, 3.0)],
        coordinateTransformations=[_scale(10.0, 10.0, 1.0), _shift(100.0, 0.0, -5.0)],
    )
    _write(tmp_path / "c.zarr", VOLUME, multiscale)
    level = open_multiscale(tmp_path / "c.zarr").levels[0]
    assert level.voxel_size == pytest.approx((200.0, 200.0, 20.0))  # (20, 20, 2) nm
    assert level.translation == pytest.approx((1100.0, 200.0, -20.0))  # (110, 20, -2) nm


@pytest.mark.parametrize(
    ("axes", "transforms", "message"),
    [
        (_axes("zyx", "nm"), [_scale(1, 1, 1)], "axis 'z' has unit 'nm', which is not an NGFF length unit"),
        (_axes("zyx", "furlong"), [_scale(1, 1, 1)], "unit 'furlong'"),
        (_axes("zyc"), [_scale(1, 1, 1)], "not a spatial z, y or x axis"),
        (_axes("zyy"), [_scale(1, 1, 1)], r"expected the axes z, y and x once each, found \['z', 'y', 'y'\]"),
        (_axes("zyx"), [_scale(1, 1)], r"dataset '0' scale must list 3 numbers, got \[1, 1\]"),
        (_axes("zyx"), [_shift(0, 0, 0), _scale(1, 1, 1)], "must hold one scale then at most one translation"),
        (_axes("zyx"), [_shift(0, 0, 0)], "dataset '0' has no scale transform"),
        (_axes("zyx"), [_scale(1, 0, 1)], "must be positive"),
        (_axes("zyx"), [_scale(1, float("nan"), 1)], "is not finite"),
        (_axes("zyx"), [{"type": "affine", "affine": []}], "unsupported type 'affine'"),
        (_axes("zyx"), [{"type": "scale", "path": "s.bin"}], "keeps its scale in a file"),
    ],
)
def test_bad_metadata_is_refused_by_name(tmp_path: Path, axes, transforms, message: str) -> None:
    _write(tmp_path / "bad.zarr", VOLUME, _image(axes, transforms))
    with pytest.raises(InputError, match=message) as error:
        open_source_volume(tmp_path / "bad.zarr")
    assert "bad.zarr" in str(error.value)


def test_missing_level_is_refused(tmp_path: Path) -> None:
    multiscale = _image(_axes("zyx"), [_scale(1, 1, 1)])
    multiscale["datasets"].append({"path": "1", "coordinateTransformations": [_scale(2, 2, 2)]})
    _write(tmp_path / "gap.zarr", VOLUME, multiscale)
    with pytest.raises(InputError, match=r"gap\.zarr: lists level '1' but has no such array"):
        open_multiscale(tmp_path / "gap.zarr")


def test_set_translation_rewrites_every_level_and_reads_back(tmp_path: Path) -> None:
    write_multiscale(tmp_path / "t.zarr", np.zeros((8, 8, 8), np.float32), (1.0, 2.0, 3.0), "t", metadata={"k": "v"})
    set_translation(tmp_path / "t.zarr", (5.0, -6.0, 7.0))
    multiscale = open_multiscale(tmp_path / "t.zarr")
    assert [level.translation for level in multiscale.levels] == [(5.0, -6.0, 7.0)] * 3
    assert multiscale.levels[1].voxel_size == (2.0, 4.0, 6.0)
    attrs = json.loads((tmp_path / "t.zarr" / ".zattrs").read_text())
    assert attrs["multiscales"][0]["metadata"] == {"k": "v"} and attrs["multiscales"][0]["name"] == "t"
    set_translation(tmp_path / "t.zarr", (0.0, 0.0, 0.0))
    attrs = json.loads((tmp_path / "t.zarr" / ".zattrs").read_text())
    assert attrs["multiscales"] == build_multiscales("t", [MultiscaleLevel(str(i), tuple(v * 2**i for v in (1.0, 2.0, 3.0))) for i in range(3)], {"k": "v"})


def test_display_window_is_written_as_omero_metadata(tmp_path: Path) -> None:
    write_multiscale(tmp_path / "w.zarr", VOLUME, (1.0, 1.0, 1.0), "w")
    before = json.loads((tmp_path / "w.zarr" / ".zattrs").read_text())
    write_display_window(tmp_path / "w.zarr", (10.5, 90.0), (0.0, 119.0), "w", default_z=2)
    attrs = json.loads((tmp_path / "w.zarr" / ".zattrs").read_text())
    assert attrs["multiscales"] == before["multiscales"]
    channel = attrs["omero"]["channels"][0]
    assert channel["window"] == {"min": 0.0, "max": 119.0, "start": 10.5, "end": 90.0}
    assert channel["active"] is True and channel["label"] == "w" and channel["color"] == "FFFFFF"
    assert attrs["omero"]["version"] == "0.4" and attrs["omero"]["rdefs"]["defaultZ"] == 2
    assert sorted(p.name for p in (tmp_path / "w.zarr").iterdir()) == [".zattrs", ".zgroup", "0", "1", "2"]  # no temporary left
    assert zarr.open_group(str(tmp_path / "w.zarr"), mode="r").attrs["omero"]["channels"][0]["window"]["end"] == 90.0
