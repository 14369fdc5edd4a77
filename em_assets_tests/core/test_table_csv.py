"""`csv_bytes` gives the bytes `DataFrame.to_csv(index=False)` writes: joined as text for plain tables,
through `to_csv` for anything that needs quoting, a missing value or another dtype."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from em_assets.core.table_csv import csv_bytes

PLAIN = {
    "strings, ints, whole floats": pd.DataFrame(
        {"name": pd.Series(["a", "é", "日本", ""], dtype="str"), "n": [1, -2, 3, 0], "v": [0.0, -3.0, 1e15, 9999999999999998.0]}
    ),
    "fractions, large and small floats": pd.DataFrame(
        {"v": [0.1, -2.5, 1e16, 1e-7, 123456.789], "w": np.array([0.1, 3.3, 7.0, -1.5, 2.0], dtype=np.float32)}
    ),
    "negative zero": pd.DataFrame({"v": [-0.0, 1.0], "s": ["x", "y"]}),
    "no rows": pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype=float)}),
    "strings stacked from two frames (two Arrow chunks)": pd.concat(
        [pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}), pd.DataFrame({"a": ["z"], "b": [3]})], ignore_index=True
    ),
    "Python-backed strings": pd.DataFrame({"a": pd.array(["x", "é"], dtype="string[python]"), "b": [1, 2]}),
    "object strings, small ints": pd.DataFrame({"a": np.array(["p q", " x "], dtype=object), "b": np.array([1, 2], dtype=np.int8)}),
}
NEEDS_TO_CSV = {
    "a comma": pd.DataFrame({"a": ["x,y", "b"], "b": [1.5, 2.0]}),
    "a quote": pd.DataFrame({"a": ['q"', "x"], "b": [1, 2]}),
    "a carriage return": pd.DataFrame({"a": ["a\rb", "x"], "b": [1, 2]}),
    "a missing string": pd.DataFrame({"a": ["x", None], "b": [1, 2]}),
    "a missing float": pd.DataFrame({"a": ["x", "y"], "b": [np.nan, 2.0]}),
    "an infinite float": pd.DataFrame({"a": ["x", "y"], "b": [np.inf, 2.0]}),
    "a nullable integer": pd.DataFrame({"a": pd.array([1, None], dtype="Int64"), "b": [1, 2]}),
    "booleans": pd.DataFrame({"a": [True, False], "b": [1, 2]}),
    "one column": pd.DataFrame({"a": ["", "x"]}),
    "a header with a comma": pd.DataFrame({"a,b": ["x", "y"], "c": [1, 2]}),
    "a line break in stacked strings": pd.concat(
        [pd.DataFrame({"a": ["x", "y"], "b": [1, 2]}), pd.DataFrame({"a": ["z\nw"], "b": [3]})], ignore_index=True
    ),
    "two header rows": pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
    "two columns of one name": pd.DataFrame([[1, "x"], [2, "y"]], columns=["a", "a"]),
    "mixed objects": pd.DataFrame({"a": np.array(["x", 1], dtype=object), "b": [1, 2]}),
}


def _expected(table: pd.DataFrame, path: Path) -> bytes:
    """What pandas writes to a file."""
    table.to_csv(path, index=False)
    return path.read_bytes()


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_tables_are_joined_without_to_csv(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _expected(PLAIN[name], tmp_path / "expected.csv")
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *args, **kwargs: pytest.fail("to_csv called"))
    assert csv_bytes(PLAIN[name]) == expected


@pytest.mark.parametrize("name", sorted(NEEDS_TO_CSV))
def test_other_tables_go_through_to_csv(name: str, tmp_path: Path) -> None:
    expected = _expected(NEEDS_TO_CSV[name], tmp_path / "expected.csv")
    assert csv_bytes(NEEDS_TO_CSV[name]) == expected


@settings(derandomize=True, database=None, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.text(max_size=6), min_size=1, max_size=8),
    numbers=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=8, max_size=8),
    wholes=st.lists(st.integers(-(2**62), 2**62), min_size=8, max_size=8),
)
def test_any_table_has_the_bytes_of_to_csv(texts: list[str], numbers: list[float], wholes: list[int], tmp_path: Path) -> None:
    count = len(texts)
    table = pd.DataFrame(
        {"s": pd.Series(texts, dtype="str"), "f": numbers[:count], "w": [float(value) for value in wholes[:count]], "i": wholes[:count]}
    )
    assert csv_bytes(table) == _expected(table, tmp_path / "expected.csv")
