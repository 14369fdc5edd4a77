"""Small PNG previews of volumes for the Dagster UI."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def slice_png(image: np.ndarray, max_edge: int = 256) -> bytes:
    """A grey PNG of a 2-D slice, contrast stretched between its 1st and 99th percentiles.

    Parameters
    ----------
    image : numpy.ndarray
        The 2-D slice; NaN is drawn as the low limit.
    max_edge : int
        The longest edge in pixels; larger slices are strided down to it.

    Returns
    -------
    bytes
        The PNG image.
    """
    image = np.asarray(image, dtype=np.float64)
    step = max(1, int(np.ceil(max(image.shape) / max_edge)))
    image = image[::step, ::step]
    finite = image[np.isfinite(image)]
    low, high = (np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0))
    buffer = io.BytesIO()
    plt.imsave(buffer, np.nan_to_num(image, nan=low), cmap="gray", vmin=low, vmax=high if high > low else low + 1, format="png")
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows `png` inline (as a data URI) in the Dagster UI.

    Parameters
    ----------
    png : bytes
        The PNG image.
    alt : str
        The alternative text.

    Returns
    -------
    str
        A Markdown image with a base64 data URI.
    """
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
