"""Benchmark of `merged_metadata` against plain pandas on the same `meta.csv` files.

    .venv/bin/python benchmarks/merge.py [--datasets 100,300] [--synapses 1000] [--rounds 3]

For each dataset count, writes a store under benchmarks/.work/merge/<N>/ (once): N datasets of
`--synapses` synapses each, every `meta.csv` written by `write_meta_csv` and every tensor an empty file
in its `processed_chunks` folder; 1% of each dataset's rows repeat the previous dataset's rows exactly
(dropped as duplicates). Each method runs in its own process, `--rounds` rounds interleaved (median, warm cache), timed after
its imports (pandas, Dagster and the asset's module are imported first, as in a run worker):
- `pandas`: `pandas.read_csv` of every file, `pandas.concat`, `drop_duplicates` (the baseline);
- `pandas + write`: the same with ids and file names read as text (the asset's table), then written
  as CSV and Parquet with `to_csv` and `to_parquet` (no fsync);
- `merged_metadata`: the asset itself, invoked on this store with the N partitions registered in an
  ephemeral instance: every check, the CSV and Parquet staged, fsynced, sealed and published.
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
    """The baseline: read every file, concatenate, drop duplicates; or, to write the same table, read ids
    and file names as text (as ints the ids lose their leading zeros) and write it as CSV and Parquet."""
    import pandas as pd

    from em_assets.core.store import StoreLayout

    layout = StoreLayout(home)
    text = {"dtype": {"synapse_id": str, "filename": str}, "keep_default_na": False} if write else {}
    frames = [pd.read_csv(layout.meta_file(key), **text) for key in keys]
    table = pd.concat(frames, ignore_index=True).drop_duplicates()
    if write:
        out = home / "baseline"
        out.mkdir(exist_ok=True)
        table.to_csv(out / "merged.csv", index=False)
        table.to_parquet(out / "merged.parquet", index=False)
    return len(table)


def run_asset(home: Path, keys: list[str]) -> tuple[int, float, float]:
    """The `merged_metadata` asset itself, invoked directly on this store with the N partitions registered.

    Returns the rows and the wall and CPU seconds of the call alone (the instance is made before).
    """
    import dagster as dg

    from em_assets.defs.resources import StoreResource
    from em_assets.defs.synapses.merged_metadata import merged_metadata
    from em_assets.defs.synapses.partitions import em_dataset_partitions

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(em_dataset_partitions.name, keys)
    context = dg.build_asset_context(instance=instance)
    store = StoreResource(home=str(home))
    started, cpu = time.perf_counter(), time.process_time()
    result = merged_metadata(context=context, store=store)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.metadata["published"] and not result.metadata["datasets_not_current"], result.metadata
    return result.metadata["dagster/row_count"], seconds, cpu


def child(method: str, home: Path, keys: list[str]) -> None:
    """Run `method` once in this process and print its seconds, rows and peak RSS as JSON."""
    import pandas  # noqa: F401  (imported before timing, as in a running code location)

    import em_assets.defs.synapses.merged_metadata  # noqa: F401

    if method == "merged_metadata":
        rows, seconds, cpu = run_asset(home, keys)
    else:
        started, cpu = time.perf_counter(), time.process_time()
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
        "| CPU / pandas | CPU / pandas + write |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for datasets in (int(text) for text in args.datasets.split(",") if text):
        home = WORK / str(datasets)
        write_store(home, datasets, args.synapses)
        results = {}
        runs_of: dict[str, list[dict]] = {method: [] for method in methods}
        for _ in range(args.rounds):
            for method in methods:
                runs_of[method].append(measure(method, home, datasets, args.synapses))
        for method, runs in runs_of.items():
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
                f"| {row['cpu'] / results['pandas']['cpu']:.2f}× | {row['cpu'] / results['pandas + write']['cpu']:.2f}× |"
            )


if __name__ == "__main__":
    main()
