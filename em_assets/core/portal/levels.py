"""Resolution levels of a mirrored NGFF multiscale: choose them, keep only them, verify them."""

from __future__ import annotations

import copy
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from em_assets.core.errors import InputError
from em_assets.core.tomograms.ngff import ome_attributes

LEVEL_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
GROUP_METADATA = (".zgroup", ".zattrs")
ARRAY_METADATA = (".zarray", ".zattrs")


@dataclass(frozen=True)
class VerifiedLevel:
    """A level that passed verification: its path, shape, dtype and number of chunks."""

    path: str
    shape: tuple[int, ...]
    dtype: str
    chunks: int


def select_levels(available: Sequence[str], spec: str, subject: str) -> list[str]:
    """The levels named by `spec`: "lowest" (the last), "highest" (the first), "all" or "0,2".

    Parameters
    ----------
    available : Sequence[str]
        The multiscale's level paths, highest resolution first.
    spec : str
        "lowest", "highest" or "all" (any case), or a comma-separated list of level paths.
    subject : str
        What the levels belong to, named in errors.

    Returns
    -------
    list[str]
        The chosen level paths, in the multiscale's order.

    Raises
    ------
    InputError
        If a level path is not a plain folder name, or `spec` names no level or one not in
        `available`.
    """
    unsafe = [path for path in available if not LEVEL_PATH.match(path)]
    if unsafe:
        raise InputError(subject, f"the multiscale names levels that are not plain folder names: {unsafe}")
    wanted = spec.strip().lower()
    if wanted == "lowest":
        return [available[-1]]
    if wanted == "highest":
        return [available[0]]
    if wanted == "all":
        return list(available)
    names = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [name for name in names if name not in available]
    if not names or unknown:
        raise InputError(
            subject, f"resolution level(s) {unknown or spec!r} not in the multiscale (it has {list(available)})"
        )
    return [level for level in available if level in names]


def filtered_attributes(attrs: Mapping[str, Any], levels: Sequence[str]) -> dict[str, Any]:
    """The group attributes with the first multiscale listing only `levels`, transforms kept.

    Parameters
    ----------
    attrs : Mapping[str, Any]
        The OME-Zarr group attributes (not modified; a deep copy is returned).
    levels : Sequence[str]
        The level paths to keep.

    Returns
    -------
    dict[str, Any]
        A copy of `attrs` whose first multiscale lists only the datasets in `levels`.
    """
    kept = copy.deepcopy(dict(attrs))
    multiscale = ome_attributes(kept)["multiscales"][0]
    multiscale["datasets"] = [d for d in multiscale["datasets"] if str(d["path"]) in levels]
    return kept


def verify_levels(
    root: Path,
    levels: Sequence[str],
    subject: str,
    expected: Mapping[str, tuple[tuple[int, ...], str | None]],
) -> list[VerifiedLevel]:
    """Check shape, dtype and chunk count of each level and decode every chunk; InputError if not.

    A chunk that does not decode is deleted, so that a later copy fetches it again.

    Parameters
    ----------
    root : Path
        The local zarr v2 group holding the levels.
    levels : Sequence[str]
        The level paths to verify.
    subject : str
        What the copy is of, named in errors.
    expected : Mapping[str, tuple[tuple[int, ...], str or None]]
        Per level, the expected shape and dtype (None: any dtype); levels absent here are checked
        against their own metadata only.

    Returns
    -------
    list[VerifiedLevel]
        Path, shape, dtype and chunk count of each verified level, in the order of `levels`.

    Raises
    ------
    InputError
        If a level's shape or dtype differs from the expected one, chunks are missing, or a chunk
        does not decode.
    """
    verified = []
    for level in levels:
        array = zarr.open_array(root / level, mode="r", zarr_format=2)
        shape, dtype = expected.get(level, (tuple(array.shape), None))
        if tuple(array.shape) != tuple(shape):
            raise InputError(subject, f"level {level} has shape {array.shape}, the portal lists {tuple(shape)}")
        if dtype is not None and str(array.dtype) != dtype:
            raise InputError(subject, f"level {level} has dtype {array.dtype}, the source has {dtype}")
        grid = list(np.ndindex(*array.cdata_shape))
        missing = [c for c in grid if not (root / level / array.metadata.encode_chunk_key(c)).is_file()]
        if missing:
            raise InputError(subject, f"level {level}: {len(missing)} of {len(grid)} chunks are missing")
        for coords in grid:
            _decode_chunk(array, coords, root / level, subject)
        verified.append(VerifiedLevel(level, tuple(array.shape), str(array.dtype), len(grid)))
    return verified


def _decode_chunk(array: zarr.Array, coords: tuple[int, ...], level_dir: Path, subject: str) -> None:
    try:
        array.blocks[coords]
    except Exception as error:
        chunk = level_dir / array.metadata.encode_chunk_key(coords)
        chunk.unlink(missing_ok=True)
        raise InputError(subject, f"chunk {chunk.name} of {level_dir.name} does not decode ({error})") from None


def prune_to_levels(root: Path, levels: Sequence[str]) -> None:
    """Remove from the copy every file that is not group metadata, a chosen level's metadata or chunk.

    Parameters
    ----------
    root : Path
        The local zarr v2 group to prune in place.
    levels : Sequence[str]
        The level paths to keep; other folders are removed, as are empty folders left behind.

    Returns
    -------
    None
    """
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and entry.name in levels:
            _prune_level(entry)
        elif entry.is_dir():
            shutil.rmtree(entry)
        elif entry.name not in GROUP_METADATA:
            entry.unlink()


def _prune_level(level_dir: Path) -> None:
    array = zarr.open_array(level_dir, mode="r", zarr_format=2)
    keep = {array.metadata.encode_chunk_key(c) for c in np.ndindex(*array.cdata_shape)}
    keep.update(ARRAY_METADATA)
    for path in sorted(level_dir.rglob("*"), reverse=True):
        relative = path.relative_to(level_dir).as_posix()
        if path.is_file() and relative not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
