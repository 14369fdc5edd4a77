"""Benchmark of `merged_metadata` against plain pandas on the same `meta.csv` files.

    .venv/bin/python benchmarks/merge.py [--datasets 100,300] [--synapses 1000] [--rounds 3]

For each dataset count, writes a store under benchmarks/.work/merge/<N>/ (once): N datasets of
`--synapses` synapses each, every `meta.csv` written by `write_meta_csv` and every tensor an empty file
in its `processed_chunks` folder; 1% of each dataset's rows repeat the previous dataset's rows exactly
(dropped as duplicates). Each method runs in its own process, `--rounds` times (median, warm cache):
- `pandas`: `pandas.read_csv` of every file, `pandas.concat`, `drop_duplicates` (the baseline);
- `pandas + write`: the same, then the table written as CSV and Parquet;
- `merged_metadata`: what the asset does: `read_meta_csv` of every file, `merge_metadata_tables`
  with store-relative paths, both checks (conflicting ids, every tensor path resolves), `write_table`.
Prints a markdown table with wall and CPU seconds (on a shared machine wall time also counts
waiting for the cores), peak RSS (including the interpreter and pandas) and the ratios measured
in this run, and checks the asset's CSV holds the baseline's rows.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "merge"
SHARED_FRACTION = 0.01


def write_store(home: Path, datasets: int, synapses: int) -> list[str]:
    """Write the datasets' `meta.csv` files and empty tensors once; return the dataset keys."""
    from em_assets.core.store import StoreLayout
    from em_assets.core.synapses.metadata import ChunkRecord, write_meta_csv

    layout = StoreLayout(home)
    keys = [f"dataset-{index:04d}" for index in range(datasets)]
    if (home / ".complete").exists():
        return keys
    shared = int(synapses * SHARED_FRACTION)
    previous: list[ChunkRecord] = []
    for index, key in enumerate(keys):
        own = [
            ChunkRecord(f"{index:04d}{row:06d}", f"{index:04d}{row:06d}__2_256_256_52.npy", row, 2 * row, row % 97, row % 5)
            for row in range(synapses - (shared if previous else 0))
        ]
        records = own + previous[:shared]
        write_meta_csv(records, layout.meta_file(key))
        folder = layout.processed_chunks_dir(key)
        folder.mkdir(parents=True, exist_ok=True)
        for record in records:
            (folder / record.filename).touch()
        previous = own
    (home / ".complete").write_text("")
    return keys


def run_pandas(home: Path, keys: list[str], write: bool) -> int:
    """The baseline: read every file, concatenate, drop duplicates (and write, if asked)."""
    import pandas as pd

    from em_assets.core.store import StoreLayout

    layout = StoreLayout(home)
    frames = [pd.read_csv(layout.meta_file(key)) for key in keys]
    table = pd.concat(frames, ignore_index=True).drop_duplicates()
    if write:
        out = home / "baseline"
        out.mkdir(exist_ok=True)
        table.to_csv(out / "merged.csv", index=False)
        table.to_parquet(out / "merged.parquet", index=False)
    return len(table)


def run_asset(home: Path, keys: list[str]) -> int:
    """What `merged_metadata` computes and writes, through the same functions."""
    from em_assets.core.atomic import write_table
    from em_assets.core.store import StoreLayout
    from em_assets.core.synapses.metadata import (
        merge_metadata_tables,
        read_meta_csv,
        unresolved_paths,
    )
    from em_assets.defs.synapses.merged_metadata import tensor_path

    layout = StoreLayout(home)
    paths = {key: layout.meta_file(key) for key in keys}
    tables = {key: read_meta_csv(path) for key, path in paths.items() if path.is_file()}
    merged = merge_metadata_tables(tables, lambda dataset, name: tensor_path(layout, dataset, name))
    assert not merged.conflicting_ids
    assert not unresolved_paths(merged.table["path"], layout.store)
    write_table(merged.table, *layout.merged_metadata_files())
    return len(merged.table)


def child(method: str, home: Path, keys: list[str]) -> None:
    """Run `method` once in this process and print its seconds, rows and peak RSS as JSON."""
    import pandas  # noqa: F401  (imported before timing, as in a running code location)

    import em_assets.defs.synapses.merged_metadata  # noqa: F401

    started, cpu = time.perf_counter(), time.process_time()
    if method == "merged_metadata":
        rows = run_asset(home, keys)
    else:
        rows = run_pandas(home, keys, write=method == "pandas + write")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mb": peak_mb}))


def measure(method: str, home: Path, datasets: int, synapses: int) -> dict:
    """One run of `method` in a fresh process."""
    command = [sys.executable, __file__, "--child", method, "--home", str(home), "--datasets", str(datasets),
               "--synapses", str(synapses)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="100,300", help="comma-separated dataset counts")
    parser.add_argument("--synapses", type=int, default=1000, help="synapses per dataset")
    parser.add_argument("--rounds", type=int, default=3, help="runs per method (median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        home = Path(args.home)
        child(args.child, home, write_store(home, int(args.datasets), args.synapses))
        return
    methods = ("pandas", "pandas + write", "merged_metadata")
    print(
        "| datasets | rows | method | seconds | CPU seconds | peak RSS | time / pandas | time / pandas + write "
        "| CPU / pandas |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for datasets in (int(text) for text in args.datasets.split(",") if text):
        home = WORK / str(datasets)
        write_store(home, datasets, args.synapses)
        results = {}
        for method in methods:
            runs = [measure(method, home, datasets, args.synapses) for _ in range(args.rounds)]
            results[method] = {
                "seconds": statistics.median(run["seconds"] for run in runs),
                "cpu": statistics.median(run["cpu"] for run in runs),
                "peak_mb": max(run["peak_mb"] for run in runs),
                "rows": runs[0]["rows"],
            }
        assert results["merged_metadata"]["rows"] == results["pandas"]["rows"], results
        for method in methods:
            row = results[method]
            print(
                f"| {datasets} | {row['rows']:,} | {method} | {row['seconds']:.2f} s | {row['cpu']:.2f} s "
                f"| {row['peak_mb']:.0f} MB | {row['seconds'] / results['pandas']['seconds']:.2f}× "
                f"| {row['seconds'] / results['pandas + write']['seconds']:.2f}× "
                f"| {row['cpu'] / results['pandas']['cpu']:.2f}× |"
            )


if __name__ == "__main__":
    main()
