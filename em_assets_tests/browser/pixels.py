"""Read a Neuroglancer slice panel screenshot: where the volume is drawn and what is inside it."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

BORDER_PX = 3


def rgb(png: bytes) -> np.ndarray:
    """The screenshot as an (height, width, 3) uint8 array."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def outlined_region(image: np.ndarray) -> np.ndarray | None:
    """The pixels inside Neuroglancer's yellow volume outline (border trimmed), or None if none is drawn."""
    red, green, blue = (image[..., i].astype(int) for i in range(3))
    yellow = (red > 200) & (green > 200) & (blue < 80)
    rows, cols = np.nonzero(yellow)
    if rows.size == 0:
        return None
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    inner = image[top + BORDER_PX : bottom - BORDER_PX, left + BORDER_PX : right - BORDER_PX]
    return inner if inner.size else None


def grey_levels(region: np.ndarray) -> np.ndarray:
    """The luminance of each pixel in `region`."""
    return region.astype(float) @ np.array([0.299, 0.587, 0.114])
