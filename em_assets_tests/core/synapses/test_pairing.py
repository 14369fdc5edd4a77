"""Strict EM/mask pairing: the notebook accepted every file and parsed mask ids wrongly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.synapses.pairing import ChunkPairing, pair_chunks
from em_assets_tests.fixtures.synapses import save_npy

TINY = np.zeros((2, 2, 2), dtype=np.uint8)


def test_pairs_em_with_suffixed_masks_and_keeps_ids_as_strings(dataset_dir: Path) -> None:
    save_npy(dataset_dir / "em" / "00042.npy", TINY)
    save_npy(dataset_dir / "mask" / "00042_mask.npy", TINY)
    save_npy(dataset_dir / "em" / "42.npy", TINY)
    save_npy(dataset_dir / "mask" / "42_seg_v2.npy", TINY)
    pairing = pair_chunks(dataset_dir)
    assert [(p.synapse_id, p.em_path.name, p.mask_path.name) for p in pairing.pairs] == [
        ("00042", "00042.npy", "00042_mask.npy"),
        ("42", "42.npy", "42_seg_v2.npy"),
    ]
    assert pairing.unpaired_ids == ()


def test_non_npy_files_and_sub_folders_are_ignored(dataset_dir: Path) -> None:
    save_npy(dataset_dir / "em" / "7.npy", TINY)
    save_npy(dataset_dir / "mask" / "7_mask.npy", TINY)
    (dataset_dir / "em" / "7.npy.md5").write_text("abc")
    (dataset_dir / "em" / "notes.txt").write_text("x")
    (dataset_dir / "mask" / "README").write_text("x")
    save_npy(dataset_dir / "em" / "old" / "8.npy", TINY)
    save_npy(dataset_dir / "mask" / "old" / "8_mask.npy", TINY)
    pairing = pair_chunks(dataset_dir)
    assert [p.synapse_id for p in pairing.pairs] == ["7"]
    assert pairing.misnamed_files == ()
    assert pairing.unpaired_ids == ()


def test_unpartnered_and_misnamed_files_are_reported(dataset_dir: Path) -> None:
    save_npy(dataset_dir / "em" / "1.npy", TINY)
    save_npy(dataset_dir / "em" / "2.npy", TINY)
    save_npy(dataset_dir / "mask" / "2_mask.npy", TINY)
    save_npy(dataset_dir / "mask" / "3_mask.npy", TINY)
    save_npy(dataset_dir / "em" / "4_mask.npy", TINY)
    save_npy(dataset_dir / "mask" / "4.npy", TINY)
    pairing = pair_chunks(dataset_dir)
    assert [p.synapse_id for p in pairing.pairs] == ["2"]
    assert pairing.em_without_mask == ("1",)
    assert pairing.mask_without_em == ("3",)
    assert pairing.unpaired_ids == ("1", "3")
    assert pairing.misnamed_files == ("em/4_mask.npy", "mask/4.npy")


def test_a_duplicate_id_is_an_error_naming_the_files(dataset_dir: Path) -> None:
    save_npy(dataset_dir / "em" / "5.npy", TINY)
    save_npy(dataset_dir / "mask" / "5_mask.npy", TINY)
    save_npy(dataset_dir / "mask" / "5_seg.npy", TINY)
    with pytest.raises(InputError, match=r"'5' has 2 files: 5_mask.npy, 5_seg.npy"):
        pair_chunks(dataset_dir)


def test_a_dataset_without_mask_folder_is_an_error(tmp_path: Path) -> None:
    save_npy(tmp_path / "ds" / "em" / "1.npy", TINY)
    with pytest.raises(InputError, match="has no 'mask/' sub-folder"):
        pair_chunks(tmp_path / "ds")


def test_pairing_json_round_trip_keeps_leading_zeros(dataset_dir: Path) -> None:
    save_npy(dataset_dir / "em" / "0007.npy", TINY)
    save_npy(dataset_dir / "mask" / "0007_mask.npy", TINY)
    save_npy(dataset_dir / "em" / "0100.npy", TINY)
    pairing = pair_chunks(dataset_dir)
    restored = ChunkPairing.from_json(pairing.to_json())
    assert restored == pairing
    assert restored.pairs[0].synapse_id == "0007"
    assert restored.em_without_mask == ("0100",)
