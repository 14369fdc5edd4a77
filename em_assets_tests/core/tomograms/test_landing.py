"""Scanning the tomogram landing folder: keys, refusals, fingerprints."""

import os
from pathlib import Path

import pytest

from em_assets.core.errors import InputError
from em_assets.core.tomograms.landing import (
    find_landing_tomogram,
    scan_tomogram_landing,
)


def _touch(path: Path, directory: bool = False) -> None:
    if directory:
        path.mkdir(parents=True)
        (path / ".zattrs").write_text("{}")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)


def test_keys_from_zarr_and_mrc_names(tmp_path: Path) -> None:
    _touch(tmp_path / "a.zarr", directory=True)
    _touch(tmp_path / "b.ome.zarr", directory=True)
    _touch(tmp_path / "c.mrc")
    _touch(tmp_path / "readme.txt")
    _touch(tmp_path / ".hidden.mrc")
    scan = scan_tomogram_landing(tmp_path)
    assert sorted(scan.entries) == ["a", "b", "c"]
    assert find_landing_tomogram(tmp_path, "b") == tmp_path / "b.ome.zarr"


def test_invalid_and_clashing_names_are_refused_with_a_reason(tmp_path: Path) -> None:
    _touch(tmp_path / "bad name.mrc")
    _touch(tmp_path / "twin.mrc")
    _touch(tmp_path / "twin.zarr", directory=True)
    scan = scan_tomogram_landing(tmp_path)
    assert list(scan.entries) == ["twin"]
    reasons = " ".join(scan.refused.values())
    assert "not a valid partition key" in reasons and "already taken" in reasons


def test_fingerprint_changes_when_a_file_changes(tmp_path: Path) -> None:
    _touch(tmp_path / "a.zarr", directory=True)
    before = scan_tomogram_landing(tmp_path).entries["a"].fingerprint
    chunk = tmp_path / "a.zarr" / ".zattrs"
    os.utime(chunk, ns=(chunk.stat().st_atime_ns, chunk.stat().st_mtime_ns + 10**9))
    assert scan_tomogram_landing(tmp_path).entries["a"].fingerprint != before


def test_missing_key_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.zarr"):
        find_landing_tomogram(tmp_path, "nope")
