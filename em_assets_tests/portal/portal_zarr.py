"""Small real OME-Zarr tomograms in the portal's layout: zarr v2, NGFF 0.4, levels 0, 1, 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numcodecs
import numpy as np
import zarr

LEVEL0_SHAPE = (32, 64, 64)
CHUNKS = (16, 32, 32)
PORTAL_COMPRESSOR = numcodecs.Blosc(cname="zstd", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)


@dataclass(frozen=True)
class FixtureZarr:
    """A fixture tomogram on disk: its folder, voxel size and level arrays (level 0 first)."""

    path: Path
    voxel_spacing: float
    levels: list[np.ndarray]

    def relative_key(self, root: Path) -> str:
        """The zarr folder relative to the served root, as used in URLs and S3 keys."""
        return self.path.relative_to(root).as_posix()


def tomogram_volume(seed: int, shape: tuple[int, int, int] = LEVEL0_SHAPE) -> np.ndarray:
    """A float32 volume with noise, a dense slab and a few bright particles, reproducible by seed."""
    rng = np.random.default_rng(seed)
    volume = rng.normal(0.0, 0.1, size=shape).astype(np.float32)
    z = np.arange(shape[0])[:, None, None]
    volume += np.where(np.abs(z - shape[0] / 2) < shape[0] / 4, 0.15, 0.0).astype(np.float32)
    for _ in range(6):
        centre = [rng.integers(4, n - 4) for n in shape]
        volume[tuple(slice(c - 2, c + 2) for c in centre)] += 0.8
    return volume


def downsample(volume: np.ndarray) -> np.ndarray:
    """2x block mean along every axis."""
    z, y, x = (n // 2 for n in volume.shape)
    blocks = volume[: 2 * z, : 2 * y, : 2 * x].reshape(z, 2, y, 2, x, 2)
    return blocks.mean(axis=(1, 3, 5)).astype(volume.dtype)


def write_portal_zarr(
    path: Path, seed: int, voxel_spacing: float, shape: tuple[int, int, int] = LEVEL0_SHAPE
) -> FixtureZarr:
    """Write a three-level NGFF 0.4 multiscale of level-0 `shape` the way the portal publishes tomograms."""
    levels = [tomogram_volume(seed, shape)]
    for _ in range(2):
        levels.append(downsample(levels[-1]))
    group = zarr.open_group(path, mode="w", zarr_format=2)
    for index, data in enumerate(levels):
        array = group.create_array(
            str(index),
            shape=data.shape,
            chunks=tuple(min(c, n) for c, n in zip(CHUNKS, data.shape)),
            dtype=data.dtype,
            compressors=PORTAL_COMPRESSOR,
            fill_value=0,
            chunk_key_encoding={"name": "v2", "separator": "/"},
        )
        array[:] = data
    group.attrs["multiscales"] = [
        {
            "axes": [{"name": axis, "type": "space", "unit": "angstrom"} for axis in "zyx"],
            "datasets": [
                {
                    "path": str(index),
                    "coordinateTransformations": [{"scale": [voxel_spacing * 2**index] * 3, "type": "scale"}],
                }
                for index in range(len(levels))
            ],
            "metadata": {"description": "fixture tomogram", "method": "block mean"},
            "name": "/",
            "version": "0.4",
        }
    ]
    return FixtureZarr(path, voxel_spacing, levels)
