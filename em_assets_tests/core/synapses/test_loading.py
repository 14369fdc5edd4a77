"""Bad chunk files give a clear InputError naming the synapse and the file, never a numpy traceback."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.synapses.loading import load_em_chunk, load_mask_chunk, read_npy
from em_assets_tests.fixtures.synapses import save_npy


def test_reads_c_and_fortran_ordered_arrays(tmp_path: Path) -> None:
    volume = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    save_npy(tmp_path / "c.npy", volume)
    save_npy(tmp_path / "f.npy", np.asfortranarray(volume))
    np.testing.assert_array_equal(load_em_chunk(tmp_path / "c.npy", "s1"), volume)
    np.testing.assert_array_equal(load_em_chunk(tmp_path / "f.npy", "s1"), volume)


def test_non_uint8_em_is_refused(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9.npy", np.zeros((4, 4, 4), dtype=np.uint16))
    with pytest.raises(InputError, match=r"synapse 9 \(.*9\.npy\): EM must be uint8, got uint16"):
        load_em_chunk(path, "9")


@pytest.mark.parametrize("label", [-1, 4, 7, 200, 256, 70000])
def test_mask_labels_outside_0_to_3_are_refused(tmp_path: Path, label: int) -> None:
    mask = np.zeros((4, 4, 4), dtype=np.int32)
    mask[1, 2, 3] = label
    path = save_npy(tmp_path / "9_mask.npy", mask)
    with pytest.raises(InputError, match=rf"synapse 9 .*labels must be 0-3 .*; found {label}$"):
        load_mask_chunk(path, "9")


def test_wide_integer_masks_with_labels_0_to_3_are_accepted(tmp_path: Path) -> None:
    mask = np.array([0, 1, 2, 3, 3, 0, 0, 0], dtype=np.int64).reshape(2, 2, 2)
    path = save_npy(tmp_path / "9_mask.npy", mask)
    np.testing.assert_array_equal(load_mask_chunk(path, "9"), mask)


def test_float_masks_are_refused(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9_mask.npy", np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(InputError, match="mask must hold integer labels, got float32"):
        load_mask_chunk(path, "9")


@pytest.mark.parametrize("shape", [(4, 4), (2, 4, 4, 4), (0, 4, 4)])
def test_non_3d_or_empty_arrays_are_refused(tmp_path: Path, shape: tuple[int, ...]) -> None:
    path = save_npy(tmp_path / "9.npy", np.zeros(shape, dtype=np.uint8))
    with pytest.raises(InputError, match=r"synapse 9 .*EM (must be 3-D|is empty)"):
        load_em_chunk(path, "9")


def test_truncated_files_are_refused(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9.npy", np.ones((8, 8, 8), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(InputError, match="truncated: the header promises 512 bytes of data, the file has 502$"):
        load_em_chunk(path, "9")


def test_pickled_object_arrays_are_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "9.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="pickled Python objects"):
        read_npy(path, "9")


def test_plain_pickles_and_garbage_are_refused(tmp_path: Path) -> None:
    pickled = tmp_path / "9.npy"
    pickled.write_bytes(pickle.dumps(np.zeros((2, 2, 2), dtype=np.uint8)))
    with pytest.raises(InputError, match=r"synapse 9 .*not a \.npy file"):
        read_npy(pickled, "9")
    empty = tmp_path / "10.npy"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"synapse 10 .*not a \.npy file"):
        read_npy(empty, "10")


def test_a_corrupt_header_is_refused(tmp_path: Path) -> None:
    path = save_npy(tmp_path / "9.npy", np.zeros((2, 2, 2), dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[12:20] = b"garbage!"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"synapse 9 .*unreadable \.npy header"):
        read_npy(path, "9")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"synapse 9 .*cannot be read"):
        read_npy(tmp_path / "9.npy", "9")
