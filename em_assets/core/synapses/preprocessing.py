"""The notebook's per-synapse steps: central z crop, cutout sections, the (C, X, Y, Zc) uint8 tensor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from em_assets.core.atomic import write_npy_atomic
from em_assets.core.errors import InputError
from em_assets.core.synapses.loading import ChunkBuffers, load_em_chunk, load_mask_chunk
from em_assets.core.synapses.metadata import ChunkRecord
from em_assets.core.synapses.pairing import ChunkPair

MASK_PRE_SYNAPTIC_NEURON = 1
MASK_SYNAPTIC_CLEFT = 2
MASK_POST_SYNAPTIC_NEURON = 3


@dataclass(frozen=True)
class PreprocessingSettings:
    """The notebook's hyperparameters; `mask_channel_labels` non-empty turns on the cut-EM channels."""

    cutout_threshold: float = 0.01
    axial_to_sagittal_spacing: int = 5
    mask_channel_labels: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.axial_to_sagittal_spacing < 1:
            raise ValueError("axial_to_sagittal_spacing must be at least 1")

    @property
    def n_channels(self) -> int:
        """EM (or one cut-EM channel per label group) plus the integer mask."""
        return len(self.mask_channel_labels) + 1 if self.mask_channel_labels else 2


@dataclass(frozen=True)
class ProcessedChunk:
    """One synapse's tensor and the statistics the metadata table records."""

    tensor: np.ndarray
    n_cutout_sections: int
    pre_synaptic_volume: int
    post_synaptic_volume: int
    synaptic_cleft_volume: int


def central_z_range(depth: int, spacing: int, subject: str) -> slice:
    """The `depth // spacing + 1` central sections, offset `(depth - target) // 2`.

    Parameters
    ----------
    depth : int
        The number of z sections of the chunk.
    spacing : int
        The axial to sagittal spacing (at least 1).
    subject : str
        What the chunk is, named in errors.

    Returns
    -------
    slice
        The range of z sections kept.

    Raises
    ------
    InputError
        If the chunk has fewer sections than the crop needs.
    """
    target = depth // spacing + 1
    if target > depth:
        raise InputError(subject, f"Z={depth} is too small to crop to {target} sections")
    start = (depth - target) // 2
    return slice(start, start + target)


def cutout_sections(em_xyz: np.ndarray, threshold: float, scratch: np.ndarray | None = None) -> np.ndarray:
    """Per section, whether the fraction of EM pixels equal to 0 exceeds `threshold`.

    `em_xyz` must be C-contiguous; `scratch`, if given, is a bool array of its shape to reuse.

    Parameters
    ----------
    em_xyz : numpy.ndarray
        The EM volume, axes (x, y, z).
    threshold : float
        The fraction of zero pixels above which a section counts as cut out.
    scratch : numpy.ndarray or None, optional
        A reusable bool array of the shape of `em_xyz`; None to allocate one when needed.

    Returns
    -------
    numpy.ndarray
        A bool array with one entry per z section.
    """
    width, height, depth = em_xyz.shape
    zeros_z = np.zeros(depth, dtype=np.int64)
    if em_xyz.min() == 0:
        zeros = np.equal(em_xyz, 0, out=scratch)
        zeros_z = np.bincount(np.flatnonzero(zeros) % depth, minlength=depth)
    return zeros_z / (width * height) > threshold


def preprocess_chunk(
    synapse_id: str,
    em: np.ndarray,
    mask: np.ndarray,
    settings: PreprocessingSettings,
    buffers: ChunkBuffers | None = None,
) -> ProcessedChunk:
    """Crop z, zero the cutout sections of the EM and stack the channels as uint8.

    With `buffers`, the tensor lives in a reusable buffer (valid until the next chunk).

    Parameters
    ----------
    synapse_id : str
        The synapse's id, named in errors.
    em : numpy.ndarray
        The EM volume, uint8, axes (x, y, z).
    mask : numpy.ndarray
        The label mask, same shape as `em`.
    settings : PreprocessingSettings
        Cutout threshold, axial to sagittal spacing and optional cut-EM channel label groups.
    buffers : ChunkBuffers or None, optional
        Reusable buffers for the tensor and scratch arrays; None for fresh ones.

    Returns
    -------
    ProcessedChunk
        The (C, X, Y, Zc) uint8 tensor (EM or one cut-EM channel per label group, then the mask),
        the number of cutout sections, and the pre-synaptic, post-synaptic and cleft volumes (voxel
        counts in the crop times the spacing).

    Raises
    ------
    InputError
        If `em` and `mask` differ in shape, or the chunk is too shallow to crop.
    """
    subject = f"synapse {synapse_id}"
    if em.shape != mask.shape:
        raise InputError(subject, f"EM shape {em.shape} and mask shape {mask.shape} differ")
    width, height, depth = em.shape
    crop = central_z_range(depth, settings.axial_to_sagittal_spacing, subject)
    buffers = buffers or ChunkBuffers()
    tensor = buffers.take("tensor", (settings.n_channels, width, height, crop.stop - crop.start), np.uint8)
    cropped_shape = tensor.shape[1:]
    em_xyz = buffers.take("em_crop", cropped_shape, np.uint8) if settings.mask_channel_labels else tensor[0]
    em_xyz[...] = em[:, :, crop]
    mask_xyz = tensor[-1]
    mask_xyz[...] = mask[:, :, crop]
    scratch = buffers.take("scratch", cropped_shape, np.bool_)
    cut = cutout_sections(em_xyz, settings.cutout_threshold, scratch)
    em_xyz[:, :, cut] = 0
    for channel, labels in enumerate(settings.mask_channel_labels):
        np.multiply(em_xyz, np.isin(mask_xyz, labels), out=tensor[channel], casting="unsafe")

    def volume(label: int) -> int:
        voxels = np.count_nonzero(np.equal(mask_xyz, label, out=scratch))
        return settings.axial_to_sagittal_spacing * int(voxels)

    return ProcessedChunk(
        tensor=tensor,
        n_cutout_sections=int(np.count_nonzero(cut)),
        pre_synaptic_volume=volume(MASK_PRE_SYNAPTIC_NEURON),
        post_synaptic_volume=volume(MASK_POST_SYNAPTIC_NEURON),
        synaptic_cleft_volume=volume(MASK_SYNAPTIC_CLEFT),
    )


def tensor_filename(synapse_id: str, shape: tuple[int, ...]) -> str:
    """`{synapse_id}__{C}_{X}_{Y}_{Zc}.npy`, as the notebook names its outputs.

    Parameters
    ----------
    synapse_id : str
        The synapse's id.
    shape : tuple[int, ...]
        The tensor's shape.

    Returns
    -------
    str
        The tensor's file name.
    """
    return f"{synapse_id}__{'_'.join(str(size) for size in shape)}.npy"


def process_chunk_pair(
    pair: ChunkPair, out_dir: Path, settings: PreprocessingSettings, buffers: ChunkBuffers | None = None
) -> ChunkRecord:
    """Load, check and preprocess one synapse, write its tensor atomically and return its record.

    Parameters
    ----------
    pair : ChunkPair
        The synapse's id and its EM and mask files.
    out_dir : Path
        The existing folder the tensor is written to, named by `tensor_filename`.
    settings : PreprocessingSettings
        The preprocessing settings.
    buffers : ChunkBuffers or None, optional
        Reusable buffers for reading and processing; None for fresh ones.

    Returns
    -------
    ChunkRecord
        The tensor's file name and the synapse's statistics.

    Raises
    ------
    InputError
        If the EM or mask file is unreadable or invalid (see `load_em_chunk`, `load_mask_chunk`) or
        preprocessing refuses them (see `preprocess_chunk`).
    OSError
        If the tensor cannot be written.
    """
    input_buffers = ChunkBuffers() if buffers is None else buffers
    em = load_em_chunk(pair.em_path, pair.synapse_id, input_buffers)
    mask = load_mask_chunk(pair.mask_path, pair.synapse_id, input_buffers)
    processed = preprocess_chunk(pair.synapse_id, em, mask, settings, input_buffers)
    filename = tensor_filename(pair.synapse_id, processed.tensor.shape)
    write_npy_atomic(out_dir / filename, processed.tensor)
    return ChunkRecord(
        synapse_id=pair.synapse_id,
        filename=filename,
        pre_synaptic_volume=processed.pre_synaptic_volume,
        post_synaptic_volume=processed.post_synaptic_volume,
        synaptic_cleft_volume=processed.synaptic_cleft_volume,
        n_cutout_sections=processed.n_cutout_sections,
    )
