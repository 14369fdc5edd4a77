"""Resumable copies of a portal OME-Zarr: chunk by chunk over HTTP with zarr, or the client's S3 download."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from botocore.exceptions import ClientError

from em_assets.core.atomic import write_bytes_atomic, write_text_atomic
from em_assets.core.errors import InputError
from em_assets.core.portal.bounded_pool import run_bounded
from em_assets.core.portal.http_store import HttpZarrStore
from em_assets.core.portal.levels import filtered_attributes, select_levels
from em_assets.core.portal.retry import RetryPolicy, call_with_retry, is_transient
from em_assets.core.tomograms.ngff import parse_multiscale_levels

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MirroredZarr:
    """A copy of the chosen levels in a partial folder, not yet verified."""

    root: Path
    available: list[str]
    levels: list[str]
    source_dtypes: dict[str, str]
    chunks_fetched: int
    chunks_reused: int


def copy_levels_over_http(
    store: HttpZarrStore, root: Path, level_spec: str, progress: Progress | None = None
) -> MirroredZarr:
    """Copy the chosen levels' chunks from `store` into `root`; chunks already there are kept.

    Missing chunks are fetched `store.fetcher.concurrency` at a time, each written atomically, so
    an interrupted copy leaves only whole chunks behind and the next call fetches only the rest.

    Parameters
    ----------
    store : HttpZarrStore
        The source OME-Zarr (zarr v2) over HTTP.
    root : Path
        The local folder receiving the copy; created if missing.
    level_spec : str
        Which resolution levels to copy, as `select_levels` reads it ("lowest", "highest", "all" or
        a comma-separated list of level paths).
    progress : Progress or None, optional
        Called with (chunks present, chunks in total) as chunks arrive; None for no reporting.

    Returns
    -------
    MirroredZarr
        The copy's root, the levels available and chosen, their source dtypes, and how many chunks
        were fetched and how many reused.

    Raises
    ------
    InputError
        If there is no OME-Zarr group at the URL, its metadata is unreadable, `level_spec` names
        unknown levels, a chosen level is missing or not a 3-D array, or a chunk is missing or
        refused by the server.
    RetriesExhausted
        If transient failures outlast the fetcher's retry policy.
    """
    subject = store.fetcher.subject
    try:
        group = zarr.open_group(store=store, mode="r", zarr_format=2, use_consolidated=False)
        attrs = group.attrs.asdict()
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(subject, f"no OME-Zarr group at {store.base_url}") from None
    except ValueError as error:
        raise InputError(subject, f"unreadable OME-Zarr metadata at {store.base_url}: {error}") from None
    available = [level.path for level in parse_multiscale_levels(attrs, store.base_url)]
    levels = select_levels(available, level_spec, subject)
    root.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(root / ".zgroup", store.fetch(".zgroup") or b'{"zarr_format": 2}')
    write_text_atomic(root / ".zattrs", json.dumps(filtered_attributes(attrs, levels), indent=2) + "\n")
    arrays = {level: _open_level(group, level, subject) for level in levels}
    total = sum(int(np.prod(array.cdata_shape)) for array in arrays.values())
    missing: list[str] = []
    for level, array in arrays.items():
        for name in (".zarray", ".zattrs"):
            data = store.fetch(f"{level}/{name}")
            if data is not None:
                write_bytes_atomic(root / level / name, data)
        for coords in np.ndindex(*array.cdata_shape):
            key = f"{level}/{array.metadata.encode_chunk_key(coords)}"
            if not (root / key).is_file():
                missing.append(key)
    reused = total - len(missing)

    def copy(key: str) -> None:
        write_bytes_atomic(root / key, store.fetch(key))

    def report(copied: int) -> None:
        if progress is not None:
            progress(reused + copied, total)

    if reused:
        report(0)
    run_bounded(missing, copy, store.fetcher.concurrency, report)
    dtypes = {level: str(array.dtype) for level, array in arrays.items()}
    return MirroredZarr(root, available, levels, dtypes, len(missing), reused)


def _open_level(group: zarr.Group, level: str, subject: str) -> zarr.Array:
    try:
        node = group[level]
    except KeyError:
        raise InputError(subject, f"the multiscale lists level {level!r} but the zarr has no such array") from None
    if not isinstance(node, zarr.Array) or node.ndim != 3:
        raise InputError(subject, f"level {level!r} is not a 3-D array")
    return node


def download_over_s3(
    download_omezarr: Callable[[str], None],
    s3_url: str,
    partial: Path,
    level_spec: str,
    policy: RetryPolicy,
    subject: str,
) -> MirroredZarr:
    """Run the client's `download_omezarr` into `partial` (it skips complete files), then pick levels.

    The group attributes written to the copy list only the chosen levels; files of other levels
    remain until `prune_to_levels`.

    Parameters
    ----------
    download_omezarr : Callable[[str], None]
        The client's download, called with the destination folder (as a string).
    s3_url : str
        The S3 URL of the OME-Zarr; its last path part names the folder created under `partial`.
    partial : Path
        The folder that keeps the unfinished download between attempts.
    level_spec : str
        Which resolution levels to keep, as `select_levels` reads it.
    policy : RetryPolicy
        How to retry transient S3 failures.
    subject : str
        What the download is for, named in errors.

    Returns
    -------
    MirroredZarr
        The copy's root, the levels available and chosen (no source dtypes), and how many chunk
        files of the chosen levels were new and how many were already there.

    Raises
    ------
    InputError
        If there are no objects under `s3_url`, S3 refuses the download, the copy has no or
        unreadable `.zattrs`, or `level_spec` names unknown levels.
    RetriesExhausted
        If transient failures outlast `policy`.
    """
    root = partial / s3_url.rstrip("/").rsplit("/", 1)[-1]
    files_before = _chunk_files(root)

    def download() -> None:
        try:
            download_omezarr(str(partial))
        except TypeError:
            raise InputError(subject, f"no objects under {s3_url}") from None
        except ClientError as error:
            if is_transient(error):
                raise
            raise InputError(subject, f"S3 refused {s3_url}: {error}") from None

    call_with_retry(download, policy, f"{subject}: download {s3_url}")
    if not (root / ".zattrs").is_file():
        raise InputError(subject, f"{s3_url} holds no OME-Zarr group attributes (.zattrs)")
    try:
        attrs: dict[str, Any] = json.loads((root / ".zattrs").read_text())
    except ValueError as error:
        raise InputError(subject, f"unreadable group attributes (.zattrs) at {s3_url}: {error}") from None
    available = [level.path for level in parse_multiscale_levels(attrs, s3_url)]
    levels = select_levels(available, level_spec, subject)
    write_text_atomic(root / ".zattrs", json.dumps(filtered_attributes(attrs, levels), indent=2) + "\n")
    after = _chunk_files(root)
    chosen = {path for path in after if path.split("/", 1)[0] in levels}
    reused = len(chosen & files_before)
    return MirroredZarr(root, available, levels, {}, len(chosen) - reused, reused)


def _chunk_files(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }
