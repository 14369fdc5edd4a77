"""Benchmark of the synapse chunk processing: the asset's parallel path against the notebook and `cat`.

    .venv/bin/python benchmarks/chunks.py [--chunks 200] [--rounds 3] [--cache cold|warm]

Writes `--chunks` synthetic 256^3 EM/mask pairs under benchmarks/.work/chunks/ (once), then, in each
round and each in its own process, times:
- `cat`: `cat` of every EM and mask file to /dev/null (the read limit of this machine);
- `writes`: only writing one tensor-sized `.npy` per chunk on every core (the write floor: on a VM
  whose freed memory goes back to the host, new page-cache pages are slow, and `cat` writes none);
- `notebook loop`: the notebook's steps one chunk at a time (the test suite's reference code);
- `asset (N threads)`: what `processed_chunks` runs: `pair_chunks`, `process_chunk_pairs` on every
  core, then `write_meta_csv`.
Before every timed run dirty pages are flushed with `sync` and the inputs are put in the same cache
state: `--cache cold` (default) evicts every input file from the page cache with
posix_fadvise(DONTNEED), so `cat` measures the storage's read speed; `--cache warm` reads every input
once first, so `cat` measures a copy from memory. Each method writes into a new folder, which is
hashed (to check the asset's bytes equal the notebook's) and removed before the next method runs.
Prints a markdown table of the median round, with ratios measured in this run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "chunks"
SIZE = 256
TABLE_COLUMNS = (
    "method",
    "seconds",
    "chunks/s",
    "input GB/s",
    "asset speed-up",
    "time / cat",
    "CPU user + sys s",
    "peak RSS MB",
)


def dataset_dir(count: int) -> Path:
    """The landing-style folder holding `count` synapses."""
    return WORK / "landing" / f"synapses-{count}"


def generate(count: int) -> list[Path]:
    """Write `count` synthetic synapses (EM + mask) once; return every input file."""
    import numpy as np

    from em_assets.core.synapses.demo import synthetic_synapse_chunk

    dataset = dataset_dir(count)
    (dataset / "em").mkdir(parents=True, exist_ok=True)
    (dataset / "mask").mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(count):
        em_path, mask_path = dataset / "em" / f"{index:06d}.npy", dataset / "mask" / f"{index:06d}_mask.npy"
        if not (em_path.exists() and mask_path.exists()):
            em, mask = synthetic_synapse_chunk(index, SIZE)
            np.save(mask_path, mask)
            np.save(em_path, em)
        files += [em_path, mask_path]
    return files


def notebook_loop(dataset: Path) -> Callable[[Path], None]:
    """The notebook's steps, one chunk at a time (the reference the equivalence test compares with)."""
    sys.path.insert(0, str(ROOT))
    from em_assets_tests.synapse.notebook_reference import run_notebook

    return lambda out: run_notebook(str(dataset / "em"), str(dataset / "mask"), str(out))


def asset_processing(dataset: Path) -> Callable[[Path], None]:
    """What the processed_chunks and chunk_metadata assets compute, on every core."""
    from em_assets.core.synapses.batch import process_chunk_pairs
    from em_assets.core.synapses.metadata import write_meta_csv
    from em_assets.core.synapses.pairing import pair_chunks
    from em_assets.core.synapses.preprocessing import PreprocessingSettings

    def run(out: Path) -> None:
        batch = process_chunk_pairs(pair_chunks(dataset).pairs, out, PreprocessingSettings())
        if batch.failures:
            raise SystemExit(f"unexpected failures: {batch.failures}")
        write_meta_csv(batch.records, out / "meta.csv")

    return run


def output_writes(dataset: Path) -> Callable[[Path], None]:
    """Only the writes: one tensor-sized `.npy` per chunk on every core (this machine's write floor)."""
    import numpy as np

    from em_assets.core.synapses.batch import available_cores

    tensor = np.zeros((2, SIZE, SIZE, SIZE // 5 + 1), dtype=np.uint8)
    names = [path.name for path in sorted((dataset / "em").glob("*.npy"))]

    def write(path: Path) -> None:
        with open(path, "wb") as stream:
            np.save(stream, tensor)

    def run(out: Path) -> None:
        with ThreadPoolExecutor(available_cores()) as pool:
            list(pool.map(write, (out / name for name in names)))

    return run


METHODS = {"writes": output_writes, "notebook": notebook_loop, "asset": asset_processing}


def own_peak_rss_mb() -> float:
    """This process's peak resident memory from VmHWM (ru_maxrss may count the parent before exec)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))


def measure(method: str, dataset: Path, out: Path) -> dict:
    """Time one method in this process (called in a subprocess, imports done first): wall, CPU, memory."""
    run = METHODS[method](dataset)
    started, cpu = time.perf_counter(), os.times()
    run(out)
    seconds, used = time.perf_counter() - started, os.times()
    return {
        "seconds": seconds,
        "user": used.user - cpu.user,
        "system": used.system - cpu.system,
        "peak_mb": own_peak_rss_mb(),
    }


def prepare(files: list[Path], cache: str) -> None:
    """The same cache state before every timed run: dirty pages flushed, inputs evicted or read once."""
    os.sync()
    if cache == "warm":
        subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
        return
    for path in files:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def time_cat(files: list[Path]) -> dict:
    """Wall and CPU time of `cat` of every input file to /dev/null."""
    started, cpu = time.perf_counter(), os.times()
    subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)
    seconds, used = time.perf_counter() - started, os.times()
    return {
        "seconds": seconds,
        "user": used.children_user - cpu.children_user,
        "system": used.children_system - cpu.children_system,
        "peak_mb": float("nan"),
    }


def time_in_subprocess(method: str, dataset: Path, out: Path) -> dict:
    """`measure` in a fresh interpreter, writing into the new folder `out`."""
    out.mkdir(parents=True)
    command = [sys.executable, __file__, "--measure", method, str(dataset), str(out)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file in `folder`, by name."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def run_rounds(dataset: Path, files: list[Path], rounds: int, cache: str) -> dict[str, list[dict]]:
    """Every method once per round, interleaved, each after the same cache preparation."""
    runs: dict[str, list[dict]] = {"cat": [], "writes": [], "notebook": [], "asset": []}
    out = WORK / "out"
    for round_index in range(rounds):
        written = {}
        for method, results in runs.items():
            prepare(files, cache)
            result = time_cat(files) if method == "cat" else time_in_subprocess(method, dataset, out)
            results.append(result)
            load = os.getloadavg()[0]
            print(f"round {round_index + 1}: {method} {result['seconds']:.2f} s, load {load:.1f}", flush=True)
            if method != "cat":
                written[method] = digests(out) if method != "writes" else {}
                shutil.rmtree(out)
        if written["asset"] != written["notebook"]:
            raise SystemExit("the asset's outputs differ from the notebook's")
    return runs


def print_table(runs: dict[str, list[dict]], chunks: int, input_gb: float, cache: str) -> None:
    """The markdown table of median times, ratios measured in this run, and peak memory."""
    from em_assets.core.synapses.batch import available_cores

    median = {method: statistics.median(r["seconds"] for r in results) for method, results in runs.items()}
    labels = {
        "cat": "`cat` to /dev/null (read limit)",
        "writes": "writing the outputs only (write floor)",
        "notebook": "notebook loop, 1 chunk at a time",
        "asset": f"asset processing ({available_cores()} threads)",
    }
    print(
        f"\nMedian of {len(runs['cat'])} rounds, {chunks} chunks of {SIZE}^3, page cache {cache}, outputs "
        f"identical, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end.\n"
    )
    print("| " + " | ".join(TABLE_COLUMNS) + " |")
    print("| --- |" + " ---: |" * (len(TABLE_COLUMNS) - 1))
    for method, results in runs.items():
        seconds = median[method]
        user = statistics.median(r["user"] for r in results)
        system = statistics.median(r["system"] for r in results)
        rss = "-" if method == "cat" else f"{max(r['peak_mb'] for r in results):.0f}"
        cells = [
            labels[method],
            f"{seconds:.2f}",
            f"{chunks / seconds:.1f}",
            f"{input_gb / seconds:.2f}",
            f"{seconds / median['asset']:.2f}x",
            f"{seconds / median['cat']:.2f}",
            f"{user:.2f} + {system:.2f}",
            rss,
        ]
        print("| " + " | ".join(cells) + " |")
    speedup, read_ratio = median["notebook"] / median["asset"], median["asset"] / median["cat"]
    print(f"\nasset vs notebook loop: {speedup:.2f}x (target >= 1.7x)")
    print(f"asset time / cat time: {read_ratio:.2f} (target <= 2)")
    print(f"asset time / (cat + write floor): {median['asset'] / (median['cat'] + median['writes']):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", choices=("cold", "warm"), default="cold", help="input cache state per run")
    parser.add_argument("--measure", nargs=3, metavar=("METHOD", "DATASET", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), Path(args.measure[2]))))
        return
    started = time.perf_counter()
    files = generate(args.chunks)
    input_gb = sum(path.stat().st_size for path in files) / 1e9
    ready = time.perf_counter() - started
    print(f"{args.chunks} chunks of {SIZE}^3 ({input_gb:.2f} GB of input) ready in {ready:.0f} s")
    runs = run_rounds(dataset_dir(args.chunks), files, args.rounds, args.cache)
    print_table(runs, args.chunks, input_gb, args.cache)


if __name__ == "__main__":
    main()
