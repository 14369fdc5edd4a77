"""The fast merge writes the same CSV and Parquet bytes as the row-by-row merge, on tidy files and on
files that need a parser of their own, and finds the same missing tensors without a stat per row."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from em_assets.core.atomic import write_table
from em_assets.core.store import StoreLayout
from em_assets.core.synapses.metadata import (
    ChunkRecord,
    merge_metadata_tables,
    read_meta_csvs,
    unresolved_paths,
    write_meta_csv,
)
from em_assets.defs.synapses.merged_metadata import tensor_path
from em_assets_tests.fixtures.merge_reference import reference_merge, reference_missing

HEADER = "synapse_id,filename,pre_synaptic_volume,post_synaptic_volume,synaptic_cleft_volume,n_cutout_sections"


def _records(prefix: str, count: int, cutouts: int = 0) -> list[ChunkRecord]:
    return [ChunkRecord(f"{prefix}{i:03d}", f"{prefix}{i:03d}__2_8_8_3.npy", i, 2 * i, i % 7, cutouts) for i in range(count)]


@pytest.fixture
def meta_files(layout: StoreLayout) -> dict[str, Path]:
    """Tidy files (shared and conflicting rows included) and files only a parser of their own reads."""
    files = {}
    shared = _records("00", 3)
    for name, records in {
        "tidy-b": _records("1e", 4) + shared,
        "tidy-a": _records("07", 5) + shared,
        "conflict": [ChunkRecord("00001", "00001__2_8_8_3.npy", 9, 9, 9, 2)],
        "empty": [],
    }.items():
        files[name] = layout.meta_file(name)
        write_meta_csv(records, files[name])
    hand_written = {
        "quoted": f'{HEADER}\n5,"a,b.npy",1,2,3,0\n4,plain.npy,1.5,2,3,1\n',
        "crlf": f"{HEADER}\r\n9,x.npy,1,2,3,0\r\n",
        "unsorted": f"{HEADER}\n9,z.npy,1,2,3,0\n1,a.npy,1,2,3,0\n",
        "reordered": "filename,extra,synapse_id,n_cutout_sections,pre_synaptic_volume,post_synaptic_volume,"
        "synaptic_cleft_volume\nr.npy,x,0042,1,1,2,3\n",
        "odd-names": f"{HEADER}\n1,sub/dir.npy,1,2,3,0\n2,..,1,2,3,0\n",
        "no-newline": f"{HEADER}\n3,n.npy,1,2,3,0",
    }
    for name, text in hand_written.items():
        files[name] = layout.meta_file(name)
        files[name].parent.mkdir(parents=True, exist_ok=True)
        files[name].write_bytes(text.encode())
    return files


TIDY = ("tidy-a", "tidy-b", "conflict", "empty")


@pytest.mark.parametrize("which", ["every file", "tidy files only"])
def test_the_fast_merge_writes_the_same_bytes(
    which: str, layout: StoreLayout, meta_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def path_of(dataset: str, name: str) -> str:
        return tensor_path(layout, dataset, name)

    files = meta_files if which == "every file" else {name: meta_files[name] for name in TIDY}
    merged = merge_metadata_tables(read_meta_csvs(files), path_of)
    expected = reference_merge(files, path_of)
    conflicting, dropped = (["00001", "1", "9"], 3) if which == "every file" else (["00001"], 3)
    assert merged.conflicting_ids == conflicting and merged.dropped_duplicates == dropped
    with monkeypatch.context() as patched:
        if which == "tidy files only":  # a plain table: its CSV is written by Arrow, not by to_csv
            patched.setattr(pd.DataFrame, "to_csv", lambda *args, **kwargs: pytest.fail("to_csv called"))
        fast = write_table(merged.table, tmp_path / "fast.csv", tmp_path / "fast.parquet")
    slow = tmp_path / "slow.csv", tmp_path / "slow.parquet"
    expected.to_csv(slow[0], index=False)
    expected.to_parquet(slow[1], index=False)
    for new, old in zip(fast, slow):
        assert new.read_bytes() == old.read_bytes(), new.name
    if which == "every file":
        assert "processed_chunks/quoted/a,b.npy" in set(merged.table["path"])
        assert "processed_chunks/odd-names/sub/dir.npy" in set(merged.table["path"])


def test_one_bad_file_is_named(layout: StoreLayout, meta_files: dict[str, Path]) -> None:
    meta_files["broken"] = layout.meta_file("broken")
    meta_files["broken"].parent.mkdir(parents=True)
    meta_files["broken"].write_text("synapse_id,filename\n1,a.npy\n")
    with pytest.raises(Exception, match="broken.*missing the columns"):
        read_meta_csvs(meta_files)


def test_missing_tensors_are_found_by_listing_each_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "processed_chunks" / "ds"
    folder.mkdir(parents=True)
    (folder / "here.npy").write_bytes(b"")
    (folder / "a-folder.npy").mkdir()
    os.symlink(folder / "here.npy", folder / "link.npy")
    paths = [f"processed_chunks/ds/{name}" for name in ("here.npy", "gone.npy", "a-folder.npy", "link.npy")]
    paths += ["processed_chunks/none/x.npy", "processed_chunks/ds/..", "processed_chunks/ds/"]
    listed: list[str] = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(str(path)) or real_scandir(path))
    assert unresolved_paths(paths, tmp_path) == reference_missing(paths, tmp_path)
    assert sorted(listed) == [str(tmp_path / "processed_chunks" / "ds"), str(tmp_path / "processed_chunks" / "none")]
