"""A table written as CSV with the bytes of `DataFrame.to_csv(index=False)`, by Arrow's writer where that is safe.

pandas hands every row to the standard library's `csv` writer. For a table of plain strings (no comma,
quote or line break), integers and finite floats, the same bytes come from each column's text as pandas
formats it (`str` of each number, the shortest repr of each float) written by Arrow's CSV writer without
quoting, in an eighth of the time. Any other table (a value that needs quoting, a missing value, another
dtype, a single column) goes through `to_csv` itself.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

_NEEDS_QUOTING = (",", '"', "\r", "\n")
_NEEDS_QUOTING_BYTES = np.frombuffer("".join(_NEEDS_QUOTING).encode(), dtype=np.uint8)
# A whole float64 below 1e16 is written as its digits and ".0" (Python's and NumPy's shortest repr).
WHOLE_LIMIT = 1e16


def _float_text(values: np.ndarray) -> pa.Array | None:
    """`values.astype(str)` (what `to_csv` writes), through integer formatting for whole numbers."""
    if not np.isfinite(values).all():
        return None
    if values.dtype == np.float64:
        whole = (values == np.round(values)) & (np.abs(values) < WHOLE_LIMIT) & ~((values == 0) & np.signbit(values))
        if whole.all():
            return pc.binary_join_element_wise(pa.array(values.astype(np.int64)).cast(pa.string()), ".0", "")
    return pa.array(values.astype(str).tolist(), type=pa.string())


def _column_text(column: pd.Series) -> pa.Array | None:
    """The column as `to_csv` writes its fields, or None when it needs the csv writer."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):
        text = None if column.isna().any() else pa.array(column, type=pa.string())
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    elif not isinstance(dtype, np.dtype):
        return None
    elif dtype.kind in "iu":
        return pa.array(column.to_numpy()).cast(pa.string())
    elif dtype.kind == "f":
        return _float_text(column.to_numpy())
    elif dtype.kind == "O" and not column.isna().any() and pd.api.types.infer_dtype(column, skipna=False) == "string":
        text = pa.array(column.to_numpy(dtype=object), type=pa.string())
    else:
        return None
    return None if text is None or _needs_quoting(text) else text


def _needs_quoting(text: pa.Array) -> bool:
    """Whether a field may hold a comma, quote or line break (the UTF-8 bytes of those are never
    part of another character; a sliced array's whole buffer is looked at, which can only say yes)."""
    data = text.buffers()[2]
    return data is not None and bool(np.isin(np.frombuffer(data, dtype=np.uint8), _NEEDS_QUOTING_BYTES).any())


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The bytes of `table.to_csv(index=False)` (UTF-8), written by Arrow's CSV writer for a plain table.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.

    Returns
    -------
    bytes
        The header line, then one ``\\n``-terminated line per row.
    """
    names = [str(name) for name in table.columns]
    plain = len(names) > 1 and table.columns.nlevels == 1 and not table.columns.has_duplicates
    plain = plain and all(name and not any(mark in name for mark in _NEEDS_QUOTING) for name in names)
    columns = [_column_text(table[name]) for name in table.columns] if plain else [None]
    if any(column is None for column in columns):
        return table.to_csv(index=False).encode()
    stream = io.BytesIO()
    stream.write((",".join(names) + "\n").encode())
    pa_csv.write_csv(pa.table(dict(zip(names, columns))), stream, pa_csv.WriteOptions(include_header=False, quoting_style="none"))
    return stream.getvalue()
