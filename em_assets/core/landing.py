"""The generic landing scan: items found in a landing folder, their partition keys and fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


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
