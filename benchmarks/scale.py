"""How cost grows with the work: tomogram partitions and synapse chunks, in process and on Dask.

    .venv/bin/python benchmarks/scale.py [--shape 192 384 384] [--chunk-size 128] [--workers 2]

Writes (once, under benchmarks/.work/scale/) 4 float32 MRC tomograms of `--shape` and 200 synthetic
EM/mask chunk pairs of `--chunk-size`^3. Then for each workload (1, 2 and 4 tomogram partitions; 50
and 200 synapse chunks) and each path it starts a fresh driver process that runs the workload and
reports its own peak resident memory (VmHWM) and, on the Dask path, each worker's:
- `in-process`: what the assets do without Dask: `ingest_landing_tomogram` (write_multiscale on two
  threads), `volume_statistics` and `summarize_slabs` of the lowest level per tomogram;
  `process_chunk_pairs` on one thread per core for the chunks;
- `dask`: a `LocalCluster` of `--workers` single-threaded worker processes (started inside the timed
  driver but before the clock starts): `ingest_landing_tomogram_boxes` and `summarize_slabs` through
  `dask_map`; `process_chunk_pairs` with `map_batches=dask_map(client)`.
Partitions run one after the other, as one run per partition would. Prints a markdown table: seconds
per partition (per chunk for synapses), the peak memory of the driver and the largest worker, and
the ratios against the in-process row of the same workload measured in this run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "scale"
TOMOGRAM_COUNTS = (1, 2, 4)
CHUNK_COUNTS = (50, 200)
PATHS = ("in-process", "dask")


def vm_hwm_mb() -> float:
    """This process's peak resident set (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def prepare(shape: tuple[int, int, int], chunk_size: int) -> None:
    """Write the tomograms and the chunk pairs, unless they are there already."""
    import mrcfile
    import numpy as np

    from em_assets.core.synapses.demo import synthetic_synapse_chunk

    landing = WORK / f"tomograms-{'x'.join(map(str, shape))}"
    for index in range(max(TOMOGRAM_COUNTS)):
        path = landing / f"tomo-{index}.mrc"
        if path.exists():
            continue
        landing.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(index)
        with mrcfile.new_mmap(path, shape=shape, mrc_mode=2, overwrite=True) as mrc:
            for z in range(0, shape[0], 16):
                mrc.data[z : z + 16] = rng.normal(100.0, 15.0, size=(min(16, shape[0] - z), *shape[1:]))
    chunks = WORK / f"chunks-{chunk_size}"
    for index in range(max(CHUNK_COUNTS)):
        em_path = chunks / "em" / f"{index:04d}.npy"
        if em_path.exists():
            continue
        for folder in ("em", "mask"):
            (chunks / folder).mkdir(parents=True, exist_ok=True)
        em, mask = synthetic_synapse_chunk(index, chunk_size)
        np.save(chunks / "mask" / f"{index:04d}_mask.npy", mask)
        np.save(em_path, em)


def run_workload(kind: str, count: int, path: str, shape: tuple[int, int, int], chunk_size: int, workers: int) -> dict:
    """Run one workload in this process (the driver) and return its timings and peak memory."""
    from contextlib import nullcontext

    from em_assets.core.cluster import ClusterSettings, dask_client
    from em_assets.core.contrast.sampled_voxels import summarize_slabs
    from em_assets.core.parallel import dask_map
    from em_assets.core.synapses.batch import process_chunk_pairs
    from em_assets.core.synapses.pairing import pair_chunks
    from em_assets.core.synapses.preprocessing import PreprocessingSettings
    from em_assets.core.tomograms.distributed_ingest import (
        ingest_landing_tomogram_boxes,
    )
    from em_assets.core.tomograms.ingest import ingest_landing_tomogram
    from em_assets.core.tomograms.statistics import volume_statistics
    from em_assets.core.tomograms.volumes import open_multiscale

    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    settings = ClusterSettings(n_workers=workers, threads_per_worker=1, memory_limit="4GiB")
    with dask_client(settings) if path == "dask" else nullcontext() as client:
        mapper = dask_map(client) if client is not None else None
        started = time.perf_counter()
        if kind == "tomograms":
            landing = WORK / f"tomograms-{'x'.join(map(str, shape))}"
            for index in range(count):
                key, dest = f"tomo-{index}", out / f"tomo-{index}"
                if mapper is None:
                    ingest_landing_tomogram(landing, key, dest)
                    volume_statistics(open_multiscale(dest / "tomogram.zarr").array(0))
                else:
                    ingest_landing_tomogram_boxes(landing, key, dest, mapper)
                summarize_slabs(open_multiscale(dest / "tomogram.zarr").array(-1), name=key, map_tiles=mapper)
        else:
            pairs = pair_chunks(WORK / f"chunks-{chunk_size}").pairs[:count]
            batch = process_chunk_pairs(pairs, out, PreprocessingSettings(), map_batches=mapper)
            assert len(batch.records) == count, batch.failures[:3]
        elapsed = time.perf_counter() - started
        worker_peaks = list(client.run(vm_hwm_mb).values()) if client is not None else []
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": elapsed, "driver_mb": vm_hwm_mb(), "worker_mb": worker_peaks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(192, 384, 384))
    parser.add_argument("--chunk-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # kind count path: run in this process
    args = parser.parse_args()
    shape = tuple(args.shape)
    if args.one:
        kind, count, path = args.one
        print(json.dumps(run_workload(kind, int(count), path, shape, args.chunk_size, args.workers)))
        return
    prepare(shape, args.chunk_size)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    size_mb = 4 * shape[0] * shape[1] * shape[2] / 1e6
    print(f"tomograms: float32 {shape} ({size_mb:.0f} MB each); chunks: {args.chunk_size}^3 uint8 pairs; "
          f"dask: {args.workers} worker processes x 1 thread; {os.cpu_count()} cores\n")
    print("| workload | path | s per item | driver peak MB | max worker peak MB | time ratio | memory ratio |")
    print("|---|---|---|---|---|---|---|")
    workloads = [("tomograms", n) for n in TOMOGRAM_COUNTS] + [("chunks", n) for n in CHUNK_COUNTS]
    for kind, count in workloads:
        baseline = None
        for path in PATHS:
            command = [sys.executable, __file__, "--shape", *map(str, shape), "--chunk-size", str(args.chunk_size),
                       "--workers", str(args.workers), "--one", kind, str(count), path]
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            per_item = result["seconds"] / count
            peak = max([result["driver_mb"], *result["worker_mb"]])
            baseline = baseline or (per_item, peak)
            workers = f"{max(result['worker_mb']):.0f}" if result["worker_mb"] else "-"
            print(f"| {count} {kind} | {path} | {per_item:.3f} | {result['driver_mb']:.0f} | {workers} | "
                  f"{per_item / baseline[0]:.2f} | {peak / baseline[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
