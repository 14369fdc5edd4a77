"""MRC headers read as ChimeraX/IMP read them: on real EMDB maps and on hand-written header variants."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ingest import ingest_landing_tomogram
from em_assets.core.tomograms.neuroglancer import tomogram_state
from em_assets.core.tomograms.volumes import open_source_volume

# A volume whose every voxel is distinct, so any transposition shows; z, y, x sizes all differ.
SHAPE_ZYX = (5, 6, 7)
VOXEL_ZYX = (3.0, 2.0, 1.0)
VOLUME = np.arange(np.prod(SHAPE_ZYX), dtype=np.float32).reshape(SHAPE_ZYX)


def _write(path: Path, file_array: np.ndarray, **header: object) -> Path:
    """Write `file_array` (sections, rows, columns) and then overwrite the given header fields."""
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(file_array)
        for name, value in header.items():
            setattr(mrc.header, name, value)
    return path


def _stored(mapc: int, mapr: int, maps: int) -> np.ndarray:
    """VOLUME laid out as a file with this axis mapping: file axis (section, row, column) holds
    the axis numbered maps, mapr, mapc (1 = X, 2 = Y, 3 = Z), i.e. VOLUME's axis 3 - number."""
    return VOLUME.transpose(3 - maps, 3 - mapr, 3 - mapc)


def _anisotropic_cell(mx: int = 7, my: int = 6, mz: int = 5) -> dict[str, object]:
    # cella is the cell edge (Å) along X, Y, Z; voxel = cella / (mx, my, mz) = (1, 2, 3) Å along x, y, z.
    return {"mx": mx, "my": my, "mz": mz, "cella": (mx * VOXEL_ZYX[2], my * VOXEL_ZYX[1], mz * VOXEL_ZYX[0])}


def test_emd_3001_permuted_axes_voxel_size_and_start(emdb_maps: Path) -> None:
    # Header of EMDB entry EMD-3001 (MicroED, space group P21), as mrcfile's print_header() shows it:
    # nx, ny, nz = 73, 43, 25; mapc, mapr, maps = 3, 1, 2 (columns are Z, rows X, sections Y);
    # mx, my, mz = 40, 12, 72; cella = 17.93, 4.71, 33.03 Å; nxstart, nystart, nzstart = 0, -21, -12;
    # origin 0; dmax = 0.72161025.
    source = open_source_volume(emdb_maps / "EMD-3001.map")
    assert source.data.shape == (73, 25, 43)
    assert source.voxel_size == pytest.approx((33.03 / 72, 4.71 / 12, 17.93 / 40))
    # Z starts at column 0, Y at section -12, X at row -21, each times that axis's voxel size.
    assert source.translation == pytest.approx((0.0, -12 * 4.71 / 12, -21 * 17.93 / 40))
    file_order = mrcfile.read(emdb_maps / "EMD-3001.map")  # (sections=Y, rows=X, columns=Z)
    np.testing.assert_array_equal(np.asarray(source.data[:]), file_order.transpose(2, 0, 1))
    assert float(np.max(source.data)) == pytest.approx(0.72161025)


def test_emd_3197_standard_axes_and_column_start(emdb_maps: Path) -> None:
    # EMD-3197 (sub-tomogram average): 20 × 20 × 20, mapc/mapr/maps = 1, 2, 3, cella 228 Å, mx = 20,
    # nxstart = -2, origin 0, dmin/dmax = -4.1337457 / 5.576737 (its header).
    source = open_source_volume(emdb_maps / "EMD-3197.map")
    assert source.data.shape == (20, 20, 20)
    assert source.voxel_size == pytest.approx((11.4, 11.4, 11.4))
    assert source.translation == pytest.approx((0.0, 0.0, -2 * 11.4))
    np.testing.assert_array_equal(np.asarray(source.data), mrcfile.read(emdb_maps / "EMD-3197.map"))
    assert (float(np.min(source.data)), float(np.max(source.data))) == pytest.approx((-4.1337457, 5.576737))


def test_real_micrograph_is_refused_as_2d(emdb_maps: Path) -> None:
    with pytest.raises(InputError, match=r"fei-extended\.mrc: is a single 2-D image \(3710 × 3838\)"):
        open_source_volume(emdb_maps / "fei-extended.mrc")


@pytest.mark.parametrize("mapping", list(itertools.permutations((1, 2, 3))))
def test_every_axis_mapping_reads_back_zyx_with_anisotropic_voxels(tmp_path: Path, mapping) -> None:
    mapc, mapr, maps = mapping
    path = _write(tmp_path / "p.mrc", _stored(mapc, mapr, maps), mapc=mapc, mapr=mapr, maps=maps, **_anisotropic_cell())
    source = open_source_volume(path)
    np.testing.assert_array_equal(np.asarray(source.data[:]), VOLUME)
    np.testing.assert_array_equal(np.asarray(source.data[2, 1:4, ::2]), VOLUME[2, 1:4, ::2])
    assert source.voxel_size == pytest.approx(VOXEL_ZYX)


def test_start_fields_follow_the_axis_they_map_to(tmp_path: Path) -> None:
    # mapc, mapr, maps = 2, 3, 1: columns are Y (nxstart 4), rows Z (nystart 5), sections X (nzstart 6).
    path = _write(tmp_path / "s.mrc", _stored(2, 3, 1), mapc=2, mapr=3, maps=1, nxstart=4, nystart=5, nzstart=6,
                  **_anisotropic_cell())  # fmt: skip
    assert open_source_volume(path).translation == pytest.approx((5 * 3.0, 4 * 2.0, 6 * 1.0))


def test_non_zero_origin_wins_over_start(tmp_path: Path) -> None:
    path = _write(tmp_path / "o.mrc", VOLUME, nxstart=10, origin=(100.0, -200.0, 300.5), **_anisotropic_cell())
    assert open_source_volume(path).translation == pytest.approx((300.5, -200.0, 100.0))


@pytest.mark.parametrize(
    ("mode", "stored", "read"),
    [(0, np.int8, np.int8), (1, np.int16, np.int16), (2, np.float32, np.float32),
     (6, np.uint16, np.uint16), (12, np.float16, np.float32)],
)  # fmt: skip
def test_each_real_mode_is_read(tmp_path: Path, mode: int, stored, read) -> None:
    data = (VOLUME % 100).astype(stored)
    path = _write(tmp_path / "m.mrc", data)
    assert mrcfile.open(path, header_only=True).header.mode == mode
    source = open_source_volume(path)
    assert source.data.dtype == np.dtype(read)
    np.testing.assert_array_equal(np.asarray(source.data[1:3]), data[1:3].astype(read))


def test_big_endian_file_reads_as_native_values(tmp_path: Path) -> None:
    path = _write(tmp_path / "be.mrc", VOLUME.astype(">f4"), **_anisotropic_cell())
    with mrcfile.open(path, header_only=True) as mrc:
        assert mrc.header.mode.dtype.byteorder == ">"
    source = open_source_volume(path)
    assert source.data.dtype == np.dtype("<f4").newbyteorder("=")
    np.testing.assert_array_equal(np.asarray(source.data[:]), VOLUME)
    assert source.voxel_size == pytest.approx(VOXEL_ZYX)


def test_image_stack_is_refused(tmp_path: Path) -> None:
    with mrcfile.new(tmp_path / "stack.mrc") as mrc:
        mrc.set_data(VOLUME)
        mrc.set_image_stack()
    with pytest.raises(InputError, match=r"stack\.mrc: is an image stack of 5 images"):
        open_source_volume(tmp_path / "stack.mrc")


def test_volume_stack_is_refused(tmp_path: Path) -> None:
    with mrcfile.new(tmp_path / "vstack.mrc") as mrc:
        mrc.set_data(np.zeros((2, 4, 4, 4), dtype=np.float32))
    with pytest.raises(InputError, match=r"vstack\.mrc: is a volume stack \(space group 401\)"):
        open_source_volume(tmp_path / "vstack.mrc")


def test_complex_mode_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "c.mrc", VOLUME.astype(np.complex64))
    with pytest.raises(InputError, match=r"c\.mrc: holds complex float32 data \(mode 4\)"):
        open_source_volume(tmp_path / "c.mrc")


def test_axis_mapping_that_is_not_a_permutation_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "bad.mrc", VOLUME, mapc=1, mapr=1, maps=3)
    with pytest.raises(InputError, match=r"bad\.mrc: has mapc, mapr, maps = \(1, 1, 3\)"):
        open_source_volume(tmp_path / "bad.mrc")


def test_ingest_carries_the_translation_to_the_store_the_record_and_the_viewer(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    _write(landing / "placed.mrc", _stored(2, 3, 1), mapc=2, mapr=3, maps=1, origin=(7.0, 8.0, 9.0),
           **_anisotropic_cell())  # fmt: skip
    record, _ = ingest_landing_tomogram(landing, "placed", tmp_path / "out")
    assert record.translation == pytest.approx((9.0, 8.0, 7.0)) and record.voxel_size == pytest.approx(VOXEL_ZYX)
    datasets = json.loads((tmp_path / "out" / "tomogram.zarr" / ".zattrs").read_text())["multiscales"][0]["datasets"]
    for dataset in datasets:
        assert dataset["coordinateTransformations"][1] == {"type": "translation", "translation": [9.0, 8.0, 7.0]}
    state = tomogram_state(record, "zarr://http://127.0.0.1/x.zarr", {"gmm": (0.0, 1.0)})
    # centre of the 7 × 6 × 5 (x, y, z) grid plus the translation in voxels: 7/1, 8/2, 9/3.
    assert state["position"] == pytest.approx([3.5 + 7.0, 3.0 + 4.0, 2.5 + 3.0])
