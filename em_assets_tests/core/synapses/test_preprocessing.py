"""The notebook's semantics: crop first, cutout fraction per section, EM-only zeroing, label volumes."""

from __future__ import annotations

import numpy as np
import pytest

from em_assets.core.errors import InputError
from em_assets.core.synapses.preprocessing import (
    PreprocessingSettings,
    central_z_range,
    preprocess_chunk,
    tensor_filename,
)


@pytest.mark.parametrize(
    ("depth", "expected"), [(256, slice(102, 154)), (37, slice(14, 22)), (4, slice(1, 2)), (1, slice(0, 1))]
)
def test_central_z_range_keeps_depth_over_spacing_plus_one_sections(depth: int, expected: slice) -> None:
    assert central_z_range(depth, 5, "s") == expected


def test_z_too_small_to_crop_is_an_input_error() -> None:
    with pytest.raises(InputError, match="synapse 3: Z=0 is too small to crop to 1 sections"):
        central_z_range(0, 5, "synapse 3")


def _volume(depth: int = 16) -> tuple[np.ndarray, np.ndarray]:
    em = np.full((40, 25, depth), 100, dtype=np.uint8)
    mask = np.zeros((40, 25, depth), dtype=np.uint8)
    return em, mask


def test_sections_strictly_above_the_threshold_are_zeroed_in_the_em_only() -> None:
    em, mask = _volume()
    mask[:, :, :] = 3
    crop = central_z_range(16, 5, "s")
    first = crop.start
    em.reshape(-1, 16)[:10, first] = 0  # exactly 1% of 1000 pixels: kept
    em.reshape(-1, 16)[:11, first + 1] = 0  # 1.1%: zeroed
    em.reshape(-1, 16)[:500, first + 2] = 0  # 50%: zeroed
    result = preprocess_chunk("s", em, mask, PreprocessingSettings())
    assert result.tensor.shape == (2, 40, 25, 4)
    assert result.n_cutout_sections == 2
    assert np.count_nonzero(result.tensor[0, :, :, 0] == 0) == 10
    assert not result.tensor[0, :, :, 1:3].any()
    assert (result.tensor[0, :, :, 3] == 100).all()
    assert (result.tensor[1] == 3).all()


def test_cutouts_outside_the_crop_are_not_counted() -> None:
    em, mask = _volume()
    em[:, :, 0] = 0
    em[:, :, 15] = 0
    result = preprocess_chunk("s", em, mask, PreprocessingSettings())
    assert result.n_cutout_sections == 0
    assert (result.tensor[0] == 100).all()


def test_volumes_are_spacing_times_label_counts_in_the_crop() -> None:
    em, mask = _volume()
    crop = central_z_range(16, 5, "s")
    mask[:, :, :] = 1
    mask[:3, :2, crop][..., 0] = 2
    mask[0, 0, crop] = 3
    mask[5, 5, 0] = 2  # outside the crop: not counted
    result = preprocess_chunk("s", em, mask, PreprocessingSettings())
    assert result.synaptic_cleft_volume == 5 * 5
    assert result.post_synaptic_volume == 5 * 4
    assert result.pre_synaptic_volume == 5 * (40 * 25 * 4 - 5 - 4)


def test_cut_channels_hold_the_em_inside_each_label_group() -> None:
    em, mask = _volume(6)
    em[...] = np.arange(1, 7, dtype=np.uint8)
    mask[:20] = 1
    mask[20:] = 3
    mask[0, 0, :] = 2
    settings = PreprocessingSettings(mask_channel_labels=((1, 2), (3,)))
    result = preprocess_chunk("s", em, mask, settings)
    assert result.tensor.shape == (3, 40, 25, 2)
    np.testing.assert_array_equal(result.tensor[0][:20], em[:20, :, 2:4])
    assert not result.tensor[0][20:].any()
    np.testing.assert_array_equal(result.tensor[1][20:], em[20:, :, 2:4])
    assert not result.tensor[1][:20].any()
    np.testing.assert_array_equal(result.tensor[2], mask[:, :, 2:4])


def test_em_and_mask_shapes_must_match() -> None:
    em, _ = _volume()
    expected = r"synapse 12: EM shape \(40, 25, 16\) and mask shape \(40, 25, 15\) differ"
    with pytest.raises(InputError, match=expected):
        preprocess_chunk("12", em, np.zeros((40, 25, 15), dtype=np.uint8), PreprocessingSettings())


def test_tensor_filename_follows_the_notebook() -> None:
    assert tensor_filename("00012", (2, 256, 256, 52)) == "00012__2_256_256_52.npy"
