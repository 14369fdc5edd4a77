"""One metadata table over every dataset: exact duplicates dropped, conflicting synapse ids reported."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from em_assets.core.chunk_metadata import META_COLUMNS, META_DTYPES

MERGED_COLUMNS = ("dataset", "synapse_id", "filename", "path", *META_COLUMNS[2:])
MERGED_DTYPES = {**META_DTYPES, "dataset": "str", "path": "str"}


@dataclass(frozen=True)
class MergedMetadata:
    """The merged table, how many exact duplicates were dropped and the conflicting rows."""

    table: pd.DataFrame
    dropped_duplicates: int
    conflicts: pd.DataFrame

    @property
    def conflicting_ids(self) -> list[str]:
        """Synapse ids that carry different values in different datasets."""
        return sorted(set(self.conflicts["synapse_id"]))


def merge_metadata_tables(
    tables: Mapping[str, pd.DataFrame], tensor_path: Callable[[str, str], str]
) -> MergedMetadata:
    """Stack per-dataset `meta.csv` tables with a `dataset` column and a store-relative `path`.

    Rows equal in every notebook column (id, file name, volumes, cutouts) are kept once, from the
    first dataset in name order; an id left in several rows is a conflict.
    """
    frames = []
    for dataset in sorted(tables):
        frame = tables[dataset].loc[:, list(META_COLUMNS)].copy()
        frame.insert(0, "dataset", dataset)
        frame.insert(3, "path", [tensor_path(dataset, name) for name in frame["filename"]])
        frames.append(frame)
    if not frames:
        empty = pd.DataFrame({column: pd.Series(dtype=MERGED_DTYPES[column]) for column in MERGED_COLUMNS})
        return MergedMetadata(empty, 0, empty.copy())
    stacked = pd.concat(frames, ignore_index=True).sort_values(["dataset", "synapse_id"], kind="stable")
    unique = stacked.drop_duplicates(subset=list(META_COLUMNS), keep="first")
    merged = unique.loc[:, list(MERGED_COLUMNS)].astype(MERGED_DTYPES).reset_index(drop=True)
    conflicts = merged[merged["synapse_id"].duplicated(keep=False)].reset_index(drop=True)
    return MergedMetadata(merged, len(stacked) - len(unique), conflicts)


def read_merged_csv(path: Path) -> pd.DataFrame:
    """Read a merged CSV back with ids, names and paths as strings."""
    text_columns = {column: str for column in ("dataset", "synapse_id", "filename", "path")}
    return pd.read_csv(path, dtype=text_columns, keep_default_na=False).astype(MERGED_DTYPES)
