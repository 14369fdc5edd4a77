"""The Neuroglancer state matches the seed's 773 example for the same limits."""

import json
import urllib.parse
from pathlib import Path

import pytest

from em_assets.core.tomograms.neuroglancer import (
    VOLUME_RENDERING_SHADER,
    combine_json_layers,
    contrast_window,
    generate_image_layer,
    state_url,
)

SEED_STATE = json.loads((Path(__file__).parents[2] / "fixtures" / "seed_773_state.json").read_text())
SEED_SOURCE = (
    "https://files.cryoetdataportal.cziscience.com/10004/Position_513/Tomograms/"
    "VoxelSpacing7.560/CanonicalTomogram/Position_513.zarr"
)
SEED_SCALE = (756e-10, 756e-10, 756e-10)
SEED_SIZE = {"z": 112, "y": 256, "x": 256}


def _seed_limits(method: str) -> list[float]:
    layer = next(layer for layer in SEED_STATE["layers"] if layer["name"] == f"773_{method}")
    return layer["shaderControls"]["contrast"]["range"]


def _seed_like_state() -> dict:
    layers = []
    for method in ("gmm", "cdf"):
        layer = generate_image_layer(
            source=SEED_SOURCE,
            scale=SEED_SCALE,
            size=SEED_SIZE,
            name=f"773_{method}",
            twodee_contrast_limits=_seed_limits(method),
            threedee_contrast_limits=_seed_limits(method),
            is_visible=method == "gmm",
        )
        layer["_projectionScale"] = 2000
        layers.append(layer)
    return combine_json_layers(layers, SEED_SCALE)


def test_state_equals_the_seed_state() -> None:
    assert _seed_like_state() == SEED_STATE


def test_windows_and_shader_are_identical_to_the_seed() -> None:
    for ours, seed in zip(_seed_like_state()["layers"], SEED_STATE["layers"]):
        assert ours["shader"] == seed["shader"] == VOLUME_RENDERING_SHADER
        for control in ("contrast", "contrast_3D"):
            assert ours["shaderControls"][control]["window"] == seed["shaderControls"][control]["window"]


def test_window_widening() -> None:
    assert contrast_window((10.0, 20.0), 0.2) == pytest.approx([8.0, 22.0])
    assert contrast_window((10.0, 20.0), 2.0) == pytest.approx([-10.0, 40.0])


def test_anisotropic_scale_maps_axes_by_name() -> None:
    layer = generate_image_layer("http://x/t.zarr", (4e-8, 2e-9, 1e-9), {"z": 10, "y": 20, "x": 30}, "t", (0, 1), (0, 1))
    state = combine_json_layers([layer], (4e-8, 2e-9, 1e-9))
    assert state["dimensions"] == {"x": [1e-9, "m"], "y": [2e-9, "m"], "z": [4e-8, "m"]}
    assert state["position"] == [15, 10, 5]
    assert layer["source"]["url"] == "zarr://http://x/t.zarr"


def test_url_round_trips_the_state() -> None:
    url = state_url(SEED_STATE, prefix="https://viewer.example/")
    assert url.startswith("https://viewer.example/#!")
    decoded = json.loads(urllib.parse.unquote(url.split("#!", 1)[1]))
    assert decoded["layers"][0]["name"] == "773_gmm"
    assert decoded["layers"][1]["shaderControls"]["contrast_3D"]["window"] == SEED_STATE["layers"][1]["shaderControls"]["contrast_3D"]["window"]
