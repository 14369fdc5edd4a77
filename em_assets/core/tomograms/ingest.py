"""Ingest a landing-folder tomogram into the store as an NGFF 0.4 multiscale with its record."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.landing import find_landing_tomogram
from em_assets.core.tomograms.ngff import set_translation
from em_assets.core.tomograms.pyramid import write_pyramid
from em_assets.core.tomograms.record import LevelRecord, TomogramRecord
from em_assets.core.tomograms.statistics import VolumeStatistics
from em_assets.core.tomograms.volumes import (
    Multiscale,
    SourceVolume,
    open_multiscale,
    open_source_volume,
)

PYRAMID_LEVELS = 3


def level_records(multiscale: Multiscale) -> list[LevelRecord]:
    """The shape and voxel size of every level of `multiscale`."""
    return [
        LevelRecord(level.path, tuple(int(n) for n in array.shape), level.voxel_size)
        for level, array in zip(multiscale.levels, multiscale.arrays)
    ]


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
        The record saved in `dest`, and the statistics of the volume measured while it was copied.

    Raises
    ------
    InputError
        If the landing tomogram is missing, unreadable or not a 3-D volume.
    """
    source = open_source_volume(find_landing_tomogram(landing, key))
    try:
        written = write_pyramid(
            dest / TOMOGRAM_ZARR,
            source.data,
            source.voxel_size,
            name=key,
            n_levels=PYRAMID_LEVELS,
            metadata={"source": str(source.path), "source_format": source.format},
        )
    except (ValueError, OSError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(source.path, f"could not be read: {error}") from None
    return record_ingested(key, source, dest), written.statistics


def record_ingested(key: str, source: SourceVolume, dest: Path) -> TomogramRecord:
    """Place the multiscale written into `dest` where its source was, and save its record there.

    Parameters
    ----------
    key : str
        The tomogram's partition key.
    source : SourceVolume
        The volume the multiscale was written from (its path, format and translation).
    dest : Path
        The folder holding the multiscale; the record is saved beside it.

    Returns
    -------
    TomogramRecord
        The saved record.
    """
    set_translation(dest / TOMOGRAM_ZARR, source.translation)
    multiscale = open_multiscale(dest / TOMOGRAM_ZARR)
    record = TomogramRecord(
        key=key,
        source=str(source.path),
        source_format=source.format,
        dtype=str(multiscale.arrays[0].dtype),
        levels=level_records(multiscale),
        translation=source.translation,
    )
    record.save(dest)
    return record
