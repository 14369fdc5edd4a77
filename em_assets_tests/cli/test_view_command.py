"""`em-assets view` without a browser: listing, method choice, local sources, the home it reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from em_assets.cli import local_viewer, main
from em_assets.core import store as storage
from em_assets.core.errors import InputError
from em_assets.core.store import StoreLayout

SOURCE = "zarr://http://127.0.0.1:8765/raw_tomogram/t1/tomogram.zarr"
PUBLIC = "zarr://https://files.example.org/t1.zarr"


def write_state(layout: StoreLayout, key: str, methods: tuple[str, ...], source: str = SOURCE) -> dict:
    """A stored state with one layer per method (the first visible), as neuroglancer_state writes it."""
    layout.tomogram_zarr(key).mkdir(parents=True)
    layers = [
        {"type": "image", "name": f"{key}_{m}", "source": {"url": source}, **({} if i == 0 else {"visible": False})}
        for i, m in enumerate(methods)
    ]
    state = {"layers": layers, "selectedLayer": {"visible": True, "layer": layers[0]["name"]}}
    layout.state_file(key).parent.mkdir(parents=True)
    layout.state_file(key).write_text(json.dumps(state))
    return state


@pytest.fixture
def layout(isolated_homes: Path) -> StoreLayout:
    """The layout below this test's EM_ASSETS_HOME, with its store folder."""
    layout = StoreLayout(isolated_homes)
    layout.store.mkdir()
    return layout


def test_without_a_partition_it_lists_those_with_a_state(layout: StoreLayout, capsys) -> None:
    write_state(layout, "t1", ("gmm", "cdf"))
    write_state(layout, "t2", ("gmm", "cdf", "percentile"))
    assert main(["view"]) == 0
    out = capsys.readouterr().out
    assert str(layout.store) in out
    assert "t1  (methods: gmm, cdf)" in out and "t2  (methods: gmm, cdf, percentile)" in out


def test_unknown_partition_and_missing_method_are_clear_errors(layout: StoreLayout, capsys) -> None:
    write_state(layout, "t1", ("gmm", "cdf"))
    assert main(["view", "nope"]) == 2
    assert "nope: no Neuroglancer state" in capsys.readouterr().err
    assert main(["view", "t1", "--method", "percentile"]) == 2
    assert "t1: the stored state has no 'percentile' layer; it has: gmm, cdf" in capsys.readouterr().err


def test_a_missing_store_says_how_to_make_one(isolated_homes: Path, capsys) -> None:
    assert main(["view"]) == 2
    assert "no store here yet" in capsys.readouterr().err


def test_show_method_makes_only_that_layer_visible_and_selected(layout: StoreLayout) -> None:
    write_state(layout, "t1", ("gmm", "cdf", "percentile"))
    shown = local_viewer.show_method(local_viewer.load_state(layout, "t1"), "t1", "cdf")
    assert [layer.get("visible", True) for layer in shown["layers"]] == [False, True, False]
    assert shown["selectedLayer"]["layer"] == "t1_cdf"


def test_local_sources_follow_the_running_store_server_and_public_ones_stay(layout: StoreLayout) -> None:
    state = write_state(layout, "t1", ("gmm",))
    pointed = local_viewer.point_local_sources(state, layout.store, "http://127.0.0.1:40001")
    assert local_viewer.layer_sources(pointed) == ["zarr://http://127.0.0.1:40001/raw_tomogram/t1/tomogram.zarr"]
    public = write_state(layout, "t2", ("gmm",), source=PUBLIC)
    assert local_viewer.layer_sources(local_viewer.point_local_sources(public, layout.store, "http://x:1")) == [PUBLIC]
    assert state["layers"][0]["source"]["url"] == SOURCE


def test_a_corrupt_state_names_its_file(layout: StoreLayout) -> None:
    write_state(layout, "t1", ("gmm",))
    path = layout.state_file("t1")
    path.write_text('{"layers": [{"type": "image"}]}')
    with pytest.raises(InputError, match="state.json: not a Neuroglancer state with named layers"):
        local_viewer.load_state(layout, "t1")


def test_home_is_the_variable_else_the_checkout_data_folder_never_the_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EM_ASSETS_HOME", "~/somewhere")
    assert storage.default_home() == Path.home() / "somewhere"
    monkeypatch.delenv("EM_ASSETS_HOME")
    checkout = Path(__file__).resolve().parents[2]
    assert (checkout / "pyproject.toml").is_file()
    assert storage.default_home() == checkout / "data"
    monkeypatch.setattr(storage, "checkout_root", lambda: None)
    with pytest.raises(InputError, match="EM_ASSETS_HOME: not set"):
        storage.default_home()
