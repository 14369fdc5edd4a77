"""The tomogram pyramid written by many small tasks at once (on a Dask cluster or local threads).

Each level is cut into boxes of two chunks along every axis, so a box's 2x downsampled image is
exactly one chunk of the next level and no two tasks ever write the same chunk. A first wave of
tasks copies level-0 boxes from the source (each task opens the source and the zarr store itself:
only paths travel) and writes their level-1 images, returning the statistics of their voxels; each
later wave reads level-1 (then level-2...) boxes back and writes the next level. A task holds one
box (8 MB of float32), so a worker's memory does not grow with the volume; the driver only merges
statistics.
The chunks are byte-identical to those `write_multiscale` writes, since every value depends only on
its own 2x2x2 block one level up and every chunk is encoded once, whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import product
from pathlib import Path

import numpy as np
import zarr

from em_assets.core.errors import InputError
from em_assets.core.parallel import OrderedMap, thread_map
from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
from em_assets.core.tomograms.pyramid import (
    CHUNK_EDGE,
    create_level,
    downsample_2x,
    level_shapes,
)
from em_assets.core.tomograms.statistics import VolumeStatistics, slab_statistics
from em_assets.core.tomograms.volumes import (
    Multiscale,
    open_multiscale,
    open_source_volume,
)

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
BOX_EDGE = 2 * CHUNK_EDGE  # a box of one level shrinks to exactly one chunk of the next


@dataclass(frozen=True)
class BoxStatistics:
    """Finite minimum and maximum and the non-finite count of one box's level-0 voxels."""

    minimum: float
    maximum: float
    n_nonfinite: int


def pyramid_boxes(shape: tuple[int, ...]) -> list[Box]:
    """Boxes of `BOX_EDGE` voxels (fewer at the far edges) tiling an array of `shape`, in C order.

    A box covers whole chunks of its level and its 2x downsampled image whole chunks of the next.

    Parameters
    ----------
    shape : tuple of int
        The shape of the level to tile, (z, y, x).

    Returns
    -------
    list of Box
        Each box as ((z0, z1), (y0, y1), (x0, x1)), ends exclusive.
    """
    spans = [[(lo, min(lo + BOX_EDGE, n)) for lo in range(0, n, BOX_EDGE)] for n in shape]
    return [(z, y, x) for z, y, x in product(*spans)]


def _shrink_into(target: zarr.Array, box: Box, block: np.ndarray) -> None:
    """Write the 2x downsampled `block` (the voxels of `box` one level up) into `target`."""
    shrunk = downsample_2x(block, np.dtype(target.dtype))
    target[tuple(slice(lo // 2, lo // 2 + n) for (lo, _), n in zip(box, shrunk.shape, strict=True))] = shrunk


def _write_base_box(source_path: Path, dest: str, n_levels: int, box: Box) -> BoxStatistics:
    """Copy level-0 `box` from the source, write its level-1 image, return its statistics."""
    block = np.array(open_source_volume(source_path).data[tuple(slice(lo, hi) for lo, hi in box)])
    group = zarr.open_group(dest, mode="r+", zarr_format=2)
    group["0"][tuple(slice(lo, hi) for lo, hi in box)] = block
    if n_levels > 1:
        _shrink_into(group["1"], box, block)
    minimum, maximum, n_nonfinite = slab_statistics(block)
    return BoxStatistics(minimum, maximum, n_nonfinite)


def _write_shrunk_box(dest: str, level: int, box: Box) -> None:
    """Write the image of `box` of level `level - 1` into level `level`."""
    group = zarr.open_group(dest, mode="r+", zarr_format=2)
    _shrink_into(group[str(level)], box, group[str(level - 1)][tuple(slice(lo, hi) for lo, hi in box)])


def write_multiscale_boxes(
    dest: Path,
    source_path: Path,
    name: str,
    n_levels: int,
    metadata: dict[str, object] | None = None,
    map_boxes: OrderedMap | None = None,
) -> tuple[Multiscale, VolumeStatistics]:
    """Write the tomogram at `source_path` and its 2x mean pyramid to `dest`, box by box.

    Parameters
    ----------
    dest : Path
        The zarr folder (or s3:// location) to create, replaced if present; every worker must reach it.
    source_path : Path
        An MRC file or OME-Zarr folder, reopened by every task.
    name : str
        The multiscale's name.
    n_levels : int
        Levels wanted (fewer if the volume gets empty first).
    metadata : dict, optional
        Stored under the multiscale's ``metadata``.
    map_boxes : OrderedMap, optional
        Where the boxes run: `dask_map(client)` for a Dask cluster; two local threads by default.

    Returns
    -------
    tuple of Multiscale and VolumeStatistics
        The written multiscale, and the range and non-finite count of its level 0.

    Raises
    ------
    InputError
        If the source is not a 3-D volume or cannot be read.
    """
    source = open_source_volume(source_path)
    shape = tuple(int(n) for n in source.data.shape)
    if len(shape) != 3:
        raise InputError(source_path, f"is not a 3-D volume (shape {shape})")
    shapes = level_shapes(shape, n_levels)
    group = zarr.open_group(str(dest), mode="w", zarr_format=2)
    for index, level_shape in enumerate(shapes):
        create_level(group, str(index), level_shape, np.dtype(source.data.dtype))
    run = map_boxes or thread_map(2)
    base = partial(_write_base_box, Path(source.path), str(dest), len(shapes))
    try:
        parts = list(run(base, pyramid_boxes(shape)))
    except (ValueError, OSError) as error:
        raise InputError(source.path, f"could not be read: {error}") from None
    for level in range(2, len(shapes)):
        list(run(partial(_write_shrunk_box, str(dest), level), pyramid_boxes(shapes[level - 1])))
    voxel = tuple(float(v) for v in source.voxel_size)
    levels = [MultiscaleLevel(str(i), tuple(v * 2**i for v in voxel)) for i in range(len(shapes))]
    group.attrs["multiscales"] = build_multiscales(name, levels, metadata)
    statistics = VolumeStatistics(
        shape=shape,
        minimum=min(p.minimum for p in parts),
        maximum=max(p.maximum for p in parts),
        n_nonfinite=sum(p.n_nonfinite for p in parts),
    )
    return open_multiscale(dest), statistics
