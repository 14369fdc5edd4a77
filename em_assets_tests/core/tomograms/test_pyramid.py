"""The streaming pyramid writer: byte-identical to a plain whole-volume pyramid, statistics from the pass."""

import warnings
from pathlib import Path

import mrcfile
import numcodecs
import numpy as np
import pytest
import zarr

from em_assets.core.tomograms.pyramid import block_edges, level_shapes, write_pyramid
from em_assets.core.tomograms.statistics import volume_statistics
from em_assets.core.tomograms.volumes import open_source_volume

VOXEL = (1.5, 2.0, 2.5)


def _reference_pyramid(dest: Path, data: np.ndarray, name: str, metadata: dict) -> None:
    """The pyramid as the writer made it before streaming: whole levels, each the 2×2×2 mean of the last."""
    group = zarr.open_group(str(dest), mode="w", zarr_format=2)
    level, datasets = np.asarray(data), []
    for index in range(3):
        if index:
            z, y, x = (n // 2 for n in level.shape)
            if min(z, y, x) < 1:
                break
            blocks = level[: 2 * z, : 2 * y, : 2 * x].astype(np.float64).reshape(z, 2, y, 2, x, 2)
            mean = blocks.mean(axis=(1, 3, 5))
            level = np.rint(mean).astype(data.dtype) if data.dtype.kind in "iu" else mean.astype(data.dtype)
        array = group.create_array(
            str(index),
            shape=level.shape,
            chunks=tuple(min(64, n) for n in level.shape),
            dtype=level.dtype,
            compressors=numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE),
            fill_value=0,
            chunk_key_encoding={"name": "v2", "separator": "/"},
        )
        array[:] = level
        scale = [float(v) * 2**index for v in VOXEL]
        datasets.append({"path": str(index), "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    axes = [{"name": axis, "type": "space", "unit": "angstrom"} for axis in "zyx"]
    group.attrs["multiscales"] = [
        {"version": "0.4", "name": name, "axes": axes, "datasets": datasets, "metadata": metadata}
    ]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _float_volume(shape: tuple[int, int, int]) -> np.ndarray:
    data = np.random.default_rng(3).normal(100, 30, size=shape).astype(np.float32)
    data[:, :64, :64] = 0  # whole chunks of fill value, which zarr does not write
    data[5, 6, 7], data[200, 1, 290], data[7, 8, 9] = np.nan, -np.inf, -0.0
    return data


def _wide_float64(shape: tuple[int, int, int]) -> np.ndarray:
    """Finite, 40 decades wide (so that the order of additions shows), with 2×2×2 groups of -0.0."""
    rng = np.random.default_rng(5)
    data = rng.standard_normal(shape) * 10.0 ** rng.integers(-20, 20, size=shape)
    data[:2, :2, :2] = -0.0
    return data


def _integers(shape: tuple[int, int, int]) -> np.ndarray:
    return np.random.default_rng(4).integers(-999, 999, shape)


def _mrc_source(tmp_path: Path, data: np.ndarray):
    with mrcfile.new(tmp_path / "in.mrc") as mrc, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Data array contains NaN", RuntimeWarning)
        mrc.set_data(data)
    return open_source_volume(tmp_path / "in.mrc").data


def _zarr_source(tmp_path: Path, data: np.ndarray):
    return zarr.create_array(str(tmp_path / "in.zarr"), data=data, chunks=(256, 256, 256), zarr_format=2)


@pytest.mark.parametrize(
    ("shape", "dtype", "make", "source"),
    [
        # crosses the 256-voxel block edge along z and x, NaN and inf in one block; read with pread
        ((260, 36, 300), np.float32, _float_volume, _mrc_source),
        # integers are rounded half to even; read from chunked zarr
        ((40, 270, 50), np.int16, _integers, _zarr_source),
        # odd, tiny: the third level is dropped, one axis has a single plane at level 1
        ((3, 5, 9), np.uint8, _integers, lambda tmp_path, data: data),
        # float64 whose sums round differently in another order; signed zeros
        ((70, 66, 41), np.float64, _wide_float64, lambda tmp_path, data: data),
    ],
)
def test_streaming_pyramid_is_byte_identical_to_whole_volume_pyramid(
    tmp_path: Path, shape: tuple[int, int, int], dtype: type, make, source
) -> None:
    data = make(shape).astype(dtype)
    _reference_pyramid(tmp_path / "expected.zarr", data, "t", {"source": "x"})
    written = write_pyramid(tmp_path / "got.zarr", source(tmp_path, data), VOXEL, "t", metadata={"source": "x"})
    expected, got = _files(tmp_path / "expected.zarr"), _files(tmp_path / "got.zarr")
    assert sorted(got) == sorted(expected) and len(got) > 3
    assert [name for name in expected if got[name] != expected[name]] == []
    assert [level.path for level in written.levels] == [str(i) for i in range(len(level_shapes(shape, 3)))]
    assert written.statistics == volume_statistics(data)


def test_statistics_from_the_pass_count_nonfinite_and_ignore_them(tmp_path: Path) -> None:
    data = _float_volume((260, 36, 300))
    statistics = write_pyramid(tmp_path / "t.zarr", data, VOXEL, "t").statistics
    finite = data[np.isfinite(data)]
    assert (statistics.minimum, statistics.maximum) == (float(finite.min()), float(finite.max()))
    assert statistics.n_nonfinite == 2 and statistics.shape == (260, 36, 300)


def test_blocks_own_whole_chunks_of_every_level_and_whole_source_chunks() -> None:
    assert block_edges((1000, 1000, 1000), 3, None) == (256, 256, 256)
    assert block_edges((1000, 1000, 1000), 3, (512, 256, 128)) == (512, 256, 256)
    assert block_edges((1000, 1000, 1000), 2, (100, 512, 1024)) == (128, 512, 128)
