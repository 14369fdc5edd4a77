"""The portal's published contrast limits, read from a tomogram's neuroglancerConfig."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from em_assets.core.errors import InputError
from em_assets.core.portal.neuroglancer_config import (
    limits_difference_percent,
    parse_portal_limits,
)
from em_assets_tests.fixtures.portal.portal_records import (
    fixture_tomograms,
    neuroglancer_config,
    published_limits,
)

SEED_STATE = (Path(__file__).parents[2] / "fixtures" / "seed_773_state.json").read_text()
URL = "http://127.0.0.1:1/10004/Position_513.zarr"


def test_fixture_config_gives_the_published_2d_and_3d_limits() -> None:
    tomogram = fixture_tomograms()[0]
    limits = parse_portal_limits(neuroglancer_config(tomogram, URL), "t", URL)
    assert limits == pytest.approx(published_limits(tomogram))


def test_seed_state_with_contrast_3d_controls() -> None:
    # The seed's state (fixtures/seed_773_state.json): layer 773_gmm comes first, its `contrast` and
    # `contrast_3D` ranges are both [-21046.951172091438, 22181.530212800113].
    limits = parse_portal_limits(SEED_STATE, "773")
    assert limits == {"2d": (-21046.951172091438, 22181.530212800113), "3d": (-21046.951172091438, 22181.530212800113)}


def test_the_image_layer_reading_the_tomogram_is_preferred_and_reversed_ranges_are_sorted() -> None:
    state = {
        "layers": [
            {"type": "segmentation", "source": "precomputed://x"},
            {"type": "image", "source": {"url": "zarr://http://other/a.zarr"}, "shaderControls": {"contrast": {"range": [0, 1]}}},
            {"type": "image", "source": f"zarr://{URL}/", "shaderControls": {"contrast": {"range": [5.0, -5.0]}}},
        ]
    }
    assert parse_portal_limits(json.dumps(state), "t", URL) == {"2d": (-5.0, 5.0)}
    assert parse_portal_limits(json.dumps(state), "t") == {"2d": (0.0, 1.0)}


@pytest.mark.parametrize("config", ["", None])
def test_no_config_means_no_limits(config) -> None:
    assert parse_portal_limits(config, "t") == {}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("{not json", "is not JSON"),
        (json.dumps({"layers": [{"type": "annotation"}]}), "holds no image layer"),
        (json.dumps({"layers": [{"type": "image", "shaderControls": {"contrast": {"range": [1, 2, 3]}}}]}), "not two numbers"),
        (json.dumps({"layers": [{"type": "image", "shaderControls": {"contrast3D": {"range": [1, "x"]}}}]}), "not two numbers"),
    ],
)
def test_malformed_config_is_a_clear_error(config: str, message: str) -> None:
    with pytest.raises(InputError, match=f"portal tomogram 9: its neuroglancerConfig .*{message}|portal tomogram 9: .*{message}"):
        parse_portal_limits(config, "portal tomogram 9")


def test_difference_in_percent_of_the_robust_range() -> None:
    # low limits 1 apart, high limits 3 apart, robust range 20 wide: 3 / 20 = 15%.
    assert limits_difference_percent((0.0, 10.0), (1.0, 7.0), (-5.0, 15.0)) == pytest.approx(15.0)
    assert limits_difference_percent((0.0, 1.0), (0.0, 1.0), (2.0, 2.0)) == float("inf")
