"""Hostile partition keys, dataset names and synapse ids are refused before any path is built."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from em_assets.core.errors import InputError
from em_assets.core.store import (
    PARTITION_KEY_RULE,
    StoreLayout,
    is_valid_partition_key,
    validate_partition_key,
)
from em_assets.core.synapses.landing import scan_em_landing
from em_assets.core.synapses.pairing import EM_FILE_NAME, MASK_FILE_NAME
from em_assets.core.tomograms.catalog import build_tomogram_catalog
from em_assets.core.tomograms.landing import find_landing_tomogram

HOSTILE = [
    "",
    ".",
    "..",
    "...",
    "a..b",
    "../etc",
    "a/b",
    "/",
    "/etc/passwd",
    "a\\b",
    "abc\n",
    "\nabc",
    "a\x00b",
    "a\tb",
    "a\x1b[31mb",
    "a\x7f",
    "a" * 129,
    "x" * 200,
    "café",
    "ＡＢＣ",
    "a b",
    "-a",
    "_a",
    ".hidden",
    "a:b",
    "a*",
]
VALID = ["a", "7", "007", "TS_001.rec-2", "a" * 128, "v1.2", "Z-9_x"]
LAYOUT_PATHS = [
    "raw_tomogram_dir",
    "tomogram_zarr",
    "sampled_voxels_dir",
    "contrast_limits_dir",
    "limits_file",
    "neuroglancer_state_dir",
    "state_file",
    "url_file",
    "pairing_file",
    "processed_chunks_dir",
    "manifest_file",
    "montage_file",
    "meta_file",
    "em_dataset_landing",
]


@pytest.mark.parametrize("key", HOSTILE, ids=ascii)
def test_hostile_keys_are_refused(key: str) -> None:
    assert not is_valid_partition_key(key)
    with pytest.raises(InputError, match="not a valid partition key") as caught:
        validate_partition_key(key)
    assert caught.value.subject == ascii(key), "the subject is escaped: no raw control characters in logs"
    assert not re.search(r"[\x00-\x1f\x7f]", str(caught.value))


@pytest.mark.parametrize("key", VALID)
def test_valid_keys_pass_unchanged(key: str) -> None:
    assert is_valid_partition_key(key) and validate_partition_key(key) == key


@pytest.mark.parametrize("method", LAYOUT_PATHS)
def test_every_store_path_validates_its_key_first(tmp_path: Path, method: str) -> None:
    layout = StoreLayout(tmp_path)
    for key in ("..", "abc\n", "/etc", "a\x00"):
        with pytest.raises(InputError, match="not a valid partition key"):
            getattr(layout, method)(key)
    assert getattr(layout, method)("ok-1").is_relative_to(tmp_path)


def test_non_strings_are_not_keys() -> None:
    for key in (None, 7, b"abc", ["a"]):
        assert not is_valid_partition_key(key)


@pytest.mark.parametrize("key", ["..", "../landing", "abc\n"], ids=ascii)
def test_a_tomogram_key_is_validated_before_the_landing_folder_is_read(tmp_path: Path, key: str) -> None:
    with pytest.raises(InputError, match="not a valid partition key"):
        find_landing_tomogram(tmp_path / "does-not-matter", key)


@pytest.mark.parametrize("name", ["a b", "café", "a...b", "a..b", "x" * 200, "abc\n", "a\tb"], ids=ascii)
def test_hostile_dataset_folders_are_refused_by_the_scan(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "em-landing" / name
    (folder / "em").mkdir(parents=True)
    (folder / "mask").mkdir()
    scan = scan_em_landing(folder.parent)
    assert scan.entries == {}
    assert scan.refused == {str(folder): f"{ascii(name)} is not a valid partition key: {PARTITION_KEY_RULE}"}


@pytest.mark.parametrize("synapse_id", ["7", "007", "a-1", "Z" * 128])
def test_synapse_ids_from_file_names_are_keys(synapse_id: str) -> None:
    match = EM_FILE_NAME.match(f"{synapse_id}.npy")
    assert match and match["synapse_id"] == synapse_id and is_valid_partition_key(synapse_id)
    assert MASK_FILE_NAME.match(f"{synapse_id}_mask.npy")["synapse_id"] == synapse_id


@pytest.mark.parametrize(
    "name", ["7.npy\n", "7\n.npy", "..npy", "a b.npy", "ｑ.npy", "7/8.npy", "_7.npy", "Z" * 129 + ".npy", "7.npy\x00"],
    ids=ascii,
)
def test_hostile_chunk_file_names_give_no_synapse_id(name: str) -> None:
    assert EM_FILE_NAME.match(name) is None


PACKAGE = Path(__file__).resolve().parents[2] / "em_assets"


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_pickles_unsafe_yaml_or_shell_strings(module: Path) -> None:
    """Every call in the package: no allow_pickle=True, no yaml.load, no shell=True, no os.system."""
    for call in _calls(ast.parse(module.read_text())):
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        allow = keywords.get("allow_pickle")
        assert allow is None or (isinstance(allow, ast.Constant) and allow.value is False), module
        shell = keywords.get("shell")
        assert shell is None or (isinstance(shell, ast.Constant) and shell.value is False), module
        assert _name(call) not in {"system", "popen", "unsafe_load", "full_load", "eval", "exec"}, module
        if _name(call) == "load" and isinstance(call.func, ast.Attribute):
            assert getattr(call.func.value, "id", "") not in {"yaml", "pickle", "marshal"}, module



def test_the_tomogram_catalogue_marks_hostile_keys_and_keeps_the_others(tmp_path: Path) -> None:
    table = build_tomogram_catalog(StoreLayout(tmp_path), ["good-1", "..", "abc\n"])
    assert list(table["key"]) == [ascii(".."), ascii("abc\n"), "good-1"]
    assert list(table["status"]) == ["invalid key", "invalid key", "not ingested"]
