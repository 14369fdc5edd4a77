"""A pandas table as Dagster table metadata, so the UI shows rows and columns rather than markdown."""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

PREVIEW_ROWS = 20


def _column_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    return "string"


def _cell(value: object) -> str | int | float | bool | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def table_preview(table: pd.DataFrame, max_rows: int = PREVIEW_ROWS) -> dg.TableMetadataValue:
    """The first `max_rows` rows of `table` with a schema of its columns (missing values empty)."""
    schema = dg.TableSchema(
        columns=[dg.TableColumn(str(name), _column_type(table[name])) for name in table.columns]
    )
    records = [
        dg.TableRecord({str(name): _cell(value) for name, value in row.items()})
        for _, row in table.head(max_rows).iterrows()
    ]
    return dg.MetadataValue.table(records, schema)
