"""The tomogram landing folder: which volumes are there, their partition keys and fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.storage import PARTITION_KEY_PATTERN
from em_assets.core.volumes import MRC_SUFFIXES

ZARR_SUFFIXES = (".ome.zarr", ".zarr")


@dataclass(frozen=True)
class LandingEntry:
    """One tomogram in the landing folder."""

    key: str
    path: Path
    fingerprint: str


def landing_key(path: Path) -> str | None:
    """The partition key a landing path would get, or None if it is not a tomogram by its name."""
    name = path.name
    if name.startswith("."):
        return None
    if path.is_dir():
        suffix = next((s for s in ZARR_SUFFIXES if name.lower().endswith(s)), None)
    else:
        suffix = path.suffix if path.suffix.lower() in MRC_SUFFIXES else None
    return name[: -len(suffix)] if suffix else None


def fingerprint(path: Path) -> str:
    """A digest of every file's relative name, size and modification time below `path`."""
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


def scan_tomogram_landing(folder: Path) -> LandingScan:
    """Every tomogram in `folder` (sorted), with names that are not valid keys or that clash refused."""
    entries: dict[str, LandingEntry] = {}
    refused: dict[str, str] = {}
    if not folder.is_dir():
        return LandingScan(entries, refused)
    for path in sorted(folder.iterdir()):
        key = landing_key(path)
        if key is None:
            continue
        if not PARTITION_KEY_PATTERN.match(key):
            refused[str(path)] = f"{key!r} is not a valid partition key"
        elif key in entries:
            refused[str(path)] = f"key {key!r} is already taken by {entries[key].path.name}"
        else:
            entries[key] = LandingEntry(key, path, fingerprint(path))
    return LandingScan(entries, refused)


def find_landing_tomogram(folder: Path, key: str) -> Path:
    """The landing path of partition `key`, or an InputError saying where it was looked for."""
    entry = scan_tomogram_landing(folder).entries.get(key)
    if entry is None:
        raise InputError(key, f"no tomogram named {key}.zarr, {key}.ome.zarr or {key}.mrc in {folder}")
    return entry.path
