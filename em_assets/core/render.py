"""PNG pictures of volume slices for the Dagster UI: grey panels with given limits, side by side.

Every picture the assets show goes through `panels_png`: each panel is a 2-D slice drawn in grey
between its own limits, upscaled with nearest neighbour so the long side has at least
`MIN_LONG_EDGE` pixels, with its title above it. The bytes are deterministic (matplotlib Agg, no
timestamp or software tag), so equal input gives an identical file.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MIN_LONG_EDGE = 512
INLINE_MAX_BYTES = 300_000
ROBUST_PERCENTILES = (1.0, 99.0)
TITLE_PIXELS = 24
GAP_PIXELS = 8
DPI = 100


@dataclass(frozen=True)
class Panel:
    """One 2-D slice, the grey-value limits it is drawn between, and its title."""

    title: str
    image: np.ndarray
    limits: tuple[float, float]


def robust_limits(image: np.ndarray, percentiles: tuple[float, float] = ROBUST_PERCENTILES) -> tuple[float, float]:
    """The percentiles of the finite values of `image`, a fallback when no contrast limits are known yet.

    Parameters
    ----------
    image : numpy.ndarray
        Any array of numbers.
    percentiles : tuple of float
        Low and high percentile, in [0, 100].

    Returns
    -------
    tuple of float
        The two percentiles, or (0, 1) when `image` has no finite value.
    """
    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0, 1.0
    low, high = np.percentile(finite, percentiles)
    return float(low), float(high)


def upscale_nearest(image: np.ndarray, min_long_edge: int = MIN_LONG_EDGE) -> np.ndarray:
    """`image` repeated by the smallest integer factor that gives its long side `min_long_edge` pixels.

    Parameters
    ----------
    image : numpy.ndarray
        A 2-D array.
    min_long_edge : int
        The least number of pixels along the longer axis; images already this large are unchanged.

    Returns
    -------
    numpy.ndarray
        The nearest-neighbour upscaled image.

    Raises
    ------
    ValueError
        If `image` is not 2-D or is empty.
    """
    image = np.asarray(image)
    if image.ndim != 2 or not image.size:
        raise ValueError(f"a slice must be a non-empty 2-D array, got shape {image.shape}")
    factor = max(1, math.ceil(min_long_edge / max(image.shape)))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _grey(image: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    low, high = limits
    values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=low, posinf=high, neginf=low)
    span = high - low if high > low else 1.0
    return (np.clip((values - low) / span, 0.0, 1.0) * 255).round().astype(np.uint8)


def _draw(images: list[np.ndarray], titles: list[str]) -> bytes:
    width = sum(image.shape[1] for image in images) + GAP_PIXELS * (len(images) - 1)
    height = max(image.shape[0] for image in images) + TITLE_PIXELS
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    left = 0
    for image, title in zip(images, titles):
        figure.figimage(image, xo=left, yo=height - TITLE_PIXELS - image.shape[0], cmap="gray", vmin=0, vmax=255, origin="upper")
        figure.text((left + 4) / width, 1 - 4 / height, title, fontsize=9, va="top", ha="left")
        left += image.shape[1] + GAP_PIXELS
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def panels_png(panels: list[Panel], min_long_edge: int = MIN_LONG_EDGE, max_bytes: int | None = None) -> bytes:
    """A PNG of `panels` side by side, each grey between its limits, titled, upscaled to `min_long_edge`.

    Parameters
    ----------
    panels : list of Panel
        The slices, left to right.
    min_long_edge : int
        Each panel's long side has at least this many pixels (nearest-neighbour upscaling); larger
        slices keep their full resolution.
    max_bytes : int, optional
        When given, the panels are subsampled by growing integer steps until the PNG fits (for the
        inline copy in the UI); the file written to the store is drawn without it.

    Returns
    -------
    bytes
        The PNG file.

    Raises
    ------
    ValueError
        If there is no panel, or a panel's image is not a non-empty 2-D array.
    """
    if not panels:
        raise ValueError("no panel to draw")
    greys = [upscale_nearest(_grey(panel.image, panel.limits), min_long_edge) for panel in panels]
    titles = [panel.title for panel in panels]
    png = _draw(greys, titles)
    step = 1
    while max_bytes is not None and len(png) > max_bytes and max(max(g.shape) for g in greys) // step > 64:
        step += 1
        png = _draw([grey[::step, ::step] for grey in greys], titles)
    return png


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header.

    Parameters
    ----------
    png : bytes
        A PNG file's bytes.

    Returns
    -------
    tuple of int
        (width, height) in pixels.

    Raises
    ------
    ValueError
        If `png` does not start with a PNG signature and header chunk.
    """
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows `png` inline (as a data URI) in the Dagster UI."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def markdown_link(url: str, text: str) -> str:
    """A short markdown link to `url` (long URLs would overflow the UI's metadata table)."""
    return f"[{text}](<{url}>)"


def central_xy(level: Any) -> np.ndarray:
    """The central xy slice of a (z, y, x) array.

    Parameters
    ----------
    level : array-like
        A 3-D (z, y, x) array (NumPy, zarr or a lazy view).

    Returns
    -------
    numpy.ndarray
        Its plane at z = depth // 2.
    """
    return np.asarray(level[level.shape[0] // 2])


def central_slice_panels(level: Any) -> list[Panel]:
    """The central xy and xz slices of a (z, y, x) array, both between the xy slice's robust percentiles.

    Parameters
    ----------
    level : array-like
        A 3-D (z, y, x) array.

    Returns
    -------
    list of Panel
        The xy panel, then the xz panel.
    """
    xy = central_xy(level)
    limits = robust_limits(xy)
    xz = np.asarray(level[:, level.shape[1] // 2, :])
    percentiles = "-".join(f"{p:g}" for p in ROBUST_PERCENTILES)
    return [Panel(f"central xy ({percentiles} percentile)", xy, limits), Panel("central xz", xz, limits)]
