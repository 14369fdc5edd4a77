"""The generic landing scan: items found in a landing folder, their partition keys and fingerprints."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from em_assets.core.errors import InputError


@dataclass(frozen=True)
class LandingEntry:
    """One item of a landing folder: its partition key, its path and a fingerprint of its content."""

    key: str
    path: Path
    fingerprint: str


def fingerprint(path: Path) -> str:
    """A digest of every file's relative name, size and modification time below `path`.

    Parameters
    ----------
    path : Path
        A file or a folder.

    Returns
    -------
    str
        16 hex digits that change when any file below `path` is added, removed, resized or touched.
    """
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        stat = file.stat()
        digest.update(f"{file.relative_to(path.parent)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class LandingScan:
    """What a scan found: usable entries by key, and the paths it refused with the reason."""

    entries: dict[str, LandingEntry]
    refused: dict[str, str]


LINK_REFUSAL = "is a symbolic link; links in landing folders are never followed"


def symlinks_below(folder: Path) -> list[Path]:
    """Every symbolic link below `folder` (files and folders), sorted; links are not descended into.

    Parameters
    ----------
    folder : Path
        A landing item's folder (for example an OME-Zarr store or an EM dataset).

    Returns
    -------
    list of Path
        The links found, an empty list when there are none.
    """
    links: list[Path] = []
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    links.append(Path(entry.path))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
    return sorted(links)


def refuse_symlinks(item: Path) -> None:
    """Raise unless `item` and everything below it are real files and folders, not links.

    Parameters
    ----------
    item : Path
        A landing item: a file or a folder.

    Raises
    ------
    InputError
        Naming the first link found (and how many there are), whatever it points at.
    """
    links = [item] if item.is_symlink() else symlinks_below(item) if item.is_dir() else []
    if links:
        more = f" ({len(links)} links in all)" if len(links) > 1 else ""
        raise InputError(links[0], f"{LINK_REFUSAL}{more}")
