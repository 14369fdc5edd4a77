"""Benchmark of a landing sensor tick at scale: the tomogram landing sensor against a full walk.

    .venv/bin/python benchmarks/sensors.py [--sizes 100,1000,10000] [--chunks 100] [--rounds 3]

For each size N, writes N landing items under benchmarks/.work/sensors/<N>/ (once): half MRC files,
half small OME-Zarr folders (`.zgroup`, `.zattrs`, one array with `.zarray` and `--chunks` empty chunk
files), and registers the N partitions in a fresh Dagster instance. Then times, with a warm cache:
- `first tick`: `tomogram_landing_sensor` from no cursor (every item new; quiet period 0);
- `steady tick`: the sensor from the first tick's cursor with nothing new (median of `--rounds`), which
  includes reading the N registered partitions from the instance;
- `full walk`: the previous fingerprint (name, size and time of every file below each item, the
  baseline), over the same items, as its steady tick had to do, with its cursor (key to fingerprint).
Prints a markdown table with the cursor sizes and the ratios measured in this run. The steady tick's
CPU time (this process) is printed beside its wall time: on a shared machine the wall time also
counts waiting for the cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "sensors"


def write_landing(folder: Path, count: int, chunks: int) -> int:
    """Write `count` items (even: MRC, odd: OME-Zarr with `chunks` empty chunk files) once; return the files."""
    done = folder / ".complete"
    files = 0
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            if index % 2 == 0:
                (folder / f"tomo-{index:05d}.mrc").write_bytes(b"\0" * 1024)
                continue
            item = folder / f"tomo-{index:05d}.ome.zarr"
            (item / "0").mkdir(parents=True, exist_ok=True)
            (item / ".zgroup").write_text('{"zarr_format": 2}')
            (item / ".zattrs").write_text('{"multiscales": []}')
            (item / "0" / ".zarray").write_text("{}")
            for chunk in range(chunks):
                os.close(os.open(item / "0" / f"0.{chunk // 10}.{chunk % 10}", os.O_CREAT | os.O_WRONLY, 0o644))
        done.write_text("")
    for _, _, names in os.walk(folder):
        files += len(names)
    return files - 1


def full_walk_fingerprint(path: Path) -> str:
    """The baseline: every file's relative name, size and modification time below `path`."""
    digest = hashlib.sha256()
    found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in found:
        status = file.stat()
        digest.update(f"{file.relative_to(path.parent)}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def timed(action):
    """(wall seconds, result) of `action()`; the CPU seconds of the last call are kept in `CPU`."""
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    CPU[0] = time.process_time() - cpu
    return time.perf_counter() - started, result


CPU = [0.0]


def measure(count: int, chunks: int, rounds: int) -> dict:
    """Ticks over `count` landed items with `count` registered partitions."""
    import dagster as dg

    from em_assets.core.store import StoreLayout
    from em_assets.dagster_support.local_runs import evaluate_sensor
    from em_assets.defs.tomograms.landing_sensor import tomogram_landing_sensor

    home = WORK / str(count)
    layout = StoreLayout(home)
    files = write_landing(layout.tomogram_landing, count, chunks)
    os.environ["EM_ASSETS_HOME"] = str(home)
    with tempfile.TemporaryDirectory() as dagster_home:
        (Path(dagster_home) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        os.environ["DAGSTER_HOME"] = dagster_home
        with dg.instance_for_test(temp_dir=dagster_home) as instance:
            from em_assets.dagster_support.local_runs import code_location

            defs = code_location()
            name = tomogram_landing_sensor.name
            first_seconds, first = timed(lambda: evaluate_sensor(defs, instance, name))
            assert len(first.run_requests) == count, len(first.run_requests)
            instance.add_dynamic_partitions("tomogram", [r.partition_key for r in first.run_requests])
            cursor, steady, steady_cpu = first.cursor, [], []
            for _ in range(rounds + 1):  # the first steady tick settles the watermark; it is not timed
                seconds, result = timed(lambda: evaluate_sensor(defs, instance, name, cursor))
                assert not getattr(result, "run_requests", None), "a steady tick requested runs"
                cursor = cursor if isinstance(result, dg.SkipReason) else result.cursor
                steady.append(seconds)
                steady_cpu.append(CPU[0])
            steady, steady_cpu = steady[1:], steady_cpu[1:]
    items = sorted(p for p in layout.tomogram_landing.iterdir() if not p.name.startswith("."))
    walks = []
    for _ in range(rounds):
        seconds, prints = timed(lambda: {p.name: full_walk_fingerprint(p) for p in items})
        walks.append(seconds)
    old_cursor = json.dumps({name.split(".")[0]: fp for name, fp in prints.items()}, sort_keys=True)
    return {
        "items": count,
        "files": files,
        "first": first_seconds,
        "steady": statistics.median(steady),
        "steady_cpu": statistics.median(steady_cpu),
        "walk": statistics.median(walks),
        "cursor": len(cursor.encode()),
        "first_cursor": len(first.cursor.encode()),
        "old_cursor": len(old_cursor.encode()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated landing item counts")
    parser.add_argument("--chunks", type=int, default=100, help="chunk files per OME-Zarr item")
    parser.add_argument("--rounds", type=int, default=3, help="steady ticks and walks timed (median)")
    args = parser.parse_args()
    os.environ["EM_ASSETS_LANDING_QUIET_SECONDS"] = "0"
    os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
    sys.path.insert(0, str(ROOT))
    rows = [measure(int(size), args.chunks, args.rounds) for size in args.sizes.split(",") if size]
    print(
        "| items | files | first tick | steady tick (CPU) | full walk (baseline) | walk / steady "
        "| cursor (after first tick) | baseline cursor | steady per item |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['items']:,} | {row['files']:,} | {row['first']:.2f} s "
            f"| {row['steady']:.3f} s ({row['steady_cpu']:.3f} s) "
            f"| {row['walk']:.2f} s | {row['walk'] / row['steady']:.1f}× "
            f"| {row['cursor']:,} B ({row['first_cursor']:,} B) "
            f"| {row['old_cursor']:,} B | {1e6 * row['steady'] / row['items']:.0f} µs |"
        )
    if len(rows) > 1:
        low, high = rows[0], rows[-1]
        scale = high["items"] / low["items"]
        print(
            f"\nFrom {low['items']:,} to {high['items']:,} items (×{scale:g}): steady tick ×"
            f"{high['steady'] / low['steady']:.1f}, cursor ×{high['cursor'] / low['cursor']:.1f}, "
            f"full walk ×{high['walk'] / low['walk']:.1f}."
        )


if __name__ == "__main__":
    main()
