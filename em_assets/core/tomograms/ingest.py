"""Ingest a landing-folder tomogram into the store as an NGFF 0.4 multiscale with its record."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.landing import refuse_symlinks
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.landing import find_landing_tomogram
from em_assets.core.tomograms.ngff import set_translation
from em_assets.core.tomograms.pyramid import write_pyramid
from em_assets.core.tomograms.record import LevelRecord, TomogramRecord
from em_assets.core.tomograms.source_checks import (
    DECODE_ERRORS,
    as_stored,
    check_levels_consistent,
    missing_chunks,
    undecodable_chunk,
)
from em_assets.core.tomograms.statistics import VolumeStatistics
from em_assets.core.tomograms.volumes import (
    Multiscale,
    SourceVolume,
    open_multiscale,
    open_source_volume,
)

PYRAMID_LEVELS = 3


def level_records(multiscale: Multiscale) -> list[LevelRecord]:
    """The shape and voxel size of every level of `multiscale`.

    Parameters
    ----------
    multiscale : Multiscale
        An opened multiscale.

    Returns
    -------
    list of LevelRecord
        One record per level (path, shape, voxel size), level 0 first.
    """
    return [
        LevelRecord(level.path, tuple(int(n) for n in array.shape), level.voxel_size)
        for level, array in zip(multiscale.levels, multiscale.arrays)
    ]


def recorded_source(landing: Path, source: Path) -> str:
    """How records name a landing file: relative to the home above `landing` (the same in every home).

    Parameters
    ----------
    landing : Path
        The tomogram landing folder (`<home>/landing/tomograms`).
    source : Path
        The landing file or folder.

    Returns
    -------
    str
        Its path relative to the home, or the absolute path if it is not below the home.
    """
    home = landing.parent.parent
    return source.relative_to(home).as_posix() if source.is_relative_to(home) else str(source)


def check_zarr_source(source: SourceVolume) -> int:
    """Check an OME-Zarr source's levels and storage before reading its voxels.

    Parameters
    ----------
    source : SourceVolume
        An opened OME-Zarr landing item.

    Returns
    -------
    int
        Chunks of the full-resolution level that are absent (read as the fill value, reported).

    Raises
    ------
    InputError
        For inconsistent levels, or metadata claiming far more data than the store holds.
    """
    multiscale = open_multiscale(source.path)
    check_levels_consistent(
        source.path, [tuple(a.shape) for a in multiscale.arrays], [a.dtype for a in multiscale.arrays]
    )
    return missing_chunks(multiscale.arrays[0], source.path / multiscale.levels[0].path, source.path)


def read_failure(source: SourceVolume, error: Exception) -> InputError:
    """The InputError for a source whose voxels failed to read, naming the undecodable chunk if any.

    Parameters
    ----------
    source : SourceVolume
        The landing item being read.
    error : Exception
        The error reading it raised.

    Returns
    -------
    InputError
        For an OME-Zarr source with a chunk that cannot be decoded, an error naming that chunk's
        file; otherwise one naming the source and the error.
    """
    kind = type(error).__name__
    if source.format == "ome-zarr":
        index = undecodable_chunk(source.data)
        if index is not None:
            chunk = source.data.metadata.encode_chunk_key(index)
            return InputError(source.path / source.data.path / chunk, f"corrupt chunk: it cannot be decoded ({kind})")
    return InputError(source.path, f"could not be read ({kind}: {error})")


def ingest_landing_tomogram(landing: Path, key: str, dest: Path) -> tuple[TomogramRecord, VolumeStatistics]:
    """Copy the landing tomogram of `key` into `dest` (a fresh folder) and record what it is.

    Parameters
    ----------
    landing : Path
        The landing folder holding the tomogram (an MRC file or an OME-Zarr folder).
    key : str
        The partition key, the tomogram's name in the landing folder.
    dest : Path
        The fresh folder receiving the multiscale and the record.

    Returns
    -------
    tuple of TomogramRecord and VolumeStatistics
        The record saved in `dest` (with the count of absent source chunks), and the statistics of
        the volume measured while it was copied.

    Raises
    ------
    InputError
        For a missing, linked, malformed, unsupported, oversized-claim or corrupt source.
    """
    path = find_landing_tomogram(landing, key)
    refuse_symlinks(path)
    source = open_source_volume(path)
    absent = check_zarr_source(source) if source.format == "ome-zarr" else 0
    data = as_stored(source.data, source.path)
    try:
        written = write_pyramid(
            dest / TOMOGRAM_ZARR,
            data,
            source.voxel_size,
            name=key,
            n_levels=PYRAMID_LEVELS,
            metadata={"source": recorded_source(landing, source.path), "source_format": source.format},
        )
    except InputError:
        raise
    except DECODE_ERRORS as error:
        raise read_failure(source, error) from None
    return record_ingested(key, source, recorded_source(landing, source.path), dest, absent), written.statistics


def record_ingested(
    key: str, source: SourceVolume, recorded: str, dest: Path, missing_source_chunks: int = 0
) -> TomogramRecord:
    """Place the multiscale written into `dest` where its source was, and save its record there.

    Parameters
    ----------
    key : str
        The tomogram's partition key.
    source : SourceVolume
        The volume the multiscale was written from (its format and translation).
    recorded : str
        How the record names the source (see `recorded_source`).
    dest : Path
        The folder holding the multiscale; the record is saved beside it.
    missing_source_chunks : int
        Chunks of the source's full-resolution level that were absent (read as the fill value).

    Returns
    -------
    TomogramRecord
        The saved record.
    """
    set_translation(dest / TOMOGRAM_ZARR, source.translation)
    multiscale = open_multiscale(dest / TOMOGRAM_ZARR)
    record = TomogramRecord(
        key=key,
        source=recorded,
        source_format=source.format,
        dtype=str(multiscale.arrays[0].dtype),
        levels=level_records(multiscale),
        translation=source.translation,
        missing_source_chunks=missing_source_chunks,
    )
    record.save(dest)
    return record
