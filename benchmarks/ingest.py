"""Benchmark of landing ingest (`raw_tomogram`): em-assets' one-pass pyramid against the write floor,
`cat`, ome-zarr-py and ngff-zarr, from MRC and from OME-Zarr.

    .venv/bin/python benchmarks/ingest.py [--sizes 1] [--rounds 1]      # --sizes 1 4 adds 4 GiB

Writes a float32 test volume of each size (GiB) once under benchmarks/.work/ingest/: an MRC file and an
OME-Zarr 0.4 folder (zarr v2, 256^3 chunks, Blosc zstd) holding the same voxels. Then, for each input,
each method runs in its own process on the same machine, after the input has been read once (warm
page cache) and dirty pages flushed:
- `cat`: `cat` of the input's files to /dev/null (the read limit);
- `write floor`: zarr writing level 0 alone (64^3 chunks, the store's compressor), in slabs of 64
  planes or of the input's chunk depth if deeper (so that no input chunk is decoded twice);
- `em-assets`: `ingest_landing_tomogram`, what `raw_tomogram` runs: three levels and the statistics;
- `ome-zarr-py`: `ome_zarr.writer.write_image`, local-mean scaler, three levels, NGFF 0.4, 64^3 chunks;
- `ngff-zarr`: `to_multiscales` (ITK-Wasm bin-shrink) then `to_ngff_zarr`, three levels, NGFF 0.4.
Prints wall time, CPU time, peak RSS (VmHWM of the measuring process) and ratios against the write
floor measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "ingest"
PLANE = (1024, 1024)
INPUT_CHUNKS = (256, 256, 256)
VOXEL = (10.0, 10.0, 10.0)
FLOOR_SLAB = 64
METHODS = ("cat", "floor", "em-assets", "ome-zarr-py", "ngff-zarr")
LABELS = {
    "cat": "`cat` of the input",
    "floor": "write floor: zarr writes level 0 alone",
    "em-assets": "em-assets ingest (3 levels + statistics)",
    "ome-zarr-py": "ome-zarr-py write_image (local mean)",
    "ngff-zarr": "ngff-zarr to_multiscales (bin-shrink)",
}


def volume_name(gib: int) -> str:
    """The landing key of the test volume of `gib` GiB."""
    return f"volume-{gib}gib"


def generate(gib: int) -> dict[str, Path]:
    """Write the `gib` GiB float32 volume once as MRC and as OME-Zarr; return both landing paths."""
    import mrcfile
    import numpy as np
    import zarr

    from em_assets.core.tomograms.ngff import MultiscaleLevel, build_multiscales
    from em_assets.core.tomograms.pyramid import COMPRESSOR

    depth = gib * 2**30 // (4 * PLANE[0] * PLANE[1])
    shape = (depth, *PLANE)
    name = volume_name(gib)
    paths = {"mrc": WORK / "mrc" / f"{name}.mrc", "ome-zarr": WORK / "ome-zarr" / f"{name}.zarr"}
    if all(path.exists() for path in paths.values()):
        return paths
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    rng = np.random.default_rng(gib)
    partial = paths["mrc"].with_suffix(".partial")
    with mrcfile.new_mmap(partial, shape=shape, mrc_mode=2, overwrite=True) as mrc:
        mrc.voxel_size = VOXEL
        for z in range(0, depth, INPUT_CHUNKS[0]):
            slab = rng.standard_normal((min(INPUT_CHUNKS[0], depth - z), *PLANE), dtype=np.float32)
            mrc.data[z : z + len(slab)] = slab * 20 + 100
    partial.rename(paths["mrc"])
    source = mrcfile.mmap(paths["mrc"], mode="r").data
    group = zarr.open_group(str(paths["ome-zarr"]), mode="w", zarr_format=2)
    array = group.create_array("0", shape=shape, chunks=INPUT_CHUNKS, dtype=np.float32, compressors=COMPRESSOR)
    for z in range(0, depth, INPUT_CHUNKS[0]):
        array[z : z + INPUT_CHUNKS[0]] = source[z : z + INPUT_CHUNKS[0]]
    group.attrs["multiscales"] = build_multiscales(name, [MultiscaleLevel("0", VOXEL)])
    return paths


def _input_array(source: Path):
    from em_assets.core.tomograms.volumes import open_source_volume

    return open_source_volume(source).data


def _dask_input(source: Path):
    import dask.array as da

    data = _input_array(source)
    chunks = getattr(data, "chunks", None) if source.is_dir() else (FLOOR_SLAB, *PLANE)
    return da.from_array(data, chunks=chunks)


def write_floor(source: Path, out: Path) -> None:
    """Zarr writing level 0 alone, with the store's chunks and compressor, in slabs of whole chunks."""
    import math

    import numpy as np
    import zarr

    from em_assets.core.tomograms.pyramid import CHUNK_EDGE, COMPRESSOR

    data = _input_array(source)
    array = zarr.create_array(
        str(out / "0"),
        shape=data.shape,
        chunks=(CHUNK_EDGE,) * 3,
        dtype=data.dtype,
        compressors=COMPRESSOR,
        fill_value=0,
        zarr_format=2,
        chunk_key_encoding={"name": "v2", "separator": "/"},
    )
    step = math.lcm(FLOOR_SLAB, data.chunks[0]) if source.is_dir() else FLOOR_SLAB
    for z in range(0, data.shape[0], step):
        array[z : z + step] = np.asarray(data[z : z + step])


def em_assets_ingest(source: Path, out: Path) -> None:
    """What `raw_tomogram` runs on a landing tomogram."""
    from em_assets.core.tomograms.ingest import ingest_landing_tomogram

    ingest_landing_tomogram(source.parent, source.name.rsplit(".", 1)[0], out)


def ome_zarr_py(source: Path, out: Path) -> None:
    """ome-zarr-py's `write_image`, local-mean downsampling by 2 and 4 in every axis, NGFF 0.4."""
    import zarr
    from ome_zarr.format import FormatV04
    from ome_zarr.scale import Methods
    from ome_zarr.writer import write_image

    from em_assets.core.tomograms.pyramid import CHUNK_EDGE, COMPRESSOR

    group = zarr.open_group(str(out / "t.zarr"), mode="w", zarr_format=2)
    write_image(
        _dask_input(source),
        group,
        scale_factors=[{"z": f, "y": f, "x": f} for f in (2, 4)],
        method=Methods.LOCAL_MEAN,
        fmt=FormatV04(),
        axes="zyx",
        storage_options={"chunks": (CHUNK_EDGE,) * 3, "compressors": COMPRESSOR},
    )


def ngff_zarr(source: Path, out: Path) -> None:
    """ngff-zarr's `to_multiscales` with ITK-Wasm bin-shrink by 2 and 4, written as NGFF 0.4."""
    import ngff_zarr as nz

    from em_assets.core.tomograms.pyramid import CHUNK_EDGE

    image = nz.to_ngff_image(_dask_input(source), dims=["z", "y", "x"], scale=dict(zip("zyx", VOXEL)))
    multiscales = nz.to_multiscales(
        image, scale_factors=[2, 4], method=nz.Methods.ITKWASM_BIN_SHRINK, chunks=CHUNK_EDGE
    )
    nz.to_ngff_zarr(str(out / "t.zarr"), multiscales, version="0.4")


RUNNERS = {"floor": write_floor, "em-assets": em_assets_ingest, "ome-zarr-py": ome_zarr_py, "ngff-zarr": ngff_zarr}


def own_peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), file-backed mapped pages included."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))


def measure(method: str, source: Path, out: Path) -> dict:
    """Time one method in this process (a fresh one): wall, CPU, peak memory."""
    run = RUNNERS[method]
    started, cpu = time.perf_counter(), os.times()
    run(source, out)
    seconds, used = time.perf_counter() - started, os.times()
    return {"seconds": seconds, "cpu": used.user + used.system - cpu.user - cpu.system, "peak_mb": own_peak_rss_mb()}


def input_files(source: Path) -> list[str]:
    """Every file of the input, sorted."""
    return [str(source)] if source.is_file() else sorted(str(p) for p in source.rglob("*") if p.is_file())


def time_cat(source: Path) -> dict:
    """`cat` of the input's files to /dev/null."""
    started, cpu = time.perf_counter(), os.times()
    subprocess.run(["cat", *input_files(source)], stdout=subprocess.DEVNULL, check=True)
    used = os.times()
    cpu_seconds = used.children_user + used.children_system - cpu.children_user - cpu.children_system
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds, "peak_mb": float("nan")}


def run_method(method: str, source: Path) -> dict:
    """One timed run of `method` on `source`, the input warm in the page cache, its output removed after."""
    subprocess.run(["cat", *input_files(source)], stdout=subprocess.DEVNULL, check=True)
    os.sync()
    if method == "cat":
        return time_cat(source)
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = [sys.executable, __file__, "--measure", method, str(source), str(out)]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def print_table(title: str, runs: dict[str, list[dict]]) -> None:
    """A markdown table of median times and peak memory, with ratios to the write floor of this run."""
    print(f"\n{title}\n")
    print("| method | seconds | CPU s | peak RSS MB | time / write floor |")
    print("| --- | ---: | ---: | ---: | ---: |")
    floor = statistics.median(r["seconds"] for r in runs["floor"])
    for method, results in runs.items():
        if any("error" in r for r in results):
            print(f"| {LABELS[method]} | failed: {results[0].get('error', '')} | | | |")
            continue
        seconds = statistics.median(r["seconds"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        peak = max(r["peak_mb"] for r in results)
        peak_text = "-" if peak != peak else f"{peak:.0f}"
        print(f"| {LABELS[method]} | {seconds:.2f} | {cpu:.2f} | {peak_text} | {seconds / floor:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1], help="volume sizes in GiB (1, 4)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--measure", nargs=3, metavar=("METHOD", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), Path(args.measure[2]))))
        return
    cores = len(os.sched_getaffinity(0))
    for gib in args.sizes:
        paths = generate(gib)
        for kind, source in paths.items():
            runs: dict[str, list[dict]] = {method: [] for method in ("floor", *args.methods)}
            for round_index in range(args.rounds):
                for method in runs:
                    result = run_method(method, source)
                    runs[method].append(result)
                    shown = result.get("error") or f"{result['seconds']:.2f} s, {result['peak_mb']:.0f} MB"
                    print(f"{gib} GiB {kind}, round {round_index + 1}: {method}: {shown}", flush=True)
            title = f"{gib} GiB float32 volume from {kind}, median of {args.rounds} round(s), {cores} cores, warm cache"
            print_table(title, runs)


if __name__ == "__main__":
    main()
