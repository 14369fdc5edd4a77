"""The generic landing fingerprint: folder structure and metadata files, never every chunk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import em_assets.core.landing as landing
from em_assets.core.landing import fingerprint


def _flat_zarr(path: Path, chunks: int = 5) -> Path:
    path.mkdir()
    (path / ".zgroup").write_text('{"zarr_format": 2}')
    (path / ".zattrs").write_text("{}")
    for level in ("0", "1"):
        (path / level).mkdir()
        (path / level / ".zarray").write_text("{}")
        for index in range(chunks):
            (path / level / f"0.0.{index}").write_bytes(b"c")
    return path


def _age(*paths: Path) -> None:
    for path in paths:
        os.utime(path, ns=(0, 10**18))


def test_a_chunk_rewritten_in_place_is_not_read_but_added_renamed_or_metadata_changes_are(tmp_path: Path) -> None:
    item = _flat_zarr(tmp_path / "a.zarr")
    _age(item, item / "0", item / "1")
    first = fingerprint(item)
    (item / "0" / "0.0.1").write_bytes(b"rewritten in place")
    assert fingerprint(item).digest == first.digest
    (item / "1" / "0.0.9").write_bytes(b"c")
    added = fingerprint(item).digest
    (item / "0" / ".zarray").write_text('{"shape": [1]}')
    metadata = fingerprint(item).digest
    assert len({first.digest, added, metadata}) == 3


def test_nested_chunk_folders_count_by_their_times(tmp_path: Path) -> None:
    item = tmp_path / "n.zarr"
    (item / "0" / "0" / "0").mkdir(parents=True)
    (item / ".zattrs").write_text("{}")
    _age(item / "0" / "0" / "0")
    before = fingerprint(item).digest
    (item / "0" / "0" / "0" / "1").write_bytes(b"new chunk")
    assert fingerprint(item).digest != before


def test_folders_without_sub_folders_are_not_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    item = _flat_zarr(tmp_path / "a.zarr", chunks=50)
    listed: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path):
        listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(landing.os, "scandir", counting_scandir)
    found = fingerprint(item)
    assert listed == [str(item)]
    read = [item, item / ".zgroup", item / ".zattrs", item / "0", item / "1", item / "0" / ".zarray", item / "1" / ".zarray"]
    assert found.changed_ns == max(path.stat().st_ctime_ns for path in read)


def test_an_mrc_file_is_its_size_and_time(tmp_path: Path) -> None:
    item = tmp_path / "t.mrc"
    item.write_bytes(b"x" * 10)
    first = fingerprint(item)
    assert first.changed_ns == item.stat().st_ctime_ns
    with item.open("ab") as growing:
        growing.write(b"more")
    assert fingerprint(item).digest != first.digest
