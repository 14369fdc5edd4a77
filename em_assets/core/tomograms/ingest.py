"""Ingest a landing-folder tomogram into the store as an NGFF 0.4 multiscale with its record."""

from __future__ import annotations

from pathlib import Path

from em_assets.core.errors import InputError
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.landing import find_landing_tomogram
from em_assets.core.tomograms.record import LevelRecord, TomogramRecord
from em_assets.core.tomograms.volumes import (
    Multiscale,
    open_source_volume,
    write_multiscale,
)

PYRAMID_LEVELS = 3


def level_records(multiscale: Multiscale) -> list[LevelRecord]:
    """The shape and voxel size of every level of `multiscale`."""
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


def ingest_landing_tomogram(landing: Path, key: str, dest: Path) -> TomogramRecord:
    """Copy the landing tomogram of `key` into `dest` (a fresh folder) and record what it is."""
    source = open_source_volume(find_landing_tomogram(landing, key))
    try:
        multiscale = write_multiscale(
            dest / TOMOGRAM_ZARR,
            source.data,
            source.voxel_size,
            name=key,
            n_levels=PYRAMID_LEVELS,
            metadata={"source": recorded_source(landing, source.path), "source_format": source.format},
        )
    except (ValueError, OSError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(source.path, f"could not be read: {error}") from None
    record = TomogramRecord(
        key=key,
        source=recorded_source(landing, source.path),
        source_format=source.format,
        dtype=str(multiscale.arrays[0].dtype),
        levels=level_records(multiscale),
    )
    record.save(dest)
    return record
