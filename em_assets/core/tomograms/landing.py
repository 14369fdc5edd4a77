"""The tomogram landing folder: which volumes are there, their partition keys and fingerprints."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.landing import LINK_REFUSAL, LandingScan, LandingScanner
from em_assets.core.store import (
    PARTITION_KEY_RULE,
    is_valid_partition_key,
    validate_partition_key,
)
from em_assets.core.tomograms.volumes import MRC_SUFFIXES

ZARR_SUFFIXES = (".ome.zarr", ".zarr")


def landing_key(name: str, is_dir: bool) -> str | None:
    """The partition key a landing item would get, or None if it is not a tomogram by its name.

    Parameters
    ----------
    name : str
        The item's file or folder name.
    is_dir : bool
        Whether it is a folder (tomograms are .zarr/.ome.zarr folders or MRC files).

    Returns
    -------
    str or None
        The name without its suffix; None for hidden items and names without a tomogram suffix.
    """
    if name.startswith("."):
        return None
    if is_dir:
        suffix = next((s for s in ZARR_SUFFIXES if name.lower().endswith(s)), None)
    else:
        suffix = next((s for s in MRC_SUFFIXES if name.lower().endswith(s)), None)
    return name[: -len(suffix)] if suffix else None


def scan_tomogram_landing(folder: Path) -> LandingScan:
    """Every tomogram in `folder` (sorted), with names that are not valid keys or that clash refused.

    Parameters
    ----------
    folder : Path
        The tomogram landing folder (missing: nothing landed).

    Returns
    -------
    LandingScan
        Entries by key with cheap fingerprints; refused paths (bad or clashing names, unreadable
        items) with the reason.

    Raises
    ------
    OSError
        If `folder` exists but cannot be listed.
    """
    scanner = LandingScanner(folder)
    for item in scanner.listing():
        key = landing_key(item.name, item.is_dir())
        if key is None:
            continue
        if item.is_symlink():
            scanner.refuse(item, LINK_REFUSAL)
        elif not is_valid_partition_key(key):
            scanner.refuse(item, f"{ascii(key)} is not a valid partition key: {PARTITION_KEY_RULE}")
        elif key in scanner.entries:
            scanner.refuse(item, f"key {key!r} is already taken by {scanner.entries[key].path.name}")
        else:
            scanner.accept(key, item)
    return scanner.scan()


def find_landing_tomogram(folder: Path, key: str) -> Path:
    """The landing path of partition `key`, or an InputError saying where it was looked for.

    Parameters
    ----------
    folder : Path
        The tomogram landing folder.
    key : str
        The partition key.

    Returns
    -------
    Path
        The landing file or folder of `key`.

    Raises
    ------
    InputError
        If `key` is not a valid partition key, the item for `key` was refused (bad or clashing name,
        symbolic link, unreadable), or no tomogram of that name is in `folder`.
    OSError
        If `folder` exists but cannot be listed.
    """
    validate_partition_key(key)
    scan = scan_tomogram_landing(folder)
    entry = scan.entries.get(key)
    refusals = [(path, reason) for path, reason in scan.refused.items() if landing_key(Path(path).name, Path(path).is_dir()) == key]
    if entry is None and refusals:
        raise InputError(*refusals[0])
    if entry is None:
        raise InputError(key, f"no tomogram named {key}.zarr, {key}.ome.zarr or {key}.mrc in {folder}")
    return entry.path
