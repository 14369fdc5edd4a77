"""Property-based tests (hypothesis, derandomised, no example database): any input to the chunk
loaders, the chunk preprocessing and the contrast limits gives a correct result or an InputError,
never another exception."""

from __future__ import annotations

import io
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from em_assets.core.contrast.limits import compute_contrast_limits
from em_assets.core.errors import InputError
from em_assets.core.synapses.loading import (
    ChunkBuffers,
    load_em_chunk,
    load_mask_chunk,
    read_npy,
)
from em_assets.core.synapses.preprocessing import (
    PreprocessingSettings,
    preprocess_chunk,
)

PROPERTY = settings(
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DTYPES = st.sampled_from(["u1", "i1", "u2", "<i2", ">i2", "<f4", ">f4", "f8", "f2", "?", "c8"])
SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)


def npy_bytes(array: np.ndarray) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array, allow_pickle=False)
    return stream.getvalue()


@st.composite
def arrays(draw: st.DrawFn, dtype=DTYPES, shape=SHAPES) -> np.ndarray:
    array = draw(hnp.arrays(draw(dtype), draw(shape)))
    return np.asfortranarray(array) if draw(st.booleans()) else array


@st.composite
def damaged(draw: st.DrawFn, content: bytes) -> bytes:
    """`content` cut short, with bytes overwritten, or left alone."""
    action = draw(st.sampled_from(["keep", "truncate", "overwrite"]))
    if action == "truncate":
        return content[: draw(st.integers(0, max(len(content) - 1, 0)))]
    if action == "overwrite" and content:
        start = draw(st.integers(0, len(content) - 1))
        patch = draw(st.binary(min_size=1, max_size=16))
        return content[:start] + patch + content[start + len(patch) :]
    return content


@PROPERTY
@given(data=st.data())
def test_any_npy_bytes_load_exactly_or_raise_input_error(tmp_path: Path, data: st.DataObject) -> None:
    array = data.draw(arrays())
    content = npy_bytes(array)
    written = data.draw(damaged(content))
    path = tmp_path / "1.npy"
    path.write_bytes(written)
    buffers = data.draw(st.sampled_from([None, ChunkBuffers()]))
    try:
        loaded = read_npy(path, "1", buffers)
    except InputError as error:
        assert error.subject.startswith("synapse 1 (") and written != content
        return
    if written == content:
        np.testing.assert_array_equal(loaded, array)
        assert loaded.dtype == array.dtype and loaded.shape == array.shape


@PROPERTY
@given(array=arrays())
def test_em_and_mask_loaders_accept_exactly_the_valid_chunks(tmp_path: Path, array: np.ndarray) -> None:
    path = tmp_path / "1.npy"
    path.write_bytes(npy_bytes(array))
    valid_volume = array.ndim == 3 and array.size > 0
    em_ok = valid_volume and array.dtype == np.uint8
    mask_ok = valid_volume and array.dtype.kind in "iu" and bool(np.isin(array, (0, 1, 2, 3)).all())
    for loader, ok in ((load_em_chunk, em_ok), (load_mask_chunk, mask_ok)):
        if ok:
            np.testing.assert_array_equal(loader(path, "1"), array)
        else:
            with pytest.raises(InputError, match=r"^synapse 1 \("):
                loader(path, "1")


@st.composite
def chunk_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=7))
    em = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, 255) | st.just(0)))
    mask = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, 3)))
    return em, mask


@PROPERTY
@given(pair=chunk_pairs(), spacing=st.integers(1, 7), threshold=st.floats(0, 1))
def test_preprocessing_gives_the_notebook_tensor(pair, spacing: int, threshold: float) -> None:
    em, mask = pair
    settings_ = PreprocessingSettings(cutout_threshold=threshold, axial_to_sagittal_spacing=spacing)
    depth = em.shape[2]
    kept = depth // spacing + 1
    if kept > depth:
        with pytest.raises(InputError, match=f"synapse 1: Z={depth} is too small to crop to {kept} sections"):
            preprocess_chunk("1", em, mask, settings_)
        return
    result = preprocess_chunk("1", em, mask, settings_)
    start = (depth - kept) // 2
    crop = slice(start, start + kept)
    assert result.tensor.shape == (2, em.shape[0], em.shape[1], kept) and result.tensor.dtype == np.uint8
    np.testing.assert_array_equal(result.tensor[1], mask[:, :, crop])
    zero_fraction = (em[:, :, crop] == 0).mean(axis=(0, 1))
    cut = zero_fraction > threshold
    np.testing.assert_array_equal(result.tensor[0][:, :, ~cut], em[:, :, crop][:, :, ~cut])
    assert not result.tensor[0][:, :, cut].any()
    assert result.n_cutout_sections == int(cut.sum())
    for label, volume in ((1, result.pre_synaptic_volume), (2, result.synaptic_cleft_volume), (3, result.post_synaptic_volume)):
        assert volume == spacing * int((mask[:, :, crop] == label).sum())


@PROPERTY
@given(pair=chunk_pairs(), other=hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=7))
def test_preprocessing_refuses_mismatched_shapes(pair, other: tuple[int, ...]) -> None:
    em, _ = pair
    mask = np.zeros(other, np.uint8)
    if other == em.shape:
        assert preprocess_chunk("1", em, mask, PreprocessingSettings()).tensor.shape[:3] == (2, *other[:2])
    else:
        with pytest.raises(InputError, match="synapse 1: EM shape .* and mask shape .* differ"):
            preprocess_chunk("1", em, mask, PreprocessingSettings())


VOLUME_VALUES = st.floats(-1e6, 1e6, width=32) | st.sampled_from([np.nan, np.inf, -np.inf])


@settings(PROPERTY, max_examples=25)
@given(
    volume=hnp.arrays(
        np.float32, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=9), elements=VOLUME_VALUES
    ),
    method=st.sampled_from(["gmm", "cdf"]),
)
def test_contrast_limits_are_ordered_finite_and_inside_the_data_or_an_input_error(volume, method: str) -> None:
    try:
        low, high = compute_contrast_limits(volume, method, z_radius=None, name="t")
    except InputError as error:
        assert error.subject == "t"
        return
    finite = volume[np.isfinite(volume)]
    assert np.isfinite([low, high]).all()
    assert finite.min() <= low < high <= finite.max()
