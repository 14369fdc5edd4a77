"""Realistic synthetic tomograms for the demo: vesicles, particles, a carbon edge, noise, a sample slab."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np
import zarr
from scipy import ndimage

from em_assets.core.atomic import atomic_directory, atomic_file
from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
from em_assets.core.tomograms.volumes import write_multiscale


@dataclass(frozen=True)
class DemoTomogram:
    """One demo tomogram: its name, shape, voxel size, file format and intensity scaling."""

    name: str
    shape: tuple[int, int, int]
    voxel_size: float
    format: str
    scale: Callable[[np.ndarray], np.ndarray]
    seed: int
    bright_edge: bool = False


def _float32(mean: float, spread: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda unit: (mean + spread * unit).astype(np.float32)


def _uint8(unit: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(128 + 28 * unit), 0, 255).astype(np.uint8)


DEMO_TOMOGRAMS = (
    DemoTomogram("demo-vesicles", (128, 384, 384), 13.48, "ngff-0.4", _float32(0.0, 0.1), seed=1),
    DemoTomogram("demo-ribosomes", (160, 512, 512), 7.56, "ngff-0.4", _float32(150.0, 2.0e4), seed=2),
    DemoTomogram("demo-faint", (64, 256, 256), 10.0, "mrc", _float32(2.0e-3, 1.0e-3), seed=3, bright_edge=True),
    DemoTomogram("demo-uint8", (96, 320, 320), 16.8, "ngff-0.5", _uint8, seed=4),
)


def _paint_shell(volume: np.ndarray, centre: np.ndarray, radius: float, thickness: float, value: float) -> None:
    lo = np.maximum(np.floor(centre - radius - thickness).astype(int), 0)
    hi = np.minimum(np.ceil(centre + radius + thickness).astype(int) + 1, volume.shape)
    grids = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    distance = np.sqrt(sum((g - c) ** 2 for g, c in zip(grids, centre)))
    profile = np.exp(-(((distance - radius) / thickness) ** 2))
    volume[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]] += value * profile


def _slab_profile(depth: int, rng: np.random.Generator) -> np.ndarray:
    half_thickness = depth * rng.uniform(0.25, 0.35)
    z = np.arange(depth) - (depth / 2 - 0.5)
    return 1.0 / (1.0 + np.exp((np.abs(z) - half_thickness) / 2.5))


def synthetic_tomogram(shape: tuple[int, int, int], seed: int, bright_edge: bool = False) -> np.ndarray:
    """A float32 tomogram-like volume of unit spread: structures in a central slab, noise everywhere."""
    rng = np.random.default_rng(seed)
    depth, height, width = shape
    slab = _slab_profile(depth, rng)
    structure = np.zeros(shape, dtype=np.float32)
    slab_depth = max(1, int(np.sum(slab > 0.5)))
    z_low = (depth - slab_depth) // 2
    for _ in range(max(4, height * width // 12000)):
        radius = rng.uniform(12, 35)
        centre = np.array([z_low + rng.uniform(0, slab_depth), rng.uniform(0, height), rng.uniform(0, width)])
        _paint_shell(structure, centre, radius, 1.6, -2.2)
    for _ in range(height * width // 250):
        centre = np.array([z_low + rng.uniform(0, slab_depth), rng.uniform(0, height), rng.uniform(0, width)])
        _paint_shell(structure, centre, 0.0, rng.uniform(3.5, 6.0), -2.5)
    structure *= slab[:, None, None]
    yy, xx = np.mgrid[0:height, 0:width]
    edge = (xx - 0.18 * width - 0.25 * (yy - height / 2)) < 0
    structure[:, edge] += 3.0 if bright_edge else -3.0
    structure = ndimage.gaussian_filter(structure, 1.0)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), 1.2) * 2.5
    noise += 0.35 * rng.standard_normal(shape, dtype=np.float32)
    noise *= (0.6 + 0.4 * slab)[:, None, None]
    volume = structure + noise
    volume -= volume.mean(dtype=np.float64)
    volume /= volume.std(dtype=np.float64)
    return volume.astype(np.float32)


def _write_mrc(target: Path, data: np.ndarray, voxel_size: float) -> None:
    with atomic_file(target) as tmp:
        with mrcfile.new(tmp, overwrite=True) as mrc:
            mrc.set_data(data)
            mrc.voxel_size = voxel_size


def _write_ngff_05(target: Path, data: np.ndarray, voxel_size: float, name: str) -> None:
    with atomic_directory(target) as tmp:
        group = zarr.open_group(str(tmp), mode="w", zarr_format=3)
        group.create_array("0", data=data, chunks=tuple(min(64, n) for n in data.shape))
        multiscales = build_multiscales(name, [MultiscaleLevel("0", (voxel_size,) * 3)])
        for multiscale in multiscales:
            multiscale.pop("version")
        group.attrs["ome"] = {"version": "0.5", "multiscales": multiscales}


def write_demo_tomogram(landing: Path, demo: DemoTomogram) -> Path:
    """Write one demo tomogram into `landing` (atomically) and return its path."""
    data = demo.scale(synthetic_tomogram(demo.shape, demo.seed, demo.bright_edge))
    if demo.format == "mrc":
        target = landing / f"{demo.name}.mrc"
        _write_mrc(target, data, demo.voxel_size)
    elif demo.format == "ngff-0.5":
        target = landing / f"{demo.name}.zarr"
        _write_ngff_05(target, data, demo.voxel_size, demo.name)
    else:
        target = landing / f"{demo.name}.zarr"
        with atomic_directory(target) as tmp:
            write_multiscale(tmp, data, (demo.voxel_size,) * 3, demo.name)
    return target


def write_demo_tomograms(landing: Path, demos: tuple[DemoTomogram, ...] = DEMO_TOMOGRAMS) -> list[Path]:
    """Write every demo tomogram into `landing`, skipping those already there."""
    landing.mkdir(parents=True, exist_ok=True)
    paths = []
    for demo in demos:
        existing = [landing / f"{demo.name}{suffix}" for suffix in (".mrc", ".zarr")]
        found = [p for p in existing if p.exists()]
        paths.append(found[0] if found else write_demo_tomogram(landing, demo))
    return paths
