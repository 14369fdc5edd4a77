"""Demo chunks: deterministic, synapse-like labels and intensities, planted cutouts, a shared id."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from em_assets.core.synapses.demo import (
    SHARED_SYNAPSE_ID,
    synthetic_synapse_chunk,
    write_demo_em_datasets,
)
from em_assets.core.synapses.pairing import pair_chunks
from em_assets.core.synapses.preprocessing import central_z_range


def test_chunks_are_deterministic_and_have_every_label() -> None:
    em, mask = synthetic_synapse_chunk(12, size=64)
    again_em, again_mask = synthetic_synapse_chunk(12, size=64)
    assert em.dtype == mask.dtype == np.uint8 and em.shape == mask.shape == (64, 64, 64)
    assert em.tobytes() == again_em.tobytes() and mask.tobytes() == again_mask.tobytes()
    assert set(np.unique(mask)) == {0, 1, 2, 3}
    assert em[mask == 2].mean() < em[mask == 1].mean()
    assert not np.array_equal(em, synthetic_synapse_chunk(13, size=64)[0])


def test_even_seeds_have_cutout_sections_inside_the_crop() -> None:
    em, _ = synthetic_synapse_chunk(12, size=64)
    fractions = (em[:, :, central_z_range(64, 5, "s")] == 0).mean(axis=(0, 1))
    assert (fractions > 0.01).sum() >= 2
    assert ((fractions > 0) & (fractions <= 0.01)).any()
    odd_em, _ = synthetic_synapse_chunk(13, size=64)
    assert odd_em.min() > 0


def test_demo_datasets_pair_fully_and_share_one_identical_synapse(tmp_path: Path) -> None:
    folders = write_demo_em_datasets(tmp_path, chunks_per_dataset=3, size=24)
    assert [folder.name for folder in folders] == ["cortex-a", "cortex-b"]
    pairings = [pair_chunks(folder) for folder in folders]
    assert all(len(p.pairs) == 3 and not p.unpaired_ids and not p.misnamed_files for p in pairings)
    shared = [next(pair for pair in p.pairs if pair.synapse_id == SHARED_SYNAPSE_ID) for p in pairings]
    assert shared[0].em_path.read_bytes() == shared[1].em_path.read_bytes()
    assert shared[0].mask_path.name != shared[1].mask_path.name
    assert shared[0].mask_path.read_bytes() == shared[1].mask_path.read_bytes()
