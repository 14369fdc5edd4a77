"""Atomic publication: a file, folder, `.npy` array or table appears at its path only complete.

A folder is staged in a hidden sibling ``.<name>.<random>.tmp``, fsynced (file data, then the
directory entries), and exchanged with the published folder in one step (``renameat2`` with
``RENAME_EXCHANGE`` where the filesystem offers it). Without exchange the old folder is renamed to a
``.<name>.<random>.old`` sibling first; a run killed between the two renames leaves that sibling,
and the next publication of the same path restores it before doing anything else. Every staging
folder is held under an ``flock`` by its process for as long as it lives, so the sweep at the start
of a publication removes only what a dead (or finished) process left behind.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

TMP_SUFFIX = ".tmp"
OLD_SUFFIX = ".old"
RENAME_EXCHANGE = 2
AT_FDCWD = -100
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP}
_OWN_STAGING: set[Path] = set()
_OWN_STAGING_GUARD = threading.Lock()


def fsync_path(path: Path) -> None:
    """Flush a file's data, or a folder's entries, to disk.

    Parameters
    ----------
    path : Path
        An existing file or folder.

    Raises
    ------
    OSError
        If it cannot be opened or flushed.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file below `root`, then every folder bottom-up, so a rename publishes durable data.

    Parameters
    ----------
    root : Path
        The folder about to be published.

    Raises
    ------
    OSError
        If a file or folder cannot be flushed.
    """
    for folder, _, files in os.walk(root, topdown=False):
        for name in files:
            fsync_path(Path(folder) / name)
        fsync_path(Path(folder))


def _libc_renameat2():
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _libc_renameat2()


def exchange_paths(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step; False when the platform or filesystem cannot.

    Parameters
    ----------
    a, b : Path
        Two existing entries on the same filesystem.

    Returns
    -------
    bool
        True if they were exchanged, False if rename-exchange is unavailable (nothing changed).

    Raises
    ------
    OSError
        If the exchange is supported but failed.
    """
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@contextmanager
def flocked(path: Path, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive flock on `path`; the kernel releases it when the holder exits, even killed.

    Parameters
    ----------
    path : Path
        An existing file or folder.
    blocking : bool, optional
        Wait for the lock (default); if False, do not wait.

    Yields
    ------
    bool
        True while the lock is held; False if `blocking` is False and another holder has it.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@contextmanager
def _parent_lock(target: Path) -> Iterator[None]:
    """Serialise staging creation, sweeps and swaps of the entries of `target.parent`."""
    with _OWN_STAGING_GUARD:
        own = target.parent in _OWN_STAGING
    if own:
        yield
        return
    with flocked(target.parent):
        yield


def _is_leftover(entry: Path, target: Path) -> bool:
    name = entry.name
    return name.startswith(f".{target.name}.") and (name.endswith(OLD_SUFFIX) or TMP_SUFFIX in name[len(target.name) + 2 :])


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep_leftovers(target: Path) -> list[Path]:
    """Remove the staging and `.old` siblings of `target` that no live process holds.

    A `.old` sibling is restored to `target` if `target` is missing (a run was killed between the
    two renames of the fallback publication).

    Parameters
    ----------
    target : Path
        A published path; only its own hidden siblings are looked at.

    Returns
    -------
    list of Path
        The siblings removed or restored.
    """
    if not target.parent.is_dir():
        return []
    swept = []
    with _parent_lock(target):
        for entry in sorted(target.parent.iterdir()):
            if not _is_leftover(entry, target):
                continue
            try:
                with flocked(entry, blocking=False) as free:
                    if not free:
                        continue
                    if entry.name.endswith(OLD_SUFFIX) and not os.path.lexists(target):
                        os.rename(entry, target)
                    else:
                        _remove(entry)
            except FileNotFoundError:
                continue
            swept.append(entry)
    return swept


def _swap_in(staged: Path, target: Path) -> Path | None:
    """Put `staged` at `target` in one step; return where the previous `target` went (to delete)."""
    if not os.path.lexists(target):
        os.rename(staged, target)
        return None
    if exchange_paths(staged, target):
        return staged
    old = Path(tempfile.mktemp(prefix=f".{target.name}.", suffix=OLD_SUFFIX, dir=target.parent))
    os.rename(target, old)
    os.rename(staged, target)
    return old


class StagedDirectory:
    """A locked staging folder beside `target`; `publish()` swaps it in, otherwise it is discarded."""

    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(target)
        with _parent_lock(target):
            self.path = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent))
            self._fd = os.open(self.path, os.O_RDONLY)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        with _OWN_STAGING_GUARD:
            _OWN_STAGING.add(self.path)
        self.published = False

    def publish(self) -> Path:
        """Flush the staged folder and swap it in for `target` in one step; return `target`."""
        fsync_tree(self.path)
        with _parent_lock(self.target):
            previous = _swap_in(self.path, self.target)
            fsync_path(self.target.parent)
        self.published = True
        if previous is not None:
            _remove(previous)
        return self.target

    def close(self) -> None:
        """Release the lock and remove what is left of the staging folder."""
        with _OWN_STAGING_GUARD:
            _OWN_STAGING.discard(self.path)
        if not self.published:
            _remove(self.path)
        os.close(self._fd)


def staged_directory(target: Path) -> closing[StagedDirectory]:
    """A `StagedDirectory` for `target` as a context manager; nothing is published without `publish()`.

    Parameters
    ----------
    target : Path
        Where the folder is published; a previous folder there stays until `publish()` replaces it.

    Returns
    -------
    contextlib.closing of StagedDirectory
        Fill its `path`, then call `publish()` (or not, to keep the previous folder); leaving the
        block discards what was not published.
    """
    return closing(StagedDirectory(target))


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; swap it in for `target` only if the block succeeds.

    Parameters
    ----------
    target : Path
        Where the folder is published; a previous folder there is replaced in one step.

    Yields
    ------
    Path
        A temporary folder in the same parent to fill.
    """
    with staged_directory(target) as staged:
        yield staged.path
        staged.publish()


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; flush it and rename it onto `target` if the block succeeds.

    Parameters
    ----------
    target : Path
        Where the file is published.

    Yields
    ------
    Path
        A temporary file in the same folder to write to (for an object-store `target`, a local
        temporary file that is uploaded in one PUT, which the store makes visible whole or not at all).
    """
    if not isinstance(target, Path):
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder) / target.name
            yield tmp
            target.write_bytes(tmp.read_bytes())
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f"{TMP_SUFFIX}{target.suffix}", dir=target.parent)
    tmp = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, target)
        fsync_path(target.parent)
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)


def write_text_atomic(target: Path, text: str) -> Path:
    """Write `text` to `target` atomically and return `target`.

    Parameters
    ----------
    target : Path
        The file to write, local (its folder is created if missing) or in an object store.
    text : str
        The text.

    Returns
    -------
    Path
        `target`.
    """
    with atomic_file(target) as tmp:
        tmp.write_text(text)
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically and return `target`.

    Parameters
    ----------
    target : Path
        As for `write_text_atomic`.
    data : bytes
        The bytes; returns `target`.
    """
    with atomic_file(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_npy_atomic(target: Path, array: np.ndarray) -> Path:
    """Write `array` to `target` as `.npy` (never pickled) atomically and return `target`.

    Parameters
    ----------
    target : Path
        The file to write, local (its folder is created if missing) or in an object store.
    array : numpy.ndarray
        The array; object arrays are refused by NumPy (ValueError), since pickling is off.

    Returns
    -------
    Path
        `target`.
    """
    with atomic_file(target) as tmp, open(tmp, "wb") as stream:
        np.save(stream, array, allow_pickle=False)
    return target


def write_table_files(table: pd.DataFrame, csv_path: Path, parquet_path: Path) -> None:
    """Write `table` (without its index) as CSV and Parquet, plainly (into a staging folder).

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    csv_path, parquet_path : Path
        The two files to write, local or in an object store (each written in one piece).
    """
    from em_assets.core.table_csv import csv_bytes  # pandas and pyarrow only where tables are written

    csv_path.write_bytes(csv_bytes(table))
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    parquet_path.write_bytes(parquet.getvalue())


def write_table(table: pd.DataFrame, csv_path: Path, parquet_path: Path) -> tuple[Path, Path]:
    """Write `table` as CSV and as Parquet, each atomically, and return both paths.

    Parameters
    ----------
    table : pandas.DataFrame
        The table; its index is not written.
    csv_path, parquet_path : Path
        Where the two files are published.

    Returns
    -------
    tuple of Path
        ``(csv_path, parquet_path)``.
    """
    with atomic_file(csv_path) as csv_tmp, atomic_file(parquet_path) as parquet_tmp:
        write_table_files(table, csv_tmp, parquet_tmp)
    return csv_path, parquet_path
