"""The generic landing scan: items found in a landing folder, their partition keys and cheap fingerprints.

A fingerprint never reads or stats every chunk: a file is its size and modification time; a folder is
the modification time of each of its sub-folders (which changes when an entry is added, removed or
renamed) plus the size and time of its metadata files (`.zattrs`, `.zarray`, `.zgroup`, `zarr.json`,
`.zmetadata`). Folders with no sub-folders (a link count of 2) are not listed at all.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

METADATA_NAMES = frozenset({".zattrs", ".zarray", ".zgroup", "zarr.json", ".zmetadata"})
LEAF_LINK_COUNT = 2


@dataclass(frozen=True)
class Fingerprint:
    """What a scan remembers of an item: a digest of its cheap stats and its newest change time.

    `changed_ns` is the newest status-change time (`st_ctime_ns`) among the objects the digest read;
    no tool can set it back, so an item whose `changed_ns` is older than a previous tick is unchanged.
    """

    digest: str
    changed_ns: int


def _record(digest: hashlib._Hash, relative: str, status: os.stat_result) -> int:
    size = 0 if stat.S_ISDIR(status.st_mode) else status.st_size
    digest.update(f"{relative}\0{size}\0{status.st_mtime_ns}\n".encode())
    return status.st_ctime_ns


def _probe_metadata(folder: str, relative: str, digest: hashlib._Hash, groups: tuple[tuple[str, ...], ...]) -> int:
    """Stat a folder's metadata without listing it: for each group of names, the first name decides
    whether the others are looked for, and the first group found ends the search."""
    newest = 0
    for names in groups:
        for name in names:
            try:
                status = os.stat(f"{folder}/{name}", follow_symlinks=False)
            except FileNotFoundError:
                if name == names[0]:
                    break
                continue
            newest = max(newest, _record(digest, f"{relative}/{name}", status))
        else:
            return newest
    return newest


ARRAY_METADATA = ((".zarray", ".zattrs"), ("zarr.json",))
ITEM_METADATA = tuple((name,) for name in sorted(METADATA_NAMES))


def _walk(
    folder: str, relative: str, status: os.stat_result, digest: hashlib._Hash, probe: tuple[tuple[str, ...], ...]
) -> int:
    """Record `folder` and what lies below it; return the newest change time seen.

    A folder without sub-folders is not listed: its time covers its entries, and the metadata names
    in `probe` are looked for directly (array metadata below a folder holding metadata, every name at
    the item's top, nothing in chunk folders)."""
    newest = _record(digest, relative, status)
    if status.st_nlink == LEAF_LINK_COUNT:
        return max(newest, _probe_metadata(folder, relative, digest, probe))
    folders, metadata = [], []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.append(entry)
            elif entry.name in METADATA_NAMES:
                metadata.append(entry)
    for entry in sorted(metadata, key=lambda e: e.name):
        newest = max(newest, _record(digest, f"{relative}/{entry.name}", entry.stat(follow_symlinks=False)))
    for entry in sorted(folders, key=lambda e: e.name):
        child = f"{relative}/{entry.name}"
        below = ARRAY_METADATA if metadata else ()
        newest = max(newest, _walk(entry.path, child, entry.stat(follow_symlinks=False), digest, below))
    return newest


def fingerprint(path: Path, status: os.stat_result | None = None) -> Fingerprint:
    """A cheap fingerprint of a landing item: stats of the file, or of a folder's structure and metadata.

    Parameters
    ----------
    path : Path
        A file or a folder.
    status : os.stat_result, optional
        `path`'s status if the caller has it already (from a folder listing).

    Returns
    -------
    Fingerprint
        16 hex digits that change when the file is resized or touched, or when an entry is added to,
        removed from or renamed in any folder below `path`, or a metadata file changes; and the newest
        status-change time among what was read.

    Raises
    ------
    OSError
        If `path` or a folder below it cannot be read.
    """
    digest = hashlib.sha256()
    status = status or os.stat(path)
    if stat.S_ISDIR(status.st_mode):
        newest = _walk(str(path), path.name, status, digest, ITEM_METADATA)
    else:
        newest = _record(digest, path.name, status)
    return Fingerprint(digest.hexdigest()[:16], newest)


def refusal_fingerprint(path: Path, reason: str) -> str:
    """A digest of why `path` is refused and of its own stats, so a refusal is reported once per change.

    Parameters
    ----------
    path : Path
        The refused item; a symbolic link is not followed.
    reason : str
        Why it is refused.

    Returns
    -------
    str
        16 hex digits over the item's name, `reason` and its size and modification time (or the error
        met reading them).
    """
    try:
        status = os.stat(path, follow_symlinks=False)
        stats = f"{status.st_size}\0{status.st_mtime_ns}"
    except OSError as error:
        stats = str(error)
    return hashlib.sha256(f"{path.name}\0{reason}\0{stats}".encode()).hexdigest()[:16]

from em_assets.core.errors import InputError


@dataclass(frozen=True)
class LandingEntry:
    """One item of a landing folder: its partition key, its path and a fingerprint of its content."""

    key: str
    path: Path
    fingerprint: str
    changed_ns: int = 0


@dataclass(frozen=True)
class LandingScan:
    """What a scan found: usable entries by key, the paths it refused with the reason, and the newest
    status-change time it saw (the landing folder's own included)."""

    entries: dict[str, LandingEntry]
    refused: dict[str, str]
    newest_ns: int = 0
    refusal_fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def reported_refusals(self) -> dict[str, str]:
        """Each refused path's name with the fingerprint of its refusal."""
        return {Path(path).name: self.refusal_fingerprints.get(path, "") for path in self.refused}


class LandingScanner:
    """Collects a scan's entries and refusals; each item is fingerprinted once, errors become refusals."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: dict[str, LandingEntry] = {}
        self.refused: dict[str, str] = {}
        self.fingerprints: dict[str, str] = {}
        self.newest_ns = 0

    def listing(self) -> list[os.DirEntry]:
        """The landing folder's entries, sorted by name (none if it does not exist); OSError if unreadable."""
        try:
            self.newest_ns = os.stat(self.folder).st_ctime_ns
        except FileNotFoundError:
            return []
        with os.scandir(self.folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)

    def refuse(self, path: Path | os.DirEntry, reason: str) -> None:
        """Refuse `path` for `reason`.

        Records the reason and its `refusal_fingerprint` under the path's text.

        Parameters
        ----------
        path : Path or os.DirEntry
            The refused item.
        reason : str
            Why it is refused.

        Returns
        -------
        None
        """
        path = Path(path)
        self.refused[str(path)] = reason
        self.fingerprints[str(path)] = refusal_fingerprint(path, reason)

    def accept(self, key: str, item: os.DirEntry) -> None:
        """Fingerprint `item` as the item of `key`; an unreadable item is refused instead.

        Parameters
        ----------
        key : str
            The partition key the item provides.
        item : os.DirEntry
            The landing folder entry to fingerprint.

        Returns
        -------
        None
        """
        path = Path(item.path)
        try:
            found = fingerprint(path, item.stat())
        except OSError as error:
            self.refuse(path, f"cannot be read ({error.strerror or error})")
            return
        self.newest_ns = max(self.newest_ns, found.changed_ns)
        self.entries[key] = LandingEntry(key, path, found.digest, found.changed_ns)

    def scan(self) -> LandingScan:
        """The scan collected so far."""
        return LandingScan(self.entries, self.refused, self.newest_ns, self.fingerprints)


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
