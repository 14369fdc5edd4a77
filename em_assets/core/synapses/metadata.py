"""The per-dataset `meta.csv` (one row per processed synapse, in the notebook's columns and types)
and the merge of every dataset's table into one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from em_assets.core.atomic import atomic_file
from em_assets.core.errors import InputError

META_COLUMNS = (
    "synapse_id",
    "filename",
    "pre_synaptic_volume",
    "post_synaptic_volume",
    "synaptic_cleft_volume",
    "n_cutout_sections",
)
VOLUME_COLUMNS = META_COLUMNS[2:5]
META_DTYPES = {
    "synapse_id": "str",
    "filename": "str",
    "pre_synaptic_volume": "float",
    "post_synaptic_volume": "float",
    "synaptic_cleft_volume": "float",
    "n_cutout_sections": "int",
}
MERGED_COLUMNS = ("dataset", "synapse_id", "filename", "path", *META_COLUMNS[2:])
MERGED_DTYPES = {**META_DTYPES, "dataset": "str", "path": "str"}


@dataclass(frozen=True)
class ChunkRecord:
    """What processing one synapse produced: its tensor file and the notebook's statistics."""

    synapse_id: str
    filename: str
    pre_synaptic_volume: int
    post_synaptic_volume: int
    synaptic_cleft_volume: int
    n_cutout_sections: int

    def to_dict(self) -> dict[str, str | int]:
        """The record as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> ChunkRecord:
        """Read a record written by `to_dict`."""
        return cls(
            synapse_id=str(row["synapse_id"]),
            filename=str(row["filename"]),
            pre_synaptic_volume=int(row["pre_synaptic_volume"]),
            post_synaptic_volume=int(row["post_synaptic_volume"]),
            synaptic_cleft_volume=int(row["synaptic_cleft_volume"]),
            n_cutout_sections=int(row["n_cutout_sections"]),
        )


def metadata_table(records: Iterable[ChunkRecord]) -> pd.DataFrame:
    """The notebook's metadata frame, rows sorted by synapse id (as strings)."""
    rows = sorted(records, key=lambda record: record.synapse_id)
    return pd.DataFrame(
        {
            column: pd.Series([getattr(row, column) for row in rows], dtype=META_DTYPES[column])
            for column in META_COLUMNS
        }
    )


def write_meta_csv(records: Iterable[ChunkRecord], target: Path) -> pd.DataFrame:
    """Write `meta.csv` atomically (same bytes as the notebook's `to_csv(index=False)`)."""
    table = metadata_table(records)
    with atomic_file(target) as tmp:
        table.to_csv(tmp, index=False)
    return table


def read_meta_csv(path: Path) -> pd.DataFrame:
    """Read a `meta.csv` keeping synapse ids and file names as strings (leading zeros survive)."""
    try:
        table = pd.read_csv(path, dtype={"synapse_id": str, "filename": str}, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputError(path, f"cannot be read as a metadata table ({error})") from None
    missing = [column for column in META_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(path, f"is missing the columns {', '.join(missing)}")
    return table.loc[:, list(META_COLUMNS)].astype(META_DTYPES)


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
