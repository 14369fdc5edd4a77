"""The per-dataset `meta.csv` (one row per processed synapse, in the notebook's columns and types)
and the merge of every dataset's table into one."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from em_assets.core.atomic import atomic_file
from em_assets.core.errors import InputError
from em_assets.core.shared_store import file_names

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
        """Read a record written by `to_dict`.

        Parameters
        ----------
        row : dict
            A mapping with every field of `ChunkRecord`; values are converted to str or int.

        Returns
        -------
        ChunkRecord
            The record.

        Raises
        ------
        KeyError
            If a field is missing.
        ValueError
            If a volume or count is not an integer.
        """
        return cls(
            synapse_id=str(row["synapse_id"]),
            filename=str(row["filename"]),
            pre_synaptic_volume=int(row["pre_synaptic_volume"]),
            post_synaptic_volume=int(row["post_synaptic_volume"]),
            synaptic_cleft_volume=int(row["synaptic_cleft_volume"]),
            n_cutout_sections=int(row["n_cutout_sections"]),
        )


def metadata_table(records: Iterable[ChunkRecord]) -> pd.DataFrame:
    """The notebook's metadata frame, rows sorted by synapse id (as strings).

    Parameters
    ----------
    records : Iterable[ChunkRecord]
        The records of the processed synapses.

    Returns
    -------
    pandas.DataFrame
        One row per record with the columns `META_COLUMNS` and dtypes `META_DTYPES`.
    """
    rows = sorted(records, key=lambda record: record.synapse_id)
    return pd.DataFrame(
        {
            column: pd.Series([getattr(row, column) for row in rows], dtype=META_DTYPES[column])
            for column in META_COLUMNS
        }
    )


def write_meta_csv(records: Iterable[ChunkRecord], target: Path) -> pd.DataFrame:
    """Write `meta.csv` atomically (same bytes as the notebook's `to_csv(index=False)`).

    Parameters
    ----------
    records : Iterable[ChunkRecord]
        The records of the processed synapses.
    target : Path
        The CSV file to write.

    Returns
    -------
    pandas.DataFrame
        The table written (see `metadata_table`).
    """
    table = metadata_table(records)
    with atomic_file(target) as tmp:
        table.to_csv(tmp, index=False)
    return table


def read_meta_csv(path: Path) -> pd.DataFrame:
    """Read a `meta.csv` keeping synapse ids and file names as strings (leading zeros survive).

    Parameters
    ----------
    path : Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        The columns `META_COLUMNS` in that order, with dtypes `META_DTYPES`; other columns dropped.

    Raises
    ------
    InputError
        If the file cannot be read or parsed as CSV, or lacks one of `META_COLUMNS`.
    """
    try:
        with path.open("rb") as stream:
            table = pd.read_csv(stream, dtype={"synapse_id": str, "filename": str}, keep_default_na=False)
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


def _header_line() -> bytes:
    return (",".join(META_COLUMNS) + "\n").encode()


def _stackable_body(text: bytes) -> bytes | None:
    """The rows of a `meta.csv` as `write_meta_csv` writes them (header first, one line per row, no
    quoting), or None when the file needs a parser of its own."""
    header = _header_line()
    if not text.startswith(header):
        return None
    body = text[len(header) :]
    if b'"' in body or b"\r" in body or b"\n\n" in body or body.startswith(b"\n"):
        return None
    return body if not body or body.endswith(b"\n") else body + b"\n"


def read_meta_csvs(paths: Mapping[str, Path]) -> dict[str, pd.DataFrame]:
    """Read many `meta.csv` files at once, as `read_meta_csv` reads each.

    Files in the layout `write_meta_csv` writes are parsed together in one pass; any other file is
    read on its own, so an error still names the file.

    Parameters
    ----------
    paths : Mapping[str, Path]
        Dataset name to its `meta.csv`.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Dataset name to its table (the notebook's columns and types), equal to `read_meta_csv`'s.

    Raises
    ------
    InputError
        If a file cannot be read or lacks a column.
    """
    bodies: dict[str, bytes] = {}
    tables: dict[str, pd.DataFrame] = {}
    for dataset, path in paths.items():
        try:
            body = _stackable_body(path.read_bytes())
        except OSError as error:
            raise InputError(path, f"cannot be read as a metadata table ({error})") from None
        if body is None:
            tables[dataset] = read_meta_csv(path)
        else:
            bodies[dataset] = body
    if bodies:
        try:
            stacked = pd.read_csv(
                io.BytesIO(_header_line() + b"".join(bodies.values())),
                dtype={"synapse_id": str, "filename": str},
                keep_default_na=False,
            ).astype(META_DTYPES)
        except (ValueError, pd.errors.ParserError):
            stacked = None
        counts = [body.count(b"\n") for body in bodies.values()]
        if stacked is None or len(stacked) != sum(counts):
            return {dataset: read_meta_csv(paths[dataset]) for dataset in paths}
        starts = np.concatenate([[0], np.cumsum(counts)])
        for (dataset, _), start, stop in zip(bodies.items(), starts[:-1], starts[1:]):
            tables[dataset] = stacked.iloc[start:stop].reset_index(drop=True)
    return {dataset: tables[dataset] for dataset in paths}


_NOT_PLAIN = frozenset(("", ".", ".."))


def _plain_name(name: str) -> bool:
    return "/" not in name and name not in _NOT_PLAIN


def _text(column: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (no copy for the Arrow-backed `str` dtype)."""
    text = pa.array(column.astype("str"), type=pa.string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _text_column(text: pa.Array) -> pd.Series:
    return pd.Series(pd.array(text, dtype="str"))


def _tensor_paths(
    datasets: list[str], codes: np.ndarray, names: pa.Array, tensor_path: Callable[[str, str], str]
) -> pa.Array:
    """`tensor_path(datasets[code], name)` for every row, joining strings for plain file names."""
    probe = "probe.npy"
    folders = [tensor_path(dataset, probe) for dataset in datasets]
    prefixes = [folder[: -len(probe)] if folder.endswith("/" + probe) else None for folder in folders]
    odd = pc.any(pc.match_substring(names, "/")).as_py() or pc.any(pc.is_in(names, pa.array(sorted(_NOT_PLAIN)))).as_py()
    if None not in prefixes and not odd:
        return pc.binary_join_element_wise(pc.take(pa.array(prefixes, type=pa.string()), codes), names, "")
    paths = [
        prefixes[code] + name if prefixes[code] is not None and _plain_name(name) else tensor_path(datasets[code], name)
        for code, name in zip(codes.tolist(), names.to_pylist())
    ]
    return pa.array(paths, type=pa.string())


def _meta_columns(table: pd.DataFrame) -> pd.DataFrame:
    """`table`'s notebook columns in order (the table itself when it has exactly those)."""
    if list(table.columns) == list(META_COLUMNS):
        return table
    return table.loc[:, list(META_COLUMNS)]


def _sorted_by_id(codes: np.ndarray, ids: pa.Array) -> bool:
    """Whether rows stacked in dataset order (`codes`) are already sorted by synapse id within each dataset."""
    if len(ids) < 2:
        return True
    if ids.null_count:
        return False
    ascending = pc.greater_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
    return bool(np.all((codes[1:] != codes[:-1]) | ascending))


def _repeated(ids: pa.Array) -> np.ndarray:
    """Which rows carry an id that another row carries too."""
    codes = pc.dictionary_encode(ids, null_encoding="encode").indices.to_numpy(zero_copy_only=False)
    return np.bincount(codes)[codes] > 1 if len(codes) else np.zeros(0, dtype=bool)


def merge_metadata_tables(
    tables: Mapping[str, pd.DataFrame], tensor_path: Callable[[str, str], str]
) -> MergedMetadata:
    """Stack per-dataset `meta.csv` tables with a `dataset` column and a store-relative `path`.

    Rows equal in every notebook column (id, file name, volumes, cutouts) are kept once, from the
    first dataset in name order; an id left in several rows is a conflict.

    Parameters
    ----------
    tables : Mapping[str, pandas.DataFrame]
        Dataset name to its metadata table.
    tensor_path : Callable[[str, str], str]
        The store-relative path of a dataset's tensor file.

    Returns
    -------
    MergedMetadata
        The merged table in `MERGED_COLUMNS`, sorted by dataset then id, the number of exact
        duplicates dropped, and the conflicting rows.
    """
    names = sorted(tables)
    frames = [_meta_columns(tables[dataset]) for dataset in names]
    if not frames:
        empty = pd.DataFrame({column: pd.Series(dtype=MERGED_DTYPES[column]) for column in MERGED_COLUMNS})
        return MergedMetadata(empty, 0, empty.copy())
    stacked = pd.concat(frames, ignore_index=True)
    codes = np.repeat(np.arange(len(names)), [len(frame) for frame in frames])
    stacked.insert(0, "dataset", _text_column(pc.take(pa.array(names, type=pa.string()), codes)))
    stacked.insert(3, "path", _text_column(_tensor_paths(names, codes, _text(stacked["filename"]), tensor_path)))
    if not _sorted_by_id(codes, _text(stacked["synapse_id"])):
        stacked = stacked.sort_values(["dataset", "synapse_id"], kind="stable")
    shared = _repeated(_text(stacked["synapse_id"]))
    drop = _dropped(stacked, shared)
    unique = stacked.loc[~drop] if drop.any() else stacked
    merged = unique.loc[:, list(MERGED_COLUMNS)].astype(MERGED_DTYPES).reset_index(drop=True)
    candidates = merged.loc[shared[~drop]]
    conflicted = candidates["synapse_id"].duplicated(keep=False)
    conflicts = candidates.loc[conflicted[conflicted].index].reset_index(drop=True)
    return MergedMetadata(merged, len(stacked) - len(unique), conflicts)


def _dropped(stacked: pd.DataFrame, shared: np.ndarray) -> np.ndarray:
    """Rows equal in every notebook column to an earlier row, as `drop_duplicates` finds them, compared
    only among the rows that share an id (rows equal in every column do)."""
    drop = np.zeros(len(stacked), dtype=bool)
    if shared.any():
        repeats = stacked.loc[shared, list(META_COLUMNS)].duplicated(keep="first").to_numpy()
        drop[np.flatnonzero(shared)[repeats]] = True
    return drop


def unresolved_paths(paths: Iterable[str], root: Path) -> list[str]:
    """The store-relative paths that are not files below `root`, listing each folder once (a name such
    as ``..`` or a trailing slash, which no listing holds, is looked up on its own).

    Parameters
    ----------
    paths : Iterable[str]
        Forward-slash paths relative to `root`.
    root : Path
        The store root.

    Returns
    -------
    list[str]
        The paths (in the given order) with no file behind them; a missing or unreadable folder
        leaves every path in it unresolved.
    """
    text = pa.array(paths if isinstance(paths, pd.Series) else list(paths), type=pa.string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    # "/" + path splits at its last slash into "/" + folder (just "" for a bare name) and the name.
    parts = pc.split_pattern(pc.binary_join_element_wise("/", text, ""), "/", max_splits=1, reverse=True)
    folders = pc.dictionary_encode(pc.utf8_slice_codeunits(pc.list_element(parts, 0), 1))
    names = pc.list_element(parts, 1)
    codes = folders.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(folders.dictionary) + 1))
    found = np.zeros(len(text), dtype=bool)
    for folder, start, stop in zip(folders.dictionary.to_pylist(), bounds[:-1], bounds[1:]):
        rows = order[start:stop]
        listed = pa.array(list(file_names(root / folder)), type=pa.string())
        found[rows] = pc.is_in(names.take(rows), value_set=listed).to_numpy(zero_copy_only=False)
    unmatched = text.filter(pa.array(~found)).to_pylist()
    return [path for path in unmatched if _plain_name(path.rpartition("/")[2]) or not (root / path).is_file()]


def read_merged_csv(path: Path) -> pd.DataFrame:
    """Read a merged CSV back with ids, names and paths as strings.

    Parameters
    ----------
    path : Path
        A CSV with the columns `MERGED_COLUMNS`, as the merge writes it.

    Returns
    -------
    pandas.DataFrame
        The table with dtypes `MERGED_DTYPES`.
    """
    text_columns = {column: str for column in ("dataset", "synapse_id", "filename", "path")}
    with path.open("rb") as stream:
        return pd.read_csv(stream, dtype=text_columns, keep_default_na=False).astype(MERGED_DTYPES)
