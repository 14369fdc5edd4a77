"""Lazy (z, y, x) views of 3-D arrays stored in another axis order or another dtype."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

AxisOrder = tuple[int, int, int]
ZYX: AxisOrder = (0, 1, 2)


class OrientedArray:
    """A read-only (z, y, x) view of `base`: output axis i is `base` axis `order[i]`, cast to `dtype`.

    Only the requested block is read from `base` (a memory map or a zarr array), so slicing a slab
    stays lazy whatever the stored order.
    """

    def __init__(self, base: Any, order: AxisOrder, dtype: np.dtype) -> None:
        self.base = base
        self.order = tuple(int(axis) for axis in order)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(base.shape[axis]) for axis in self.order)
        self.ndim = 3
        base_chunks = getattr(base, "chunks", None)
        self.chunks = None if base_chunks is None else tuple(int(base_chunks[axis]) for axis in self.order)

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        block = self[...]
        return block if dtype is None else block.astype(dtype)

    def __getitem__(self, key: Any) -> np.ndarray:
        selection, dropped = _normalise(key, self.shape)
        base_key: list[slice] = [slice(None)] * 3
        for axis, part in enumerate(selection):
            base_key[self.order[axis]] = part
        block = np.asarray(self.base[tuple(base_key)]).transpose(self.order)
        block = block.reshape([n for axis, n in enumerate(block.shape) if axis not in dropped])
        return block.astype(self.dtype, copy=False)


def _normalise(key: Any, shape: Sequence[int]) -> tuple[list[slice], set[int]]:
    """Basic indexing `key` as one slice per axis, and the axes an integer index drops."""
    parts = list(key) if isinstance(key, tuple) else [key]
    if any(part is Ellipsis for part in parts):
        at = parts.index(Ellipsis)
        parts[at : at + 1] = [slice(None)] * (len(shape) - len(parts) + 1)
    if len(parts) > len(shape):
        raise IndexError(f"too many indices for a {len(shape)}-D array")
    parts += [slice(None)] * (len(shape) - len(parts))
    selection, dropped = [], set()
    for axis, (part, size) in enumerate(zip(parts, shape)):
        if isinstance(part, slice):
            selection.append(part)
            continue
        index = int(part)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of bounds for axis {axis} of size {size}")
        index %= size
        selection.append(slice(index, index + 1))
        dropped.add(axis)
    return selection, dropped


def oriented(base: Any, order: AxisOrder, dtype: np.dtype | None = None) -> Any:
    """`base` seen in (z, y, x) order and native byte order, as lazily as possible.

    Parameters
    ----------
    base : array-like
        A 3-D numpy array, memory map or zarr array.
    order : tuple of int
        For each output axis (z, y, x), the axis of `base` that holds it.
    dtype : numpy.dtype, optional
        The dtype to read as; default `base`'s dtype in native byte order.

    Returns
    -------
    numpy.ndarray or OrientedArray
        `base` itself when nothing changes, a transposed numpy view when only the order changes,
        else an `OrientedArray` that reorders and casts each block as it is read.
    """
    target = np.dtype(dtype if dtype is not None else base.dtype).newbyteorder("=")
    if tuple(order) == ZYX and np.dtype(base.dtype) == target:
        return base
    if isinstance(base, np.ndarray) and np.dtype(base.dtype) == target:
        return base.transpose(order)
    return OrientedArray(base, order, target)
