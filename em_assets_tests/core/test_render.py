"""`core.render`: grey panels between given limits, upscaled to 512 px, deterministic PNG bytes."""

import io

import matplotlib.image
import numpy as np
import pytest

from em_assets.core.render import (
    GAP_PIXELS,
    MIN_LONG_EDGE,
    TITLE_PIXELS,
    Panel,
    markdown_link,
    panels_png,
    png_size,
    robust_limits,
    upscale_nearest,
)


def _pixels(png: bytes) -> np.ndarray:
    return matplotlib.image.imread(io.BytesIO(png))[..., 0]


def test_small_slices_are_upscaled_by_nearest_neighbour_side_by_side() -> None:
    ramp = np.arange(40 * 100, dtype=np.float32).reshape(40, 100)  # long side 100: factor ceil(512/100) = 6
    png = panels_png([Panel("a", ramp, (0.0, 99.0)), Panel("b", ramp, (0.0, 1.0))])
    assert png_size(png) == (2 * 600 + GAP_PIXELS, 240 + TITLE_PIXELS)
    pixels = _pixels(png)
    first = pixels[TITLE_PIXELS:, :600]
    assert first[0, 0] == 0.0 and first[-1, -1] == 1.0  # the limits map to black and white (row 0 spans them)
    assert np.all(first[:6, :6] == first[0, 0]) and first[0, 6] > first[0, 5]  # 6 x 6 blocks per voxel
    second = pixels[TITLE_PIXELS:, 600 + GAP_PIXELS:]
    assert second[0, 0] == 0.0 and np.all(second[:, 6:] == 1.0)  # everything above 1 is clipped white


def test_bytes_are_deterministic_and_inline_copies_fit_their_budget() -> None:
    noise = np.random.default_rng(0).normal(size=(600, 600))  # full resolution: not upscaled
    panels = [Panel(name, noise, (-2.0, 2.0)) for name in ("gmm", "cdf", "percentile")]
    full = panels_png(panels)
    assert full == panels_png(panels)
    assert png_size(full)[0] == 3 * 600 + 2 * GAP_PIXELS and len(full) > 300_000
    inline = panels_png(panels, max_bytes=300_000)
    assert len(inline) <= 300_000 and png_size(inline)[0] < png_size(full)[0]


def test_robust_limits_ignore_nonfinite_values_and_bad_slices_are_refused() -> None:
    image = np.array([[np.nan, 0.0, 1.0], [np.inf, 2.0, 3.0]])
    assert robust_limits(image, (0, 100)) == (0.0, 3.0)
    assert robust_limits(np.full((2, 2), np.nan)) == (0.0, 1.0)
    assert upscale_nearest(np.ones((MIN_LONG_EDGE, 3))).shape == (MIN_LONG_EDGE, 3)
    with pytest.raises(ValueError, match="2-D"):
        panels_png([Panel("volume", np.zeros((2, 2, 2)), (0.0, 1.0))])
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a")


def test_markdown_link_keeps_the_url_out_of_the_text() -> None:
    assert markdown_link("https://x/#!{}", "open") == "[open](<https://x/#!{}>)"
