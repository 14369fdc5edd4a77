"""Synthetic volume-EM synapse chunks (x, y, z; 8 x 8 x 40 nm voxels) and the demo's landing datasets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from em_assets.core.atomic import write_npy_atomic

Z_TO_XY_SPACING = 5
DEMO_DATASETS = (("cortex-a", "mask", 101), ("cortex-b", "labels", 201))
SHARED_SYNAPSE_ID = "000100"
BASE_INTENSITY = np.array([150, 165, 115, 165], dtype=np.int16)  # background, pre, cleft, post
MEMBRANE_INTENSITY = 75
SLAB_ROWS = 8


@dataclass(frozen=True)
class _SynapseShape:
    """A curved synaptic interface between two neuron bodies, in x-y pixel units (z scaled by 5)."""

    across: np.ndarray  # (x, y) signed distance across the interface plane
    along_squared: np.ndarray  # (x, y) squared distance along it
    z_squared: np.ndarray  # (z,) squared physical depth from the centre
    curvature: np.float32
    cleft_half: np.float32
    body_radius_squared: np.float32
    cleft_radius_squared: np.float32
    texture_xy: np.ndarray  # (x, y) int16 intensity variation
    texture_z: np.ndarray  # (z,) int16 intensity drift


def _random_shape(rng: np.random.Generator, size: int) -> _SynapseShape:
    centre = (size - 1) / 2 + rng.uniform(-size / 16, size / 16, 3)
    x, y, z = (np.arange(size, dtype=np.float32) - np.float32(c) for c in centre)
    angle = rng.uniform(0, np.pi)
    normal_x, normal_y = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    texture_xy = np.zeros((size, size), dtype=np.float32)
    for _ in range(3):
        kx, ky = rng.uniform(-0.15, 0.15, 2).astype(np.float32)
        phase = np.float32(rng.uniform(0, 6.3))
        texture_xy += np.float32(4) * np.cos((kx * x)[:, None] + (ky * y)[None, :] + phase)
    return _SynapseShape(
        across=x[:, None] * normal_x + y[None, :] * normal_y,
        along_squared=(-x[:, None] * normal_y + y[None, :] * normal_x) ** 2,
        z_squared=(z * Z_TO_XY_SPACING) ** 2,
        curvature=np.float32(rng.uniform(-1, 1) / (6 * size)),
        cleft_half=np.float32(rng.uniform(1.5, 2.5)),
        body_radius_squared=np.float32((size / 2.2) ** 2),
        cleft_radius_squared=np.float32((size / 6) ** 2),
        texture_xy=np.rint(texture_xy).astype(np.int16),
        texture_z=np.rint(3 * np.sin(z * np.float32(rng.uniform(0.02, 0.08)))).astype(np.int16),
    )


def _draw_slab(shape: _SynapseShape, rows: slice, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """EM (uint8) and mask (uint8) for the x rows `rows`: neurons, membranes, cleft, texture, noise."""
    across = shape.across[rows][:, :, None]
    lateral_squared = shape.along_squared[rows][:, :, None] + shape.z_squared[None, None, :]
    signed = across + lateral_squared * shape.curvature
    body_metric = lateral_squared + (np.abs(across) - np.float32(len(shape.z_squared) / 5)) ** 2
    body = body_metric < shape.body_radius_squared
    mask = np.zeros(signed.shape, dtype=np.uint8)
    mask[body & (signed < -shape.cleft_half)] = 1
    mask[body & (signed > shape.cleft_half)] = 3
    mask[(np.abs(signed) <= shape.cleft_half) & (lateral_squared < shape.cleft_radius_squared)] = 2
    em = BASE_INTENSITY[mask]
    em[body & (np.abs(np.abs(signed) - shape.cleft_half - 1) < 1.2)] = MEMBRANE_INTENSITY
    outer_membrane = np.abs(body_metric - shape.body_radius_squared) < 2.4 * np.sqrt(shape.body_radius_squared)
    em[outer_membrane] = MEMBRANE_INTENSITY
    em += shape.texture_xy[rows][:, :, None]
    em += shape.texture_z[None, None, :]
    noise = rng.integers(0, 256, em.shape, dtype=np.uint8)
    em += noise & 15
    em += noise >> 4
    em -= 15
    return np.clip(em, 1, 255).astype(np.uint8), mask


def _draw_vesicles(
    em: np.ndarray, mask: np.ndarray, shape: _SynapseShape, rng: np.random.Generator, count: int
) -> None:
    """Dark-rimmed vesicles (~40-55 nm) in the pre-synaptic neuron, clustered near the cleft."""
    candidates = np.argwhere(mask[::3, ::3, ::2] == 1) * np.array([3, 3, 2])
    x, y, z = candidates.T
    signed = shape.across[x, y] + (shape.along_squared[x, y] + shape.z_squared[z]) * shape.curvature
    candidates = candidates[signed > -len(shape.z_squared) / 4]
    if len(candidates) == 0:
        return
    chosen = rng.choice(len(candidates), size=min(count, len(candidates)), replace=False)
    for cx, cy, cz in candidates[chosen]:
        radius = rng.uniform(2.5, 3.5)
        lo = np.maximum([cx - 4, cy - 4, cz - 1], 0)
        hi = np.minimum([cx + 5, cy + 5, cz + 2], em.shape)
        gx, gy, gz = np.ogrid[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
        distance = np.sqrt((gx - cx) ** 2 + (gy - cy) ** 2 + ((gz - cz) * Z_TO_XY_SPACING) ** 2)
        box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
        inside = mask[box] == 1
        em[box][inside & (np.abs(distance - radius) < 1.0)] = 70
        em[box][inside & (distance < radius - 1.0)] = 175


def _plant_cutouts(em: np.ndarray, rng: np.random.Generator) -> None:
    """Zero a corner of a few central sections (alignment cutouts): most above the 1% threshold, one below."""
    size_x, size_y, depth = em.shape
    half = max(2, depth // 12)
    sections = depth // 2 + rng.choice(np.arange(-half, half + 1), size=4, replace=False)
    for section in sections[:3]:
        em[: int(size_x * rng.uniform(0.15, 0.4)), : size_y // 3, section] = 0
    em[: max(1, size_x // 20), : max(1, size_y // 10), sections[3]] = 0
    em[:, : size_y // 2, min(depth - 1, depth // 2 + depth // 3)] = 0


def synthetic_synapse_chunk(seed: int, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """One deterministic synapse: uint8 EM and uint8 mask (1 pre, 2 cleft, 3 post), both (size,) * 3.

    Even seeds also get alignment cutouts (zeroed corners of a few central sections).

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed gives the same chunk.
    size : int, optional
        The edge length of the cubic volumes in voxels (default 256).

    Returns
    -------
    tuple[numpy.ndarray, numpy.ndarray]
        The EM volume and the label mask, both uint8 of shape (size, size, size), axes (x, y, z).
    """
    rng = np.random.default_rng(seed)
    shape = _random_shape(rng, size)
    em = np.empty((size, size, size), dtype=np.uint8)
    mask = np.empty((size, size, size), dtype=np.uint8)
    for start in range(0, size, SLAB_ROWS):
        rows = slice(start, min(size, start + SLAB_ROWS))
        em[rows], mask[rows] = _draw_slab(shape, rows, rng)
    _draw_vesicles(em, mask, shape, rng, count=size)
    if seed % 2 == 0:
        _plant_cutouts(em, rng)
    return em, mask


def write_demo_em_datasets(landing_em: Path, chunks_per_dataset: int = 7, size: int = 256) -> list[Path]:
    """Write the demo datasets (`<dataset>/em/<id>.npy`, `<dataset>/mask/<id>_<suffix>.npy`).

    Ids keep leading zeros, and `SHARED_SYNAPSE_ID` is written identically into every dataset.
    A dataset folder that exists already is left as it is, so sensors do not see it change.

    Parameters
    ----------
    landing_em : Path
        The EM landing folder that receives one folder per demo dataset.
    chunks_per_dataset : int, optional
        Synapses per dataset, the shared one included (default 7).
    size : int, optional
        The edge length of every chunk in voxels (default 256).

    Returns
    -------
    list[Path]
        The dataset folders, written now or already present, in `DEMO_DATASETS` order.
    """
    written = []
    for dataset, mask_suffix, first_id in DEMO_DATASETS:
        folder = Path(landing_em) / dataset
        if folder.exists():
            written.append(folder)
            continue
        ids = [f"{first_id + index:06d}" for index in range(chunks_per_dataset - 1)] + [SHARED_SYNAPSE_ID]
        for synapse_id in ids:
            em, mask = synthetic_synapse_chunk(int(synapse_id), size)
            write_npy_atomic(folder / "em" / f"{synapse_id}.npy", em)
            write_npy_atomic(folder / "mask" / f"{synapse_id}_{mask_suffix}.npy", mask)
        written.append(folder)
    return written
