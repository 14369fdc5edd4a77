"""On valid input the assets' core writes byte-identical tensors and `meta.csv` to the notebook's steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from em_assets.core.synapses.batch import process_chunk_pairs
from em_assets.core.synapses.demo import synthetic_synapse_chunk
from em_assets.core.synapses.metadata import write_meta_csv
from em_assets.core.synapses.pairing import pair_chunks
from em_assets.core.synapses.preprocessing import PreprocessingSettings
from em_assets_tests.fixtures.notebook_reference import run_notebook
from em_assets_tests.fixtures.synapses import ChunkWriter


def _write_varied_dataset(write_chunk: ChunkWriter) -> None:
    em, mask = synthetic_synapse_chunk(seed=4, size=256)
    write_chunk("000004", em, mask)
    for seed, shape in [(2, (40, 33, 37)), (3, (48, 48, 48)), (6, (31, 40, 26)), (8, (20, 20, 4))]:
        em, mask = synthetic_synapse_chunk(seed, size=48)
        em, mask = em[: shape[0], : shape[1], : shape[2]], mask[: shape[0], : shape[1], : shape[2]]
        write_chunk(f"{seed:05d}", em, mask.astype(np.int64) if seed == 3 else mask)
    em, mask = synthetic_synapse_chunk(seed=10, size=30)
    write_chunk("00010", np.asfortranarray(em), mask)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    ("cut_channels", "workers"),
    [((), 2), ((), 1), (((1,), (2,), (3,)), 2), (((1, 2), (3,)), 2)],
)
def test_tensors_and_meta_csv_are_byte_identical_to_the_notebook(
    dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path, cut_channels: tuple, workers: int
) -> None:
    _write_varied_dataset(write_chunk)
    notebook_out = tmp_path / "notebook"
    run_notebook(
        str(dataset_dir / "em"),
        str(dataset_dir / "mask"),
        str(notebook_out),
        cut_intensity_with_seg_masks=bool(cut_channels),
        output_channel_desc=cut_channels,
    )
    ours = tmp_path / "ours"
    batch = process_chunk_pairs(
        pair_chunks(dataset_dir).pairs, ours, PreprocessingSettings(mask_channel_labels=cut_channels), workers
    )
    write_meta_csv(batch.records, ours / "meta.csv")
    assert batch.failures == ()
    expected = _files(notebook_out)
    assert len(expected) == 7
    assert _files(ours) == expected


def test_the_256_cube_becomes_2_by_256_by_256_by_52_with_its_cutouts_counted(
    dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path
) -> None:
    em, mask = synthetic_synapse_chunk(seed=4, size=256)
    write_chunk("000004", em, mask)
    batch = process_chunk_pairs(pair_chunks(dataset_dir).pairs, tmp_path / "out", PreprocessingSettings())
    (record,) = batch.records
    assert record.filename == "000004__2_256_256_52.npy"
    fractions = (em[:, :, 102:154] == 0).mean(axis=(0, 1))
    assert record.n_cutout_sections == int((fractions > 0.01).sum()) >= 1
    tensor = np.load(tmp_path / "out" / record.filename)
    assert tensor.shape == (2, 256, 256, 52) and tensor.dtype == np.uint8
