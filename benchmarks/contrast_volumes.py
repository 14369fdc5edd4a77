"""Tomogram-like float32 benchmark volumes, written chunk by chunk as NGFF-style zarr v2 arrays.

Every size draws from one distribution: a slab of signal over the central 60% of z (ice, dense
particles, bright membranes) between emptier, quieter slices, scaled to a spread of about 0.1 like
many portal tomograms. Voxels are independent: contrast limits only see values.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from itertools import product
from pathlib import Path

import numpy as np
import zarr

from em_assets.core.contrast.histogram import DyadicHistogram, histogram_of, merged
from em_assets.core.tomograms.pyramid import COMPRESSOR

SIZES = {"small": (64, 256, 256), "medium": (224, 512, 512), "large": (448, 1024, 1024)}
CHUNKS = (64, 256, 256)
SCALE = 0.1
SIGNAL_FRACTION = 0.6
# (weight, mean, sigma) in units of SCALE
SIGNAL = [(0.72, 0.0, 1.0), (0.20, -2.0, 0.9), (0.08, 1.6, 0.5)]
EMPTY = [(1.0, 0.0, 0.6)]
WORKERS = 2


def _draw(rng: np.random.Generator, shape: tuple[int, ...], components: list[tuple[float, float, float]]) -> np.ndarray:
    pick = rng.random(shape, dtype=np.float32)
    values = rng.standard_normal(shape, dtype=np.float32)
    mean = np.zeros(shape, dtype=np.float32)
    sigma = np.zeros(shape, dtype=np.float32)
    below = 0.0
    for weight, mu, sd in components:
        chosen = (pick >= below) & (pick < below + weight)
        mean[chosen], sigma[chosen] = mu * SCALE, sd * SCALE
        below += weight
    sigma[pick >= below] = components[0][2] * SCALE
    values *= sigma
    values += mean
    return values


def _chunk(shape: tuple[int, int, int], origin: tuple[int, int, int], seed: int) -> np.ndarray:
    """The voxels of the chunk at `origin`, from an RNG seeded by (seed, origin)."""
    extent = tuple(min(c, n - o) for c, n, o in zip(CHUNKS, shape, origin, strict=True))
    rng = np.random.default_rng([seed, *origin])
    block = np.empty(extent, dtype=np.float32)
    signal_lo = round(shape[0] * (1 - SIGNAL_FRACTION) / 2)
    signal_hi = shape[0] - signal_lo
    for z in range(extent[0]):
        inside = signal_lo <= origin[0] + z < signal_hi
        block[z] = _draw(rng, extent[1:], SIGNAL if inside else EMPTY)
    return block


def generate(path: Path, size: str, seed: int) -> dict:
    """Write the volume of `size` and `seed` to `path` (once) and return its description."""
    description_path = path / "benchmark.json"
    if description_path.exists():
        return json.loads(description_path.read_text())
    shape = SIZES[size]
    array = zarr.create_array(
        str(path), shape=shape, chunks=CHUNKS, dtype=np.float32, compressors=COMPRESSOR, zarr_format=2, overwrite=True
    )
    origins = list(product(*(range(0, n, c) for n, c in zip(shape, CHUNKS, strict=True))))

    def write(origin: tuple[int, int, int]) -> DyadicHistogram | None:
        block = _chunk(shape, origin, seed)
        array[tuple(slice(o, o + n) for o, n in zip(origin, block.shape, strict=True))] = block
        return histogram_of(block, integer_valued=False)

    histogram = None
    with ThreadPoolExecutor(WORKERS) as pool:
        for part in pool.map(write, origins):
            histogram = merged(histogram, part)
    description = {
        "size": size,
        "seed": seed,
        "shape": list(shape),
        "chunks": list(CHUNKS),
        "p0.1": histogram.quantile(0.001),
        "p99.9": histogram.quantile(0.999),
    }
    description_path.write_text(json.dumps(description, indent=2))
    return description


def simulated_levels(shape: tuple[int, int, int], doses: tuple[float, ...], low_sigmas: tuple[float, ...]) -> dict:
    """Simulated tomograms as the pipeline summarises them: the 2× mean-downsampled level, rounded for integers.

    Per dose: float32 and the portal's int8, int16 and uint8; per grey-level sigma in `low_sigmas`
    (measured at the level), an int16 and a uint8 volume of that noise; and a uint8 volume clipped
    at 0 (its mean 1.5 sigma above 0). Returns {label: level array}.
    """
    from em_assets.core.tomograms.pyramid import downsample_2x
    from em_assets.core.tomograms.simulation import (
        TomogramSpec,
        quantise,
        simulate_tomogram,
    )

    levels = {}
    for dose in doses:
        volume = simulate_tomogram(TomogramSpec(shape=shape, dose=dose, seed=int(dose)))
        for dtype in ("float32", "int8", "int16", "uint8"):
            levels[f"dose {dose:g}, {dtype}"] = downsample_2x(quantise(volume, dtype), np.dtype(dtype))
    volume = simulate_tomogram(TomogramSpec(shape=shape, dose=doses[-1], seed=7))
    shrink = float(np.std(downsample_2x(volume, np.dtype(np.float32))) / np.std(volume))
    unit = (volume - volume.mean()) / volume.std() / shrink
    for sigma in low_sigmas:
        for dtype, centre in (("int16", 0.0), ("uint8", 128.0)):
            grey = np.clip(np.rint(unit * sigma + centre), *_limits(dtype)).astype(dtype)
            levels[f"σ {sigma:g} grey levels, {dtype}"] = downsample_2x(grey, np.dtype(dtype))
    clipped = np.clip(np.rint(unit * 20 + 30), 0, 255).astype(np.uint8)
    levels["uint8 clipped at 0 (σ 20, mean 30)"] = downsample_2x(clipped, np.dtype(np.uint8))
    return levels


def _limits(dtype: str) -> tuple[int, int]:
    info = np.iinfo(np.dtype(dtype))
    return int(info.min), int(info.max)
