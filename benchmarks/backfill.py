"""What batching buys a backfill of many small EM datasets: one run per dataset against a few per run.

    .venv/bin/python benchmarks/backfill.py [--datasets 12] [--per-run 1 4 12] [--chunks 2] [--size 64]

For each `--per-run` value N, in a fresh home and a fresh instance with the one-machine profile
(`deploy/dagster/local.yaml`), writes `--datasets` landing datasets of `--chunks` synthetic synapses
of `--size`³ voxels, and backfills `raw_em_chunks`, `processed_chunks` and `chunk_metadata` for all of
them with EM_ASSETS_SYNAPSE_DATASETS_PER_RUN=N, as a deployment does: Dagster's backfill and run-queue
daemon iterations, the code location in a code server process, one run worker process per run. The
clock runs from the backfill's submission to its end. Prints a markdown table: runs launched, wall
seconds, seconds per dataset, and the ratio against the first `--per-run` value (the baseline, one run
per dataset by default, which is also what the landing sensor does) measured in this run, after the
daemon's and code server's logs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from em_assets.core.store import StoreLayout  # noqa: E402
from em_assets.dagster_support.batched_runs import DATASETS_PER_RUN_VARIABLE  # noqa: E402
from em_assets_tests.fixtures.backfills import install_profile, run_backfill  # noqa: E402
from em_assets_tests.fixtures.synapses import write_small_em_datasets  # noqa: E402

ASSETS = ("raw_em_chunks", "processed_chunks", "chunk_metadata")


def backfill_seconds(root: Path, names: list[str], per_run: int, chunks: int, size: int) -> tuple[int, float]:
    """Backfill `names` at `per_run` datasets per run below `root`; the runs it launched and its wall time."""
    os.environ.update(
        EM_ASSETS_HOME=str(root / "home"),
        DAGSTER_HOME=str(root / "dagster"),
        DAGSTER_DISABLE_TELEMETRY="1",
        EM_ASSETS_LANDING_QUIET_SECONDS="0",
        **{DATASETS_PER_RUN_VARIABLE: str(per_run)},
    )
    (root / "dagster").mkdir(parents=True)
    install_profile("local")
    write_small_em_datasets(StoreLayout(root / "home").em_landing, names, chunks, size)
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("em_dataset", names)
        started = time.perf_counter()
        backfill = run_backfill(instance, ASSETS, names, timeout=3600)
        elapsed = time.perf_counter() - started
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
    if backfill.status.value != "COMPLETED_SUCCESS" or not all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs):
        raise SystemExit(f"backfill at {per_run} per run ended {backfill.status.value}")
    return len(runs), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=12)
    parser.add_argument("--per-run", type=int, nargs="+", default=[1, 4, 12])
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    names = [f"dataset-{index:03d}" for index in range(args.datasets)]
    rows, baseline = [], None
    with tempfile.TemporaryDirectory(prefix="em-assets-backfill-") as work:
        for per_run in args.per_run:
            runs, elapsed = backfill_seconds(Path(work) / f"per-run-{per_run}", names, per_run, args.chunks, args.size)
            baseline = baseline or elapsed
            rows.append(f"| {per_run} | {runs} | {elapsed:.1f} | {elapsed / args.datasets:.2f} | {elapsed / baseline:.2f} |")
    print(f"\n{args.datasets} EM datasets of {args.chunks} synapses ({args.size}^3 uint8); one-machine profile; "
          f"{os.cpu_count()} cores\n")
    print("| datasets per run | runs | wall s | s per dataset | time ratio |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))

if __name__ == "__main__":
    main()
