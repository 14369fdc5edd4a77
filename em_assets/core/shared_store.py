"""A store root shared by machines: a local folder (NFS, Lustre) or an object-store URL (s3://...).

On a filesystem a folder is published by renaming a complete temporary folder onto it
(`em_assets.core.atomic`). An object store has no rename, so a folder there is published as a
version: its files are written below a fresh prefix ``<folder>/<VERSIONS>/<id>/``, and only when they
are all written is the small manifest ``<folder>/<PUBLISHED_MANIFEST>`` (naming that version) put, in
one PUT, which S3 makes visible whole or not at all. Readers resolve the folder through the manifest,
so they see the previous version or the new one, never a half-written one; superseded versions are
deleted after the manifest moved on.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from em_assets.core.store import PUBLISHED_MANIFEST, VERSIONS_FOLDER, is_url

StorePath = Any  # pathlib.Path for a folder, upath.UPath for a URL


def store_root(root: str | Path) -> StorePath:
    """`root` as a path object: a resolved `Path` for a folder, a `UPath` for a URL.

    Parameters
    ----------
    root : str or Path
        A folder or a URL such as ``s3://bucket/prefix`` (credentials and endpoint come from the
        usual AWS variables, e.g. ``AWS_ENDPOINT_URL`` for an S3-compatible server).

    Returns
    -------
    Path or UPath
        The root, which supports ``/``, ``read_text``, ``write_bytes``, ``exists`` and ``glob``.
    """
    if not is_url(root):
        return Path(root).resolve()
    from upath import UPath

    return UPath(str(root).rstrip("/"))


def relative_files(folder: StorePath) -> list[str]:
    """Every file below `folder`, as forward-slash paths relative to it, in `os.walk` order.

    Parameters
    ----------
    folder : Path or UPath
        A local folder or an object-store prefix.

    Returns
    -------
    list of str
        Files of a folder before those of its sub-folders, each level sorted by name (a folder and
        its published copy on an object store list the same names in the same order).
    """
    if isinstance(folder, Path):
        names = [
            (Path(root) / name).relative_to(folder).as_posix() for root, _, files in os.walk(folder) for name in files
        ]
    else:
        base = folder.path.rstrip("/") + "/"
        names = [path[len(base) :] for path in folder.fs.find(folder.path)]
    return sorted(names, key=_walk_order)


def _walk_order(relative: str) -> tuple[tuple[int, str], ...]:
    *folders, name = relative.split("/")
    return (*((1, part) for part in folders), (0, name))


def file_names(folder: StorePath) -> frozenset[str]:
    """The names of the files directly in `folder` (empty if it is missing or unreadable).

    Parameters
    ----------
    folder : Path or UPath
        A local folder or an object-store prefix.

    Returns
    -------
    frozenset of str
        File names, without sub-folders; one listing request on an object store.
    """
    try:
        if isinstance(folder, Path):
            with os.scandir(folder) as entries:
                return frozenset(entry.name for entry in entries if entry.is_file())
        listing = folder.fs.ls(folder.path, detail=True)
    except OSError:
        return frozenset()
    return frozenset(entry["name"].rsplit("/", 1)[-1] for entry in listing if entry["type"] == "file")


def move_folder(source: Path, target: StorePath) -> StorePath:
    """Move a complete local folder to `target`: a rename locally, an upload (then removal) to an object store.

    Parameters
    ----------
    source : Path
        A local folder.
    target : Path or UPath
        Where it goes (inside a staging folder or version, so it is published with it).

    Returns
    -------
    Path or UPath
        `target`.
    """
    if isinstance(target, Path):
        os.replace(source, target)
    else:
        target.fs.put(f"{source}/", f"{target.path}/", recursive=True)
        shutil.rmtree(source)
    return target


class VersionedDirectory:
    """A fresh version prefix of an object-store folder; `publish()` points the folder's manifest at it."""

    def __init__(self, target: StorePath) -> None:
        self.target = target
        self.version = uuid.uuid4().hex
        self.path = target / VERSIONS_FOLDER / self.version
        self.published = False

    def publish(self) -> StorePath:
        """Put the manifest naming this version (one PUT), then delete every other version."""
        (self.target / PUBLISHED_MANIFEST).write_text(json.dumps({"version": self.version}))
        self.published = True
        for old in (self.target / VERSIONS_FOLDER).iterdir():
            if old.name != self.version:
                _remove(old)
        return self.target

    def close(self) -> None:
        """Delete the version unless it was published."""
        if not self.published:
            _remove(self.path)


def staged_version(target: StorePath) -> closing[VersionedDirectory]:
    """A `VersionedDirectory` of `target` as a context manager; nothing is published unless `publish()` is.

    Parameters
    ----------
    target : UPath
        An object-store folder.

    Returns
    -------
    contextlib.closing of VersionedDirectory
        Fill its `path`, then call `publish()` (or not, to keep the previous version); leaving the
        block discards what was not published.
    """
    return closing(VersionedDirectory(target))


def published_directory(target: StorePath) -> StorePath:
    """The folder readers use for `target`: itself locally, its published version on an object store.

    Parameters
    ----------
    target : Path or UPath
        A folder published through a `VersionedDirectory` (or a local folder).

    Returns
    -------
    Path or UPath
        Where its files are.

    `target` itself when nothing is published there yet (so readers find no files).
    """
    manifest = target / PUBLISHED_MANIFEST
    if isinstance(target, Path) or not manifest.exists():
        return target
    return target / VERSIONS_FOLDER / json.loads(manifest.read_text())["version"]


def _remove(prefix: StorePath) -> None:
    if prefix.exists():
        prefix.fs.rm(prefix.path, recursive=True)
