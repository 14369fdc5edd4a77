"""Atomic publication: staged folders swap in whole, failures keep the previous output, leftovers are swept."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from em_assets.core import atomic
from em_assets.core.atomic import (
    atomic_directory,
    exchange_paths,
    staged_directory,
    sweep_leftovers,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder of its own (the test's tmp_path also holds the isolated homes)."""
    path = tmp_path / "publications"
    path.mkdir()
    return path


def _publish(target: Path, text: str) -> None:
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text(text)
        (tmp / "b.txt").write_text(text)


def test_a_republished_folder_replaces_the_old_one_whole_and_leaves_nothing_beside_it(folder: Path) -> None:
    target = folder / "out"
    _publish(target, "old")
    _publish(target, "new")
    assert sorted(path.name for path in folder.iterdir()) == ["out"]
    assert {path.name: path.read_text() for path in target.iterdir()} == {"a.txt": "new", "b.txt": "new"}


def test_an_error_while_staging_keeps_the_previous_folder(folder: Path) -> None:
    target = folder / "out"
    _publish(target, "old")
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("half")
        raise RuntimeError("failed half way")
    assert (target / "a.txt").read_text() == "old" and (target / "b.txt").read_text() == "old"
    assert sorted(path.name for path in folder.iterdir()) == ["out"]


def test_a_staged_folder_not_published_is_discarded(folder: Path) -> None:
    target = folder / "out"
    _publish(target, "old")
    with staged_directory(target) as staged:
        (staged.path / "a.txt").write_text("rejected")
    assert (target / "a.txt").read_text() == "old"
    assert sorted(path.name for path in folder.iterdir()) == ["out"]


def test_exchange_swaps_two_folders(folder: Path) -> None:
    (folder / "x").mkdir()
    (folder / "y").mkdir()
    (folder / "x" / "from_x").touch()
    assert exchange_paths(folder / "x", folder / "y"), "ext4 and tmpfs offer RENAME_EXCHANGE"
    assert [path.name for path in (folder / "y").iterdir()] == ["from_x"]
    assert list((folder / "x").iterdir()) == []


def test_without_exchange_a_run_killed_between_the_renames_is_undone_by_the_next_sweep(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "out"
    _publish(target, "old")
    monkeypatch.setattr(atomic, "exchange_paths", lambda a, b: False)
    real_rename = os.rename

    def die_after_first(source, destination):
        real_rename(source, destination)
        if str(destination).endswith(atomic.OLD_SUFFIX):
            raise SystemExit("killed between the two renames")

    monkeypatch.setattr(atomic.os, "rename", die_after_first)
    with pytest.raises(SystemExit):
        _publish(target, "new")
    monkeypatch.setattr(atomic.os, "rename", real_rename)
    assert not target.exists()
    assert [path.suffix for path in sweep_leftovers(target)] == [atomic.OLD_SUFFIX]
    assert (target / "a.txt").read_text() == "old"
    _publish(target, "new")
    assert (target / "a.txt").read_text() == "new"
    assert sorted(path.name for path in folder.iterdir()) == ["out"]


def test_the_sweep_removes_dead_staging_but_not_a_live_one(folder: Path) -> None:
    target = folder / "out"
    dead = folder / ".out.abc123.tmp"
    dead.mkdir()
    (dead / "chunk").write_text("left by a killed run")
    stray_file = folder / ".out.def456.tmp.json"
    stray_file.write_text("{")
    other = folder / ".other.abc.tmp"
    other.mkdir()
    with staged_directory(target) as live:
        assert not dead.exists() and not stray_file.exists(), "swept when the staging started"
        assert sweep_leftovers(target) == [], "the live staging folder is locked, so kept"
        assert live.path.is_dir()
    assert other.is_dir(), "another target's staging is not this sweep's business"


def _publish_many(target: Path, label: str, times: int) -> None:
    for index in range(times):
        with atomic_directory(target) as tmp:
            for name in ("a", "b", "c"):
                (tmp / name).write_text(f"{label} {index}")


def _read_snapshot(target: Path) -> set[str]:
    """Read the three files through one handle on the folder, as a reader wanting one version must."""
    fd = os.open(target, os.O_RDONLY)
    try:
        texts = set()
        for name in ("a", "b", "c"):
            with os.fdopen(os.open(name, os.O_RDONLY, dir_fd=fd)) as stream:
                texts.add(stream.read())
        return texts
    except FileNotFoundError:
        return set()  # the version was replaced and deleted while read: gone, never mixed
    finally:
        os.close(fd)


def test_two_processes_publishing_the_same_folder_leave_it_whole(folder: Path) -> None:
    target = folder / "out"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_publish_many, args=(target, label, 40)) for label in ("left", "right")]
    for writer in writers:
        writer.start()
    while any(writer.is_alive() for writer in writers):
        if target.exists():
            texts = _read_snapshot(target)
            assert len(texts) <= 1, f"a reader saw a torn folder: {texts}"
    assert [writer.exitcode for writer in writers] == [0, 0]
    assert {(target / name).read_text() for name in ("a", "b", "c")} in ({"left 39"}, {"right 39"})
    assert sorted(path.name for path in folder.iterdir()) == ["out"]
