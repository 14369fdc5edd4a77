"""The per-dataset `meta.csv`: one row per processed synapse, in the notebook's columns and types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from em_assets.core.errors import InputError
from em_assets.core.storage import atomic_file

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
