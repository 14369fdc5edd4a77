"""Ingest a landing tomogram with its pyramid written box by box (on a Dask cluster), with its record.

Kept apart from `distributed_pyramid` so the workers, which import that module to run its tasks, do
not import the record's table dependencies.
"""

from __future__ import annotations

from pathlib import Path

from em_assets.core.parallel import OrderedMap
from em_assets.core.store import TOMOGRAM_ZARR
from em_assets.core.tomograms.distributed_pyramid import write_multiscale_boxes
from em_assets.core.tomograms.ingest import (
    PYRAMID_LEVELS,
    record_ingested,
    recorded_source,
)
from em_assets.core.tomograms.landing import find_landing_tomogram
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.core.tomograms.statistics import VolumeStatistics
from em_assets.core.tomograms.volumes import open_source_volume


def ingest_landing_tomogram_boxes(
    landing: Path, key: str, dest: Path, map_boxes: OrderedMap
) -> tuple[TomogramRecord, VolumeStatistics]:
    """`ingest_landing_tomogram` with the pyramid written box by box through `map_boxes`.

    Parameters
    ----------
    landing : Path
        The tomogram landing folder.
    key : str
        The tomogram's partition key.
    dest : Path
        A fresh folder for the zarr and its record, reachable from every worker.
    map_boxes : OrderedMap
        Where the boxes run (e.g. `dask_map(client)`).

    Returns
    -------
    tuple of TomogramRecord and VolumeStatistics
        The saved record and the statistics of level 0.

    Raises
    ------
    InputError
        If no landing tomogram matches `key` or it cannot be read.
    """
    source = open_source_volume(find_landing_tomogram(landing, key))
    _, statistics = write_multiscale_boxes(
        dest / TOMOGRAM_ZARR,
        source.path,
        name=key,
        n_levels=PYRAMID_LEVELS,
        metadata={"source": recorded_source(landing, source.path), "source_format": source.format},
        map_boxes=map_boxes,
    )
    return record_ingested(key, source, recorded_source(landing, source.path), dest), statistics
