"""Lineage of published folders: a content digest of each, and the digests of the inputs it was made from.

Every published asset folder holds a `lineage.json` with the digest of its own files and, for each
upstream folder it read, the store-relative path and the digest that folder had at the time. An
output is *stale* when an upstream folder's digest no longer matches; the catalogues use this to
never show a state mixing two runs. Digests depend only on file names and bytes, so two homes with
the same inputs hold the same lineage records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from em_assets.core.atomic import write_text_atomic
from em_assets.core.errors import InputError
from em_assets.core.shared_store import relative_files
from em_assets.core.store import LINEAGE_FILE, StoreLayout

READ_BYTES = 1 << 20


def tree_digest(folder: Path) -> str:
    """A BLAKE2b digest of every file below `folder` (relative names and bytes), its lineage excluded.

    Parameters
    ----------
    folder : Path or UPath
        A local folder or an object-store prefix (the same files give the same digest in both).

    Returns
    -------
    str
        The hex digest.
    """
    digest = hashlib.blake2b(digest_size=20)
    for relative in relative_files(folder):
        if relative == LINEAGE_FILE:
            continue
        digest.update(relative.encode() + b"\0")
        with (folder / relative).open("rb") as stream:
            while block := stream.read(READ_BYTES):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def read_lineage(folder: Path) -> dict | None:
    """The lineage record of a published folder.

    Parameters
    ----------
    folder : Path
        A published (or staged and sealed) folder.

    Returns
    -------
    dict or None
        ``{"digest": ..., "inputs": ...}``, or None if it has no record (never published).

    Raises
    ------
    InputError
        If the record is not valid JSON.
    """
    path = folder / LINEAGE_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise InputError(path, "is not a valid lineage record") from None


def published_digest(folder: Path) -> str | None:
    """The content digest recorded when `folder` was published.

    Parameters
    ----------
    folder : Path
        A published folder.

    Returns
    -------
    str or None
        The digest, or None if the folder has no lineage record.
    """
    lineage = read_lineage(folder)
    return lineage["digest"] if lineage else None


def input_digests(layout: StoreLayout, inputs: Mapping[str, Path]) -> dict[str, dict[str, str | None]]:
    """For each named upstream folder, its store-relative path and its current published digest.

    Parameters
    ----------
    layout : StoreLayout
        The store the folders live in.
    inputs : mapping of str to Path
        Upstream asset name to its published folder.

    Returns
    -------
    dict
        ``{name: {"path": relative path, "digest": digest or None}}``.
    """
    return {
        name: {"path": layout.relative(folder), "digest": published_digest(layout.published(folder))}
        for name, folder in sorted(inputs.items())
    }


def seal(folder: Path, inputs: Mapping[str, Mapping[str, str | None]]) -> str:
    """Write the lineage record of a staged `folder` (its digest and `inputs`).

    Parameters
    ----------
    folder : Path
        The staged folder, complete.
    inputs : mapping
        What `input_digests` returned when the asset started reading its inputs.

    Returns
    -------
    str
        The folder's content digest.
    """
    digest = tree_digest(folder)
    write_text_atomic(folder / LINEAGE_FILE, json.dumps({"digest": digest, "inputs": inputs}, indent=2, sort_keys=True))
    return digest


def stale_inputs(layout: StoreLayout, folder: Path) -> list[str]:
    """The upstream assets of a published `folder` whose digest changed since it was made.

    Parameters
    ----------
    layout : StoreLayout
        The store the folders live in.
    folder : Path
        An asset's folder (on an object store, read through its published version).

    Returns
    -------
    list of str
        Names of upstream assets that were republished (or removed) since, sorted; empty if current
        or if `folder` has no lineage.
    """
    lineage = read_lineage(layout.published(folder))
    if not lineage:
        return []
    return sorted(
        name
        for name, recorded in lineage["inputs"].items()
        if published_digest(layout.published(layout.store / recorded["path"])) != recorded["digest"]
    )


def record_failure(layout: StoreLayout, asset: str, partition: str | None, problem: str) -> Path:
    """Say in the store that the last run of `asset` (for `partition`) failed, and why.

    Parameters
    ----------
    layout : StoreLayout
        The store.
    asset : str
        The asset name.
    partition : str or None
        The partition key, None for an unpartitioned asset.
    problem : str
        What went wrong.

    Returns
    -------
    Path
        The failure record written.
    """
    document = {"asset": asset, "partition": partition, "problem": problem}
    return write_text_atomic(layout.failure_file(asset, partition), json.dumps(document, indent=2, sort_keys=True))


def last_failure(layout: StoreLayout, asset: str, partition: str | None = None) -> str | None:
    """Why the last run of `asset` (for `partition`) failed.

    Parameters
    ----------
    layout, asset, partition
        As for `record_failure`.

    Returns
    -------
    str or None
        The recorded problem, or None if the last run succeeded or none ran.
    """
    path = layout.failure_file(asset, partition)
    return json.loads(path.read_text())["problem"] if path.is_file() else None


def partition_problems(layout: StoreLayout, partition: str, assets: Mapping[str, Path]) -> list[str]:
    """Why the outputs of `partition` are not one consistent, current state (empty if they are).

    Parameters
    ----------
    layout : StoreLayout
        The store.
    partition : str
        The partition key.
    assets : mapping of str to Path
        Each asset of the chain, upstream first, to its published folder for `partition`.

    Returns
    -------
    list of str
        One line per asset whose last run failed or whose output was made from an upstream output
        that has been replaced since.
    """
    problems = []
    for asset, folder in assets.items():
        failure = last_failure(layout, asset, partition)
        if failure:
            problems.append(f"{asset} failed: {failure}")
        stale = stale_inputs(layout, folder)
        if stale:
            problems.append(f"{asset} is stale: made from a replaced {', '.join(stale)}")
    return problems
