"""The EM landing scan: dataset folders become partition keys; others are refused with a reason."""

from __future__ import annotations

import os
from pathlib import Path

from em_assets.core.synapses.landing import scan_em_landing


def _dataset(root: Path, name: str, *folders: str) -> Path:
    (root / name).mkdir(parents=True)
    for folder in folders:
        (root / name / folder).mkdir(parents=True)
    return root / name


def test_datasets_with_em_and_mask_become_entries(tmp_path: Path) -> None:
    tmp_path = tmp_path / "landing"
    _dataset(tmp_path, "b-2", "em", "mask")
    _dataset(tmp_path, "a.1", "em", "mask")
    _dataset(tmp_path, ".hidden", "em", "mask")
    (tmp_path / "stray.npy").write_bytes(b"")
    scan = scan_em_landing(tmp_path)
    assert list(scan.entries) == ["a.1", "b-2"]
    assert scan.refused == {}


def test_bad_names_and_incomplete_folders_are_refused(tmp_path: Path) -> None:
    tmp_path = tmp_path / "landing"
    _dataset(tmp_path, "with space", "em", "mask")
    _dataset(tmp_path, "no-mask", "em")
    _dataset(tmp_path, "empty")
    scan = scan_em_landing(tmp_path)
    assert scan.entries == {}
    assert scan.refused == {
        str(tmp_path / "empty"): "no em/ or mask/ sub-folder",
        str(tmp_path / "no-mask"): "no mask/ sub-folder",
        str(tmp_path / "with space"): "'with space' is not a valid partition key: allowed names match [A-Za-z0-9][A-Za-z0-9._-]{0,127}",
    }


def test_the_fingerprint_follows_the_folders_not_every_file(tmp_path: Path) -> None:
    folder = _dataset(tmp_path, "ds", "em", "mask")
    (folder / "em" / "1.npy").write_bytes(b"abc")
    os.utime(folder / "em", ns=(0, 10**18))
    first = scan_em_landing(tmp_path).entries["ds"].fingerprint
    assert scan_em_landing(tmp_path).entries["ds"].fingerprint == first
    os.utime(folder / "em" / "1.npy", ns=(0, 2 * 10**18))
    assert scan_em_landing(tmp_path).entries["ds"].fingerprint == first
    (folder / "mask" / "1_mask.npy").write_bytes(b"")
    added = scan_em_landing(tmp_path).entries["ds"].fingerprint
    (folder / "mask" / "1_mask.npy").rename(folder / "mask" / "2_mask.npy")
    renamed = scan_em_landing(tmp_path).entries["ds"].fingerprint
    os.utime(folder / "mask", ns=(0, 10**18))
    assert len({first, added, renamed}) == 3


def test_a_missing_landing_folder_is_empty(tmp_path: Path) -> None:
    scan = scan_em_landing(tmp_path / "absent")
    assert scan.entries == {} and scan.refused == {}
