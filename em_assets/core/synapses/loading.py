"""Strict `.npy` reading for EM chunks and masks (no pickles, no truncated data, clear errors) into
grow-only scratch buffers a worker reuses for every chunk."""

from __future__ import annotations

import errno
import math
import os
import tokenize
from pathlib import Path
from typing import BinaryIO

import numpy as np

from em_assets.core.errors import InputError
from em_assets.core.landing import LINK_REFUSAL

MASK_LABELS = (0, 1, 2, 3)
"""Background, pre-synaptic neuron, synaptic cleft, post-synaptic neuron (see `preprocessing`)."""
SHOWN_LABELS = 10
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


class ChunkBuffers:
    """Named byte buffers that only ever grow; `take` hands out views valid until the next `take`."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype: np.dtype, order: str = "C") -> np.ndarray:
        """An uninitialised array of `shape` and `dtype` backed by the buffer `name`.

        The buffer grows when it is too small; the view stays valid until the next `take` of `name`.

        Parameters
        ----------
        name : str
            The buffer to use.
        shape : tuple[int, ...]
            The array's shape.
        dtype : numpy.dtype
            The array's dtype (anything `numpy.dtype` accepts).
        order : str, optional
            Memory layout, "C" or "F" (default "C").

        Returns
        -------
        numpy.ndarray
            A view of the buffer with that shape, dtype and order; its contents are undefined.
        """
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < nbytes:
            buffer = self._buffers[name] = np.empty(max(nbytes, 1), dtype=np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape, order=order)

    @property
    def nbytes(self) -> int:
        """The memory these buffers hold."""
        return sum(buffer.size for buffer in self._buffers.values())


def chunk_subject(synapse_id: str, path: Path) -> str:
    """How errors name a chunk file: the synapse and the file.

    Parameters
    ----------
    synapse_id : str
        The synapse's id.
    path : Path
        The chunk file.

    Returns
    -------
    str
        `synapse <id> (<path>)`.
    """
    return f"synapse {synapse_id} ({path})"


def read_npy(
    path: Path, synapse_id: str, buffers: ChunkBuffers | None = None, slot: str = "npy"
) -> np.ndarray:
    """Read a plain `.npy` array; pickled objects, bad headers and truncated data raise InputError.

    With `buffers`, the array is read into the reusable buffer `slot` (valid until its next use).

    Parameters
    ----------
    path : Path
        The `.npy` file; a symbolic link is refused.
    synapse_id : str
        The synapse the file belongs to, named in errors.
    buffers : ChunkBuffers or None, optional
        Reusable buffers to read into; None to allocate a new array.
    slot : str, optional
        The name of the buffer in `buffers` to use (default "npy").

    Returns
    -------
    numpy.ndarray
        The array with the header's shape, dtype and memory order.

    Raises
    ------
    InputError
        If the file is a symbolic link or cannot be opened or read, lacks the NUMPY magic string, has
        an unsupported format version, an unreadable header or a negative dimension, holds pickled
        objects, or has less data than its header promises.
    """
    subject = chunk_subject(synapse_id, path)
    try:
        with open_no_follow(path) as stream:
            try:
                version = np.lib.format.read_magic(stream)
            except (ValueError, EOFError):
                raise InputError(subject, "not a .npy file (no NUMPY magic string at its start)") from None
            if version not in _HEADER_READERS:
                raise InputError(subject, f"unsupported .npy format version {version}")
            try:
                shape, fortran_order, dtype = _HEADER_READERS[version](stream)
            except (ValueError, SyntaxError, EOFError, tokenize.TokenError) as error:
                raise InputError(subject, f"unreadable .npy header ({type(error).__name__})") from None
            if dtype.hasobject:
                raise InputError(subject, "holds pickled Python objects, which are never loaded")
            if any(n < 0 for n in shape):
                raise InputError(subject, f"the .npy header has a negative dimension {shape}")
            count = math.prod(shape)
            expected = count * dtype.itemsize
            available = os.fstat(stream.fileno()).st_size - stream.tell()
            if available < expected:
                raise InputError(
                    subject,
                    f"truncated: the header promises {expected} bytes of data, the file has {available}",
                )
            order = "F" if fortran_order else "C"
            if buffers is None:
                return np.fromfile(stream, dtype=dtype, count=count).reshape(shape, order=order)
            array = buffers.take(slot, shape, dtype, order)
            if stream.readinto(array.reshape(-1, order="A").view(np.uint8)) != expected:
                raise InputError(subject, "truncated while it was being read")
            return array
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InputError(subject, LINK_REFUSAL) from None
        raise InputError(subject, f"cannot be read ({error.strerror or error})") from None


def open_no_follow(path: Path) -> BinaryIO:
    """Open `path` for binary reading, refusing (ELOOP) if its last component is a symbolic link.

    Parameters
    ----------
    path : Path
        The file to open.

    Returns
    -------
    BinaryIO
        The open file.

    Raises
    ------
    OSError
        If the file cannot be opened; `errno.ELOOP` if its last component is a symbolic link.
    """
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def _check_volume(array: np.ndarray, subject: str, role: str) -> None:
    if array.ndim != 3:
        raise InputError(subject, f"{role} must be 3-D (x, y, z), got shape {array.shape}")
    if array.size == 0:
        raise InputError(subject, f"{role} is empty, shape {array.shape}")


def load_em_chunk(path: Path, synapse_id: str, buffers: ChunkBuffers | None = None) -> np.ndarray:
    """The EM volume of one synapse: a 3-D uint8 array (x, y, z).

    Parameters
    ----------
    path : Path
        The EM `.npy` file.
    synapse_id : str
        The synapse's id, named in errors.
    buffers : ChunkBuffers or None, optional
        Reusable buffers to read into (buffer "em"); None to allocate.

    Returns
    -------
    numpy.ndarray
        The EM volume.

    Raises
    ------
    InputError
        If the file cannot be read as a plain `.npy` (see `read_npy`), or the array is not 3-D, is
        empty, or is not uint8.
    """
    em = read_npy(path, synapse_id, buffers, "em")
    subject = chunk_subject(synapse_id, path)
    _check_volume(em, subject, "EM")
    if em.dtype != np.uint8:
        raise InputError(subject, f"EM must be uint8, got {em.dtype}")
    return em


def load_mask_chunk(path: Path, synapse_id: str, buffers: ChunkBuffers | None = None) -> np.ndarray:
    """The label mask of one synapse: a 3-D integer array with labels 0-3 (`MASK_LABELS`).

    Parameters
    ----------
    path, synapse_id, buffers
        As for `load_em_chunk`.

    Returns
    -------
    numpy.ndarray
        The label mask.

    Raises
    ------
    InputError
        If the file cannot be read as a plain `.npy` (see `read_npy`), or the array is not 3-D, is
        empty, does not hold integers, or holds labels outside 0-3 (the first ten are named).
    """
    mask = read_npy(path, synapse_id, buffers, "mask")
    subject = chunk_subject(synapse_id, path)
    _check_volume(mask, subject, "mask")
    if mask.dtype.kind not in "iu":
        raise InputError(subject, f"mask must hold integer labels, got {mask.dtype}")
    if int(mask.min()) < MASK_LABELS[0] or int(mask.max()) > MASK_LABELS[-1]:
        unknown = np.setdiff1d(np.unique(mask), MASK_LABELS)
        shown = ", ".join(str(label) for label in unknown[:SHOWN_LABELS])
        more = f" and {len(unknown) - SHOWN_LABELS} more" if len(unknown) > SHOWN_LABELS else ""
        raise InputError(subject, f"mask labels must be 0-3 (background, pre, cleft, post); found {shown}{more}")
    return mask
