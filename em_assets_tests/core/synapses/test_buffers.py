"""Reusable worker buffers: the same memory serves every chunk, growing only when a chunk is larger."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from em_assets.core.synapses.loading import ChunkBuffers, load_em_chunk
from em_assets_tests.fixtures.synapses import save_npy


def test_take_reuses_memory_and_grows_when_needed() -> None:
    buffers = ChunkBuffers()
    first = buffers.take("em", (4, 4, 4), np.uint8)
    again = buffers.take("em", (2, 4, 4), np.uint8)
    assert np.shares_memory(first, again)
    assert buffers.nbytes == 64
    wide = buffers.take("em", (4, 4, 4), np.int32, order="F")
    assert wide.flags.f_contiguous and wide.shape == (4, 4, 4)
    assert buffers.nbytes == 256
    assert not np.shares_memory(buffers.take("mask", (4,), np.uint8), wide)


def test_loading_into_buffers_reads_the_same_values(tmp_path: Path) -> None:
    buffers = ChunkBuffers()
    first = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    second = np.asfortranarray(first[::-1])
    save_npy(tmp_path / "1.npy", first)
    save_npy(tmp_path / "2.npy", second)
    np.testing.assert_array_equal(load_em_chunk(tmp_path / "1.npy", "1", buffers), first)
    np.testing.assert_array_equal(load_em_chunk(tmp_path / "2.npy", "2", buffers), second)
    assert buffers.nbytes == 60
