"""Ingest one portal tomogram: metadata, a resumable copy of the chosen levels, verification, publish."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryoet_data_portal import Tomogram

from em_assets.core.atomic import atomic_directory, write_text_atomic
from em_assets.core.errors import InputError
from em_assets.core.portal.client import (
    PortalClient,
    PortalSettings,
    PortalTomogram,
    fetch_tomogram,
)
from em_assets.core.portal.download import (
    MirroredZarr,
    Progress,
    copy_levels_over_http,
    download_over_s3,
)
from em_assets.core.portal.http_store import HttpFetcher, HttpZarrStore
from em_assets.core.portal.levels import VerifiedLevel, prune_to_levels, verify_levels
from em_assets.core.portal.neuroglancer_config import parse_portal_limits
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.ingest import level_records
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.core.tomograms.volumes import open_multiscale

Transport = Literal["https", "s3"]
SIGNATURE_FILE = "source.json"


@dataclass(frozen=True)
class PortalIngest:
    """A portal tomogram mirrored into the store, with the facts the pipeline records about it."""

    tomogram_id: int
    name: str
    run_name: str
    dataset_id: int
    https_url: str
    s3_url: str
    voxel_size_angstrom: float
    levels: list[str]
    portal_link: str
    size_zyx: tuple[int, int, int] = (0, 0, 0)
    metadata: dict[str, str | int | float] = field(default_factory=dict)
    portal_limits: dict[str, tuple[float, float]] = field(default_factory=dict)


def partial_dir(dest: Path) -> Path:
    """The sibling folder where an unfinished copy of `dest` lives between attempts.

    Parameters
    ----------
    dest : Path
        The folder the finished copy is published to.

    Returns
    -------
    Path
        `.partial-<name>` next to `dest`.
    """
    return dest.parent / f".partial-{dest.name}"


def ingest_tomogram(
    settings: PortalSettings,
    tomogram_id: int,
    dest: Path,
    level_spec: str = "lowest",
    transport: Transport = "https",
    progress: Progress | None = None,
) -> PortalIngest:
    """Mirror the chosen levels of a portal tomogram to `dest` (NGFF 0.4, zarr v2), resumably.

    The copy is made in `partial_dir(dest)` (discarded first if it was started for another tomogram
    or URL), verified, pruned to the chosen levels and then moved into `dest` atomically.

    Parameters
    ----------
    settings : PortalSettings
        The portal's URL, timeout, retry policy and HTTP concurrency.
    tomogram_id : int
        The portal's id of the tomogram.
    dest : Path
        The folder the verified OME-Zarr is published to.
    level_spec : str, optional
        Which resolution levels to mirror, as `select_levels` reads it (default "lowest").
    transport : {"https", "s3"}, optional
        Copy chunk by chunk over HTTPS, or with the client's S3 download (default "https").
    progress : Progress or None, optional
        Called with (chunks present, chunks in total) during an HTTPS copy.

    Returns
    -------
    PortalIngest
        The tomogram's identity, URLs, voxel size, mirrored levels, portal link, the metadata the
        pipeline records and the portal's contrast limits (if readable).

    Raises
    ------
    InputError
        If the portal lacks the tomogram or a location for `transport`, `level_spec` names unknown
        levels, or the copy is missing, refused or fails verification (shape, dtype, missing or
        undecodable chunk).
    RetriesExhausted
        If transient failures outlast the retry policy.
    """
    tomogram = fetch_tomogram(settings, tomogram_id)
    subject = f"portal tomogram {tomogram_id}"
    source_url = tomogram.https_omezarr_dir if transport == "https" else tomogram.s3_omezarr_dir
    if not source_url:
        raise InputError(subject, f"the portal lists no {transport} location for its OME-Zarr")
    partial = partial_dir(dest)
    _reset_if_different(partial, {"id": tomogram_id, "url": source_url})
    if transport == "https":
        fetcher = HttpFetcher(subject, settings.timeout, settings.retry, settings.concurrency)
        store = HttpZarrStore(source_url, fetcher)
        mirrored = copy_levels_over_http(store, partial / dest.name, level_spec, progress)
    else:
        mirrored = download_over_s3(
            _client_download(settings, tomogram_id, subject), source_url, partial, level_spec, settings.retry, subject
        )
    verified = verify_levels(mirrored.root, mirrored.levels, subject, _expected(tomogram, mirrored))
    prune_to_levels(mirrored.root, mirrored.levels)
    with atomic_directory(dest) as staging:
        os.replace(mirrored.root, staging)
    shutil.rmtree(partial, ignore_errors=True)
    return _ingest_record(tomogram, transport, mirrored, verified)


def _client_download(settings: PortalSettings, tomogram_id: int, subject: str):
    """The client's own `Tomogram.download_omezarr`, bound to a freshly fetched tomogram."""

    def download(dest_path: str) -> None:
        tomogram = Tomogram.get_by_id(PortalClient(settings.url, settings.timeout), tomogram_id)
        if tomogram is None:
            raise InputError(subject, f"not found at {settings.url}")
        tomogram.download_omezarr(dest_path)

    return download


def _reset_if_different(partial: Path, signature: dict[str, object]) -> None:
    """Keep a partial copy only if it was started for the same tomogram and source URL."""
    marker = partial / SIGNATURE_FILE
    text = json.dumps(signature, sort_keys=True)
    if partial.exists() and (not marker.is_file() or marker.read_text() != text):
        shutil.rmtree(partial)
    partial.mkdir(parents=True, exist_ok=True)
    write_text_atomic(marker, text)


def _expected(tomogram: PortalTomogram, mirrored: MirroredZarr) -> dict[str, tuple[tuple[int, ...], str | None]]:
    """Shapes the portal lists for the chosen levels (by position), dtypes the source declared."""
    shapes = tomogram.level_shapes_zyx or (tomogram.size_zyx,)
    expected: dict[str, tuple[tuple[int, ...], str | None]] = {}
    for level in mirrored.levels:
        index = mirrored.available.index(level)
        if index < len(shapes):
            expected[level] = (shapes[index], mirrored.source_dtypes.get(level))
    return expected


def _ingest_record(
    tomogram: PortalTomogram, transport: Transport, mirrored: MirroredZarr, verified: list[VerifiedLevel]
) -> PortalIngest:
    metadata: dict[str, str | int | float] = {
        "portal_tomogram_id": tomogram.id,
        "portal_run_id": tomogram.run_id,
        "portal_run_name": tomogram.run_name,
        "portal_dataset_id": tomogram.dataset_id,
        "portal_https_omezarr_dir": tomogram.https_omezarr_dir,
        "portal_s3_omezarr_dir": tomogram.s3_omezarr_dir,
        "portal_link": tomogram.portal_link,
        "portal_transport": transport,
        "portal_size_zyx": "x".join(str(n) for n in tomogram.size_zyx),
        "voxel_size_angstrom": tomogram.voxel_spacing,
        "levels": ",".join(mirrored.levels),
        "chunks_fetched": mirrored.chunks_fetched,
        "chunks_reused": mirrored.chunks_reused,
    }
    for level in verified:
        metadata[f"level_{level.path}_shape"] = "x".join(str(n) for n in level.shape)
        metadata[f"level_{level.path}_chunks"] = level.chunks
    metadata["dtype"] = verified[0].dtype
    try:
        portal_limits = parse_portal_limits(
            tomogram.neuroglancer_config, f"portal tomogram {tomogram.id}", tomogram.https_omezarr_dir
        )
    except InputError as error:
        portal_limits, metadata["portal_limits_problem"] = {}, error.problem
    for dimension, pair in portal_limits.items():
        metadata[f"portal_limits_{dimension}"] = str(list(pair))
    return PortalIngest(
        tomogram_id=tomogram.id,
        name=tomogram.name,
        run_name=tomogram.run_name,
        dataset_id=tomogram.dataset_id,
        https_url=tomogram.https_omezarr_dir,
        s3_url=tomogram.s3_omezarr_dir,
        voxel_size_angstrom=tomogram.voxel_spacing,
        levels=list(mirrored.levels),
        portal_link=tomogram.portal_link,
        size_zyx=tuple(int(n) for n in tomogram.size_zyx),
        metadata=metadata,
        portal_limits=portal_limits,
    )


def portal_record(key: str, ingest: PortalIngest, folder: Path) -> TomogramRecord:
    """Record a portal tomogram mirrored into `folder`, keeping the public URL as its viewer source.

    Parameters
    ----------
    key : str
        The tomogram's partition key.
    ingest : PortalIngest
        What `ingest_tomogram` returned for it.
    folder : Path
        The asset folder holding the mirrored `tomogram.zarr`; the record is saved there.

    Returns
    -------
    TomogramRecord
        The saved record, with the portal's HTTPS URL (else its S3 URL) as source.
    """
    multiscale = open_multiscale(folder / TOMOGRAM_ZARR)
    record = TomogramRecord(
        key=key,
        source=ingest.https_url or ingest.s3_url,
        source_format="portal",
        dtype=str(multiscale.arrays[0].dtype),
        levels=level_records(multiscale),
        public_url=ingest.https_url or None,
        public_shape=tuple(ingest.size_zyx),
        public_voxel_size=(ingest.voxel_size_angstrom,) * 3,
        links={"portal": ingest.portal_link},
        portal_limits=dict(ingest.portal_limits) or None,
    )
    record.save(folder)
    return record
