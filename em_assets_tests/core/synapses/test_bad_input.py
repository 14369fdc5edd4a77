"""Bad synapse datasets and chunks: each refused naming the synapse (or the dataset) and the problem,
or handled as the README's bad-input table says; a bad chunk never stops the good ones of its dataset."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.landing import LINK_REFUSAL
from em_assets.core.synapses.batch import process_chunk_pairs
from em_assets.core.synapses.landing import scan_em_landing
from em_assets.core.synapses.loading import load_em_chunk, load_mask_chunk, read_npy
from em_assets.core.synapses.pairing import ChunkPairing, pair_chunks
from em_assets.core.synapses.preprocessing import (
    PreprocessingSettings,
    preprocess_chunk,
)
from em_assets_tests.fixtures.synapses import ChunkWriter, npy_with_header, save_npy

SECRET = b"s3cr3t:x:0:0:s3cr3t:/s3cr3t:/bin/bash\n"


def process(dataset_dir: Path, out: Path):
    return process_chunk_pairs(pair_chunks(dataset_dir).pairs, out, PreprocessingSettings(), max_workers=2)


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ((2**32, 2**32, 2**32), "truncated: the header promises 79228162514264337593543950336 bytes"),
        ((2**63 - 1, 2, 1), "truncated: the header promises"),
        ((-2, 4, 4), r"negative dimension \(-2, 4, 4\)"),
    ],
    ids=["product-overflows-int64", "product-beyond-int64", "negative"],
)
def test_npy_headers_with_impossible_shapes_fail_that_synapse_only(
    dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path, shape, problem: str
) -> None:
    write_chunk("1")
    write_chunk("2")
    write_chunk("3")
    npy_with_header(dataset_dir / "em" / "2.npy", shape)
    batch = process(dataset_dir, tmp_path / "out")
    assert [record.synapse_id for record in batch.records] == ["1", "3"]
    (failure,) = batch.failures
    assert failure.synapse_id == "2" and "synapse 2 (" in failure.error and "2.npy" in failure.error
    assert re.search(problem, failure.error), failure.error
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["1__2_24_24_5.npy", "3__2_24_24_5.npy"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (SECRET * 4, r"not a \.npy file \(no NUMPY magic string at its start\)$"),
        (b"\x93NUMPY\x01\x00\x20\x00" + SECRET, r"unreadable \.npy header \(\w+\)$"),
        (b"\x93NUMPY\x07\x00\x10\x00" + SECRET, r"unsupported \.npy format version \(7, 0\)$"),
    ],
    ids=["text", "garbage-header", "unknown-version"],
)
def test_unreadable_npy_errors_do_not_quote_the_file(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "5.npy"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as caught:
        read_npy(path, "5")
    assert "s3cr3t" not in str(caught.value) and caught.value.subject.startswith("synapse 5 (")


def test_fortran_ordered_chunks_give_the_same_tensor(dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path) -> None:
    em, mask = write_chunk("c")
    em_f, mask_f = write_chunk("f", np.asfortranarray(np.load(em)), np.asfortranarray(np.load(mask)))
    assert np.load(em_f).flags.f_contiguous
    process(dataset_dir, tmp_path / "out")
    np.testing.assert_array_equal(
        np.load(tmp_path / "out" / "c__2_24_24_5.npy"), np.load(tmp_path / "out" / "f__2_24_24_5.npy")
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.uint16, np.bool_])
def test_non_uint8_em_is_refused_naming_the_synapse(tmp_path: Path, dtype) -> None:
    path = save_npy(tmp_path / "9.npy", np.ones((4, 4, 4), dtype=dtype))
    with pytest.raises(InputError, match=rf"synapse 9 \(.*9\.npy\): EM must be uint8, got {np.dtype(dtype)}$"):
        load_em_chunk(path, "9")


def test_mask_labels_list_every_unknown_label(tmp_path: Path) -> None:
    mask = np.zeros((4, 4, 4), dtype=np.uint8)
    mask[0, 0, :3] = [7, 200, 3]
    path = save_npy(tmp_path / "9_mask.npy", mask)
    with pytest.raises(InputError, match=r"synapse 9 \(.*9_mask\.npy\): mask labels must be 0-3 .*; found 7, 200$"):
        load_mask_chunk(path, "9")


def test_many_unknown_labels_are_summarised(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9_mask.npy", np.arange(64, dtype=np.uint8).reshape(4, 4, 4))
    with pytest.raises(InputError, match=r"found 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 and 50 more$"):
        load_mask_chunk(path, "9")


def test_bool_masks_are_refused(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9_mask.npy", np.ones((4, 4, 4), dtype=bool))
    with pytest.raises(InputError, match="mask must hold integer labels, got bool"):
        load_mask_chunk(path, "9")


def test_em_and_mask_shapes_must_match() -> None:
    em, mask = np.ones((8, 8, 10), np.uint8), np.ones((8, 8, 9), np.uint8)
    with pytest.raises(InputError, match=r"synapse 12: EM shape \(8, 8, 10\) and mask shape \(8, 8, 9\) differ"):
        preprocess_chunk("12", em, mask, PreprocessingSettings())


@pytest.mark.parametrize("shape", [(8, 8, 1), (1, 8, 8), (8, 1, 1), (1, 1, 1)])
def test_one_section_chunks_are_processed(shape: tuple[int, int, int]) -> None:
    em = np.full(shape, 9, np.uint8)
    mask = np.ones(shape, np.uint8)
    result = preprocess_chunk("1", em, mask, PreprocessingSettings())
    depth = shape[2] // 5 + 1
    assert result.tensor.shape == (2, shape[0], shape[1], depth)
    assert result.pre_synaptic_volume == 5 * shape[0] * shape[1] * depth


def test_an_empty_dataset_folder_has_no_pairs(dataset_dir: Path) -> None:
    pairing = pair_chunks(dataset_dir)
    assert pairing.pairs == () and pairing.unpaired_ids == () and pairing.misnamed_files == ()


def test_only_masks_leaves_every_mask_unpaired(dataset_dir: Path) -> None:
    for synapse_id in ("1", "2"):
        save_npy(dataset_dir / "mask" / f"{synapse_id}_mask.npy", np.ones((4, 4, 4), np.uint8))
    pairing = pair_chunks(dataset_dir)
    assert pairing.pairs == () and pairing.mask_without_em == ("1", "2")


def test_7_and_007_are_two_synapses(dataset_dir: Path, write_chunk: ChunkWriter, tmp_path: Path) -> None:
    write_chunk("7", seed=1)
    write_chunk("007", seed=2)
    batch = process(dataset_dir, tmp_path / "out")
    assert [record.synapse_id for record in batch.records] == ["007", "7"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["007__2_24_24_5.npy", "7__2_24_24_5.npy"]


def test_two_masks_for_one_id_are_an_error_naming_both(dataset_dir: Path) -> None:
    tiny = np.ones((2, 2, 2), np.uint8)
    save_npy(dataset_dir / "em" / "7.npy", tiny)
    save_npy(dataset_dir / "mask" / "7_a.npy", tiny)
    save_npy(dataset_dir / "mask" / "7_b.npy", tiny)
    with pytest.raises(InputError, match=r"mask: synapse id '7' has 2 files: 7_a\.npy, 7_b\.npy"):
        pair_chunks(dataset_dir)


@pytest.mark.parametrize("name", ["7 copy.npy", "７.npy", "café.npy", "7.NPY.npy", " 7.npy"])
def test_file_names_with_spaces_or_unicode_are_reported_not_paired(dataset_dir: Path, name: str) -> None:
    tiny = np.ones((2, 2, 2), np.uint8)
    save_npy(dataset_dir / "em" / name, tiny)
    save_npy(dataset_dir / "mask" / "7_mask.npy", tiny)
    pairing = pair_chunks(dataset_dir)
    assert pairing.pairs == () and pairing.misnamed_files == (f"em/{name}",)
    assert ChunkPairing.from_json(pairing.to_json()) == pairing


def _other_dataset_chunk(dataset_dir: Path) -> Path:
    return save_npy(dataset_dir.parent / "other" / "em" / "1.npy", np.ones((4, 4, 4), np.uint8))


@pytest.mark.parametrize(
    "target", [lambda d: Path("/etc/passwd"), _other_dataset_chunk, lambda d: d / "em" / "2.npy"],
    ids=["etc-passwd", "chunk-of-another-dataset", "chunk-of-the-same-dataset"],
)
def test_linked_chunks_are_listed_and_never_read(dataset_dir: Path, write_chunk: ChunkWriter, target) -> None:
    write_chunk("2")
    save_npy(dataset_dir / "mask" / "1_mask.npy", np.ones((4, 4, 4), np.uint8))
    link = dataset_dir / "em" / "1.npy"
    os.symlink(target(dataset_dir), link)
    pairing = pair_chunks(dataset_dir)
    assert [pair.synapse_id for pair in pairing.pairs] == ["2"]
    assert pairing.linked_files == ("em/1.npy",) and pairing.mask_without_em == ("1",)
    assert ChunkPairing.from_json(pairing.to_json()).linked_files == ("em/1.npy",)
    with pytest.raises(InputError, match="symbolic link; links in landing folders are never followed") as caught:
        read_npy(link, "1")
    assert "s3cr3t" not in str(caught.value) and "root:x" not in str(caught.value)


@pytest.mark.parametrize("linked", ["", "em", "mask"])
def test_linked_dataset_folders_are_refused(tmp_path: Path, linked: str) -> None:
    landing = tmp_path / "em-landing"
    real = landing / "real"
    for folder in ("em", "mask"):
        (real / folder).mkdir(parents=True)
    dataset = landing / "linked"
    if linked:
        (dataset / ("mask" if linked == "em" else "em")).mkdir(parents=True)
        os.symlink(real / linked, dataset / linked)
    else:
        os.symlink(real, dataset)
    link = dataset / linked if linked else dataset
    scan = scan_em_landing(landing)
    assert list(scan.entries) == ["real"]
    assert scan.refused[str(dataset)].endswith("is a symbolic link; links in landing folders are never followed")
    with pytest.raises(InputError, match="never followed") as caught:
        pair_chunks(dataset)
    assert caught.value.subject == str(link)


def test_a_link_to_etc_is_not_a_dataset(tmp_path: Path) -> None:
    landing = tmp_path / "em-landing"
    landing.mkdir()
    os.symlink("/etc", landing / "etc")
    os.symlink("/", landing / "root")
    scan = scan_em_landing(landing)
    assert scan.entries == {}
    assert scan.refused == {str(landing / name): f"{name} {LINK_REFUSAL}" for name in ("etc", "root")}


def test_a_header_cut_inside_its_dict_is_refused(tmp_path: Path) -> None:
    """Found by the property test: numpy's header parser raises tokenize.TokenError here."""
    content = npy_with_header(tmp_path / "1.npy", (0,), payload=b"").read_bytes()
    content = content.replace(b"e': (", b"\x00" * 5)
    (tmp_path / "1.npy").write_bytes(bytes(content))
    with pytest.raises(InputError, match=r"unreadable \.npy header \(TokenError\)$"):
        read_npy(tmp_path / "1.npy", "1")
