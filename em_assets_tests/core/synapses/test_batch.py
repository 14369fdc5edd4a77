"""Parallel processing: bad chunks are listed per synapse, the others still processed, no partial files."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np

from em_assets.core.synapses.batch import process_chunk_pairs
from em_assets.core.synapses.pairing import pair_chunks
from em_assets.core.synapses.preprocessing import PreprocessingSettings
from em_assets_tests.fixtures.synapses import ChunkWriter


def test_bad_chunks_are_collected_and_the_rest_is_written(
    dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path
) -> None:
    good = np.full((6, 6, 10), 7, dtype=np.uint8)
    write_chunk("01", good, np.ones_like(good))
    write_chunk("02", good.astype(np.int16), np.ones_like(good))
    write_chunk("03", good, np.full(good.shape, 300, dtype=np.int16))
    write_chunk("04", good, np.ones((6, 6, 9), dtype=np.uint8))
    write_chunk("05", good[:, :, 0], np.ones((6, 6), dtype=np.uint8))
    em_path, _ = write_chunk("06", good, np.ones_like(good))
    em_path.write_bytes(em_path.read_bytes()[:-3])
    em_path, _ = write_chunk("07", good, np.ones_like(good))
    em_path.write_bytes(pickle.dumps(good))
    write_chunk("08", good, np.ones_like(good))
    out = tmp_path / "out"
    batch = process_chunk_pairs(pair_chunks(dataset_dir).pairs, out, PreprocessingSettings(), max_workers=2)
    assert [record.synapse_id for record in batch.records] == ["01", "08"]
    failures = {failure.synapse_id: failure.error for failure in batch.failures}
    assert list(failures) == ["02", "03", "04", "05", "06", "07"]
    assert "EM must be uint8" in failures["02"]
    assert "labels must be 0-3" in failures["03"]
    assert "differ" in failures["04"]
    assert "must be 3-D" in failures["05"]
    assert "truncated" in failures["06"]
    assert "not a .npy file" in failures["07"]
    assert all(re.match(rf"synapse {synapse_id}\b", error) for synapse_id, error in failures.items())
    assert sorted(path.name for path in out.iterdir()) == ["01__2_6_6_3.npy", "08__2_6_6_3.npy"]


def test_more_chunks_than_in_flight_slots_are_all_processed(
    dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path
) -> None:
    for index in range(9):
        write_chunk(f"{index:03d}", size=12, seed=index)
    progress: list[int] = []
    batch = process_chunk_pairs(
        pair_chunks(dataset_dir).pairs, tmp_path / "out", PreprocessingSettings(), 2, progress.append
    )
    assert [record.synapse_id for record in batch.records] == [f"{index:03d}" for index in range(9)]
    assert sorted(progress) == list(range(1, 10))
    assert len(list((tmp_path / "out").iterdir())) == 9
