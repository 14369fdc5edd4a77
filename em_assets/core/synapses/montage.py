"""A PNG montage of processed chunks: central EM section with the mask labels overlaid."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

LABEL_COLOURS = {
    1: (0.20, 0.55, 1.00),  # pre-synaptic neuron
    2: (1.00, 0.85, 0.10),  # synaptic cleft
    3: (1.00, 0.30, 0.60),  # post-synaptic neuron
}
OVERLAY_ALPHA = 0.35


def overlay_central_section(tensor: np.ndarray) -> np.ndarray:
    """RGB image (y, x, 3) of the central section: EM in grey, mask labels tinted.

    Parameters
    ----------
    tensor : numpy.ndarray
        A processed tensor (C, X, Y, Z) of uint8: channel 0 is EM, the last channel the label mask.

    Returns
    -------
    numpy.ndarray
        float32 RGB values in [0, 1] of the section `Z // 2`, labels 1-3 blended with
        `LABEL_COLOURS` at `OVERLAY_ALPHA`.
    """
    z = tensor.shape[-1] // 2
    em = tensor[0, :, :, z].T.astype(np.float32) / 255.0
    labels = tensor[-1, :, :, z].T
    rgb = np.repeat(em[:, :, None], 3, axis=2)
    for label, colour in LABEL_COLOURS.items():
        where = labels == label
        rgb[where] = (1 - OVERLAY_ALPHA) * rgb[where] + OVERLAY_ALPHA * np.asarray(colour, np.float32)
    return rgb


def render_montage(tensors: Sequence[tuple[str, Path]], dpi: int = 72) -> bytes:
    """PNG bytes of one panel per `(synapse_id, tensor path)`, titled with the synapse id.

    Parameters
    ----------
    tensors : Sequence[tuple[str, Path]]
        The synapse ids and the `.npy` tensor files to show, one panel each, left to right.
    dpi : int, optional
        The resolution of the figure (default 72).

    Returns
    -------
    bytes
        The PNG image (without a Software entry in its metadata).
    """
    figure = Figure(figsize=(2.5 * max(len(tensors), 1), 2.75), dpi=dpi)
    FigureCanvasAgg(figure)
    for index, (synapse_id, path) in enumerate(tensors):
        axes = figure.add_subplot(1, max(len(tensors), 1), index + 1)
        with path.open("rb") as stream:
            tensor = np.load(stream, allow_pickle=False)
        axes.imshow(overlay_central_section(tensor), interpolation="nearest")
        axes.set_title(synapse_id, fontsize=9)
        axes.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()

