"""The tomogram catalogue: one row per tomogram partition, from what the assets stored."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from em_assets.core.errors import InputError
from em_assets.core.lineage import partition_problems
from em_assets.core.store import StoreLayout, is_valid_partition_key
from em_assets.core.tomograms.record import TomogramRecord

CATALOG_COLUMNS = [
    "key",
    "status",
    "source",
    "source_format",
    "shape_z",
    "shape_y",
    "shape_x",
    "dtype",
    "voxel_size_angstrom",
    "gmm_low",
    "gmm_high",
    "cdf_low",
    "cdf_high",
    "percentile_low",
    "percentile_high",
    "engine",
    "state_path",
    "url",
    "problem",
]


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _tomogram_folders(layout: StoreLayout, key: str) -> dict[str, Path]:
    """The published folder of each asset of one tomogram's chain, upstream first, by asset name."""
    return {
        "raw_tomogram": layout.raw_tomogram_dir(key),
        "sampled_voxels": layout.sampled_voxels_dir(key),
        "contrast_limits": layout.contrast_limits_dir(key),
        "neuroglancer_state": layout.neuroglancer_state_dir(key),
    }


def catalog_row(layout: StoreLayout, key: str) -> dict[str, Any]:
    """What the store holds for tomogram `key`, with `status` saying how far it got.

    The status is `failed` when the latest run of one of its assets failed (the previous outputs
    are shown) and `stale` when an output was made from an upstream output replaced since; the
    `problem` column says which and why.

    Parameters
    ----------
    layout : StoreLayout
        The store.
    key : str
        The tomogram's partition key.

    Returns
    -------
    dict of str to Any
        One value per catalogue column (None where nothing is known), as `progress_row`, with the
        status and problem overridden when the chain has failures or stale outputs.
    """
    row = progress_row(layout, key)
    if row["status"] == "invalid key":
        return row
    problems = partition_problems(layout, key, _tomogram_folders(layout, key))
    if problems:
        failed = any(" failed: " in line for line in problems)
        row.update(status="failed" if failed else "stale", problem="; ".join(problems))
    return row


def progress_row(layout: StoreLayout, key: str) -> dict[str, Any]:
    """What the store holds for tomogram `key`, with `status` saying how far it got.

    Parameters
    ----------
    layout, key
        As for `catalog_row`.

    Returns
    -------
    dict of str to Any
        One value per catalogue column (None where nothing is known). The status is "invalid key",
        "not ingested" (no readable record), "ingested", "limits" (contrast limits written) or
        "complete" (Neuroglancer state and URL written).
    """
    row: dict[str, Any] = {column: None for column in CATALOG_COLUMNS}
    row.update(key=key, status="not ingested")
    if not is_valid_partition_key(key):
        row.update(key=ascii(key), status="invalid key")
        return row
    try:
        record = TomogramRecord.load(layout.published(layout.raw_tomogram_dir(key)))
    except InputError:
        return row
    row.update(
        status="ingested",
        source=record.public_url or record.source,
        source_format=record.source_format,
        shape_z=record.shape[0],
        shape_y=record.shape[1],
        shape_x=record.shape[2],
        dtype=record.dtype,
        voxel_size_angstrom=record.voxel_size[2],
    )
    limits = _read_json(layout.limits_file(key))
    if limits:
        row.update(
            status="limits",
            gmm_low=limits["gmm"][0],
            gmm_high=limits["gmm"][1],
            cdf_low=limits["cdf"][0],
            cdf_high=limits["cdf"][1],
            percentile_low=limits["percentile"][0],
            percentile_high=limits["percentile"][1],
            engine=limits.get("engine"),
        )
    state_file, url_file = layout.state_file(key), layout.url_file(key)
    if state_file.is_file() and url_file.is_file():
        row.update(status="complete", state_path=layout.relative(state_file), url=url_file.read_text().strip())
    return row


def build_tomogram_catalog(layout: StoreLayout, keys: Iterable[str]) -> pd.DataFrame:
    """The catalogue over `keys`, sorted by key, with a fixed column order.

    Parameters
    ----------
    layout : StoreLayout
        The store.
    keys : iterable of str
        The tomograms' partition keys (duplicates count once).

    Returns
    -------
    pandas.DataFrame
        One `catalog_row` per key, in CATALOG_COLUMNS order; limits and voxel size as float64, the
        shape as nullable Int64.
    """
    rows = [catalog_row(layout, key) for key in sorted(set(keys))]
    table = pd.DataFrame(rows, columns=CATALOG_COLUMNS)
    for column in ("gmm_low", "gmm_high", "cdf_low", "cdf_high", "percentile_low", "percentile_high", "voxel_size_angstrom"):
        table[column] = table[column].astype("float64")
    for column in ("shape_z", "shape_y", "shape_x"):
        table[column] = table[column].astype("Int64")
    return table
