"""Grow-only scratch buffers a worker reuses for every chunk, so no chunk pays for fresh memory."""

from __future__ import annotations

import numpy as np


class ChunkBuffers:
    """Named byte buffers that only ever grow; `take` hands out views valid until the next `take`."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype: np.dtype, order: str = "C") -> np.ndarray:
        """An uninitialised array of `shape` and `dtype` backed by the buffer `name`."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < nbytes:
            buffer = self._buffers[name] = np.empty(max(nbytes, 1), dtype=np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape, order=order)

    @property
    def nbytes(self) -> int:
        """The memory these buffers hold."""
        return sum(buffer.size for buffer in self._buffers.values())
