"""Merging datasets' metadata: string ids, explicit columns, duplicates dropped, conflicts reported."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from em_assets.core.atomic import write_table
from em_assets.core.synapses.metadata import (
    MERGED_COLUMNS,
    META_COLUMNS,
    ChunkRecord,
    merge_metadata_tables,
    read_merged_csv,
    read_meta_csv,
    write_meta_csv,
)


def _record(synapse_id: str, pre: int = 10, cutouts: int = 0) -> ChunkRecord:
    return ChunkRecord(synapse_id, f"{synapse_id}__2_8_8_3.npy", pre, 20, 5, cutouts)


def _tensor_path(dataset: str, filename: str) -> str:
    return f"processed_chunks/{dataset}/{filename}"


def test_meta_csv_round_trip_keeps_leading_zeros(tmp_path: Path) -> None:
    write_meta_csv([_record("00123"), _record("0"), _record("1e5")], tmp_path / "meta.csv")
    table = read_meta_csv(tmp_path / "meta.csv")
    assert list(table.columns) == list(META_COLUMNS)
    assert list(table["synapse_id"]) == ["0", "00123", "1e5"]
    assert list(table["filename"]) == ["0__2_8_8_3.npy", "00123__2_8_8_3.npy", "1e5__2_8_8_3.npy"]


def test_merge_adds_dataset_and_store_relative_path_in_explicit_column_order(tmp_path: Path) -> None:
    tables = {}
    for dataset, records in {"b": [_record("007")], "a": [_record("0100"), _record("0099")]}.items():
        write_meta_csv(records, tmp_path / f"{dataset}.csv")
        tables[dataset] = read_meta_csv(tmp_path / f"{dataset}.csv")
    merged = merge_metadata_tables(tables, _tensor_path)
    assert list(merged.table.columns) == list(MERGED_COLUMNS)
    rows = merged.table[["dataset", "synapse_id"]].values.tolist()
    assert rows == [["a", "0099"], ["a", "0100"], ["b", "007"]]
    assert merged.table["path"].iloc[2] == "processed_chunks/b/007__2_8_8_3.npy"
    csv_path, parquet_path = write_table(merged.table, tmp_path / "merged.csv", tmp_path / "merged.parquet")
    pd.testing.assert_frame_equal(read_merged_csv(csv_path), merged.table)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet_path), merged.table)
    assert list(pd.read_parquet(parquet_path)["synapse_id"]) == ["0099", "0100", "007"]


def test_exact_duplicates_across_datasets_are_kept_once() -> None:
    frame = pd.DataFrame([_record("01").to_dict(), _record("02").to_dict()])
    merged = merge_metadata_tables({"y": frame, "x": frame.iloc[:1]}, _tensor_path)
    assert merged.dropped_duplicates == 1
    assert merged.table[["dataset", "synapse_id"]].values.tolist() == [["x", "01"], ["y", "02"]]
    assert merged.conflicting_ids == []


def test_same_id_with_different_values_is_a_conflict() -> None:
    first = pd.DataFrame([_record("01").to_dict(), _record("02").to_dict()])
    second = pd.DataFrame([_record("01", cutouts=3).to_dict()])
    merged = merge_metadata_tables({"x": first, "y": second}, _tensor_path)
    assert merged.dropped_duplicates == 0
    assert len(merged.table) == 3
    assert merged.conflicting_ids == ["01"]
    assert merged.conflicts["dataset"].tolist() == ["x", "y"]


def test_merging_nothing_gives_an_empty_table_with_the_columns() -> None:
    merged = merge_metadata_tables({}, _tensor_path)
    assert list(merged.table.columns) == list(MERGED_COLUMNS)
    assert merged.table.empty and merged.conflicting_ids == []
