"""The tomogram landing folder: which volumes are there, their partition keys and fingerprints."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.landing import LINK_REFUSAL, LandingEntry, LandingScan, fingerprint
from em_assets.core.store import is_valid_partition_key, validate_partition_key
from em_assets.core.tomograms.volumes import MRC_SUFFIXES

ZARR_SUFFIXES = (".ome.zarr", ".zarr")


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
        if path.is_symlink():
            refused[str(path)] = LINK_REFUSAL
        elif not is_valid_partition_key(key):
            refused[str(path)] = f"{key!r} is not a valid partition key"
        elif key in entries:
            refused[str(path)] = f"key {key!r} is already taken by {entries[key].path.name}"
        else:
            entries[key] = LandingEntry(key, path, fingerprint(path))
    return LandingScan(entries, refused)


def find_landing_tomogram(folder: Path, key: str) -> Path:
    """The landing path of partition `key`, or an InputError saying where it was looked for."""
    validate_partition_key(key)
    scan = scan_tomogram_landing(folder)
    entry = scan.entries.get(key)
    refusals = [(path, reason) for path, reason in scan.refused.items() if landing_key(Path(path)) == key]
    if entry is None and refusals:
        raise InputError(*refusals[0])
    if entry is None:
        raise InputError(key, f"no tomogram named {key}.zarr, {key}.ome.zarr or {key}.mrc in {folder}")
    return entry.path
