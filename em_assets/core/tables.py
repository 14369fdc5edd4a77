"""Write a table as CSV and Parquet side by side, atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from em_assets.core.storage import atomic_file


def write_table(table: pd.DataFrame, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write `table` to `folder/stem.csv` and `folder/stem.parquet`; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"{stem}.csv", folder / f"{stem}.parquet"
    with atomic_file(csv_path) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_file(parquet_path) as tmp:
        table.to_parquet(tmp, index=False)
    return csv_path, parquet_path
