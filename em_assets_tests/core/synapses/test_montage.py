"""The montage PNG: one panel per chunk, labels tinted over the EM."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image
import numpy as np

from em_assets.core.synapses.montage import (
    LABEL_COLOURS,
    overlay_central_section,
    render_montage,
)


def test_overlay_tints_labels_and_leaves_background_grey() -> None:
    tensor = np.zeros((2, 4, 3, 5), dtype=np.uint8)
    tensor[0] = 200
    tensor[1, 1, 2, 2] = 2
    rgb = overlay_central_section(tensor)
    assert rgb.shape == (3, 4, 3)
    np.testing.assert_allclose(rgb[0, 0], [200 / 255] * 3)
    expected = 0.65 * 200 / 255 + 0.35 * np.asarray(LABEL_COLOURS[2])
    np.testing.assert_allclose(rgb[2, 1], expected, rtol=1e-6)


def test_montage_is_a_png_with_one_panel_per_chunk(tmp_path: Path) -> None:
    paths = []
    for index in range(3):
        tensor = np.zeros((2, 16, 16, 4), dtype=np.uint8)
        tensor[0] = 60 * (index + 1)
        np.save(tmp_path / f"{index}.npy", tensor)
        paths.append((str(index), tmp_path / f"{index}.npy"))
    one = matplotlib.image.imread(io.BytesIO(render_montage(paths[:1])))
    three = matplotlib.image.imread(io.BytesIO(render_montage(paths)))
    assert three.shape[0] == one.shape[0]
    assert three.shape[1] == 3 * one.shape[1]
    assert render_montage(paths) == render_montage(paths)
