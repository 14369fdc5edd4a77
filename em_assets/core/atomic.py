"""Atomic publication: a file, folder, `.npy` array or table appears at its path only complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def _temporary_sibling(target: Path, suffix: str = "") -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    return Path(name)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds.

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
    tmp = _temporary_sibling(target, target.suffix)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside `target`; swap it in for `target` only if the block succeeds.

    Parameters
    ----------
    target : Path
        Where the folder is published; a previous folder there is replaced.

    Yields
    ------
    Path
        A temporary folder in the same parent to fill.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "x")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(target: Path, text: str) -> Path:
    """Write `text` to `target` atomically and return `target`."""
    with atomic_file(target) as tmp:
        tmp.write_text(text)
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    """Write `data` to `target` atomically and return `target`."""
    with atomic_file(target) as tmp:
        tmp.write_bytes(data)
    return target


def write_npy_atomic(target: Path, array: np.ndarray) -> Path:
    """Write `array` to `target` as `.npy` (never pickled) atomically and return `target`."""
    with atomic_file(target) as tmp, open(tmp, "wb") as stream:
        np.save(stream, array, allow_pickle=False)
    return target


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
    with atomic_file(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_file(parquet_path) as tmp:
        table.to_parquet(tmp, index=False)
    return csv_path, parquet_path
