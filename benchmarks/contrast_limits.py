"""Benchmark of the contrast-limit engines: `exact` (scikit-learn on samples) against `fast` (histogram EM).

    .venv/bin/python benchmarks/contrast_limits.py [--sizes small,medium,large] [--exact-large]

Generates tomogram-like float32 zarr volumes under benchmarks/.work/ (once), then measures every
engine and method in its own subprocess (wall time of compute_contrast_limits on the opened zarr
array, peak RSS of the whole process) and prints markdown tables: time, memory, speed-up, limit
differences and stability, all as percentages of each volume's 0.1-99.9 percentile range.

Then the agreement table: on physically simulated tomograms at several doses and dtypes, and on
low-noise integer volumes, summarised as the pipeline does (the 2x mean-downsampled level, rounded
for integers), the fast GMM against scikit-learn run to convergence on the same sample (dithered over
the quantum for integers), the shipped reference against it, the reference's spread over 5 random
states, and the fast CDF and percentile limits against exact.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from contrast_volumes import CHUNKS, SCALE, SIGNAL, SIZES, generate, simulated_levels

WORK = Path(__file__).resolve().parent / ".work"
METHODS = ("gmm", "cdf", "percentile")
BOTH = ("gmm", "cdf")
ENGINES = ("exact", "fast")
SEEDS = 5
DOSES = (20.0, 60.0, 120.0)
LOW_SIGMAS = (0.5, 2.0, 8.0, 30.0)
# The GMM method on the generating distribution: 3 components, the ice one (0, 0.1) nearest the mean.
KNOWN_GMM = ((SIGNAL[0][1] - 3.0 * SIGNAL[0][2]) * SCALE, (SIGNAL[0][1] + 0.8 * SIGNAL[0][2]) * SCALE)


def measure(volume: str, engine: str, method: str, seed: int) -> dict:
    """Run one engine on one volume in this process and describe the run (called in a subprocess)."""
    import zarr

    from em_assets.core.contrast.limits import compute_contrast_limits

    array = zarr.open_array(volume, mode="r")
    start = time.perf_counter()
    limits = None
    if method != "none":
        limits = compute_contrast_limits(array, method, engine=engine, name=Path(volume).name, seed=seed)
    seconds = time.perf_counter() - start
    return {"limits": limits, "seconds": seconds, "peak_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(volume: Path, engine: str, method: str, seed: int = 42) -> dict:
    """`measure` in a fresh interpreter, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--measure", str(volume), engine, method, str(seed)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def volume_path(size: str, seed: int) -> Path:
    return WORK / f"{size}-seed{seed}.zarr"


def spread(pairs: list[tuple[float, float]], robust: float) -> float:
    """The largest range of either limit over `pairs`, in % of `robust`."""
    lows, highs = [p[0] for p in pairs], [p[1] for p in pairs]
    return 100 * max(max(lows) - min(lows), max(highs) - min(highs)) / robust


def difference(a: tuple[float, float], b: tuple[float, float], robust: float) -> float:
    """The larger difference of the two limits, in % of `robust`."""
    return 100 * max(abs(a[0] - b[0]), abs(a[1] - b[1])) / robust


def sample_is_whole_slab(size: str, method: str) -> bool:
    """With the default ratio 0.3, whether the seeded sample is the whole slab (seeds cannot matter)."""
    from em_assets.core.contrast.sampled_voxels import (
        resolve_z_radius,
        sample_count,
        slab_bounds,
    )

    shape = SIZES[size]
    lo, hi = slab_bounds(shape[0], resolve_z_radius("auto", method))
    return sample_count(shape, 0.3) >= (hi - lo) * shape[1] * shape[2]


def main_table(sizes: list[str], exact_large: bool, descriptions: dict) -> dict:
    """Time, memory, speed-up and differences per size and method; returns the seed-0 limits."""
    print("| volume | method | exact time | exact peak | fast time | fast peak | speed-up | fast vs exact | fast vs known GMM | exact vs known GMM |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    limits = {}
    for size in sizes:
        robust = descriptions[size]["p99.9"] - descriptions[size]["p0.1"]
        shape = "×".join(str(n) for n in SIZES[size])
        rows = {}
        for method in METHODS:
            skip_exact = size == "large" and not exact_large
            rows[method] = {e: None if e == "exact" and skip_exact else run(volume_path(size, 0), e, method) for e in ENGINES}
            limits[(size, method)] = {e: r["limits"] for e, r in rows[method].items() if r}
        for method in (*METHODS, "both"):
            parts = [rows[m] for m in (BOTH if method == "both" else (method,))]
            cells = {}
            for engine in ENGINES:
                if any(p[engine] is None for p in parts):
                    cells[engine] = None
                    continue
                cells[engine] = (sum(p[engine]["seconds"] for p in parts), max(p[engine]["peak_mb"] for p in parts))
            exact, fast = cells["exact"], cells["fast"]
            exact_text = f"{exact[0]:.2f} s | {exact[1]:.0f} MB" if exact else "not run (--exact-large) | –"
            ratio = f"{exact[0] / fast[0]:.0f}×" if exact else "–"
            compare = known_fast = known_exact = "–"
            if method != "both":
                pair = limits[(size, method)]
                compare = f"{difference(pair['fast'], pair['exact'], robust):.2f}%" if "exact" in pair else "–"
                if method == "gmm":
                    known_fast = f"{difference(pair['fast'], KNOWN_GMM, robust):.2f}%"
                    known_exact = f"{difference(pair['exact'], KNOWN_GMM, robust):.2f}%" if "exact" in pair else "–"
            print(f"| {shape} | {method} | {exact_text} | {fast[0]:.2f} s | {fast[1]:.0f} MB | {ratio} | {compare} | {known_fast} | {known_exact} |")
    return limits


def stability_table(sizes: list[str], exact_large: bool, limits: dict, descriptions: dict) -> None:
    """How much the limits move over sampling seeds, volume seeds and sizes, in % of the robust range."""
    print("\n| engine | method | volume | over 5 sampling seeds | over 5 volume seeds |")
    print("|---|---|---|---:|---:|")
    for engine in ENGINES:
        for method in BOTH:
            for size in sizes:
                if engine == "exact" and size == "large" and not exact_large:
                    continue
                robust = descriptions[size]["p99.9"] - descriptions[size]["p0.1"]
                if engine == "exact" and sample_is_whole_slab(size, method):
                    by_sampling = "0.00% (sample = whole slab)"
                else:
                    pairs = [run(volume_path(size, 0), engine, method, seed)["limits"] for seed in range(SEEDS)]
                    by_sampling = f"{spread(pairs, robust):.2f}%"
                pairs = [limits[(size, method)][engine]]
                pairs += [run(volume_path(size, seed), engine, method)["limits"] for seed in range(1, SEEDS)]
                shape = "×".join(str(n) for n in SIZES[size])
                print(f"| {engine} | {method} | {shape} | {by_sampling} | {spread(pairs, robust):.2f}% |")
    print("\n| engine | method | over the sizes (volume seed 0) |")
    print("|---|---|---:|")
    for engine in ENGINES:
        for method in BOTH:
            ran = [s for s in sizes if engine in limits[(s, method)]]
            robust = sum(descriptions[s]["p99.9"] - descriptions[s]["p0.1"] for s in ran) / len(ran)
            pairs = [limits[(s, method)][engine] for s in ran]
            print(f"| {engine} | {method} | {spread(pairs, robust):.2f}% over {', '.join(ran)} |")


def agreement_table(shape: tuple[int, int, int]) -> None:
    """Fast and the shipped reference against the converged reference, per simulated volume."""
    import numpy as np

    from em_assets.core.contrast.agreement import (
        REFERENCE_STATES,
        gmm_agreement,
        histogram_agreement,
    )
    from em_assets.core.contrast.sampled_voxels import summarize_slabs

    size = "×".join(str(n) for n in shape)
    print(f"\nAgreement on simulated tomograms ({size}, summarised at the 2× level), % of the robust range:\n")
    print("| volume | distinct values | GMM n (fast/converged) | fast vs converged | fast vs converged on the slab | fast on the sample vs converged "
          "| sklearn's 3 starts vs converged | log L gain | BIC margin | nearest-mean margin | fast: sample vs slab "
          f"| reference vs converged | reference over {REFERENCE_STATES} random states "
          "| CDF fast vs exact (sample / slab) | percentile fast vs exact (sample / slab) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    levels = simulated_levels(shape, DOSES, LOW_SIGMAS)
    for label, level in levels.items():
        low, high = np.percentile(level, [0.1, 99.9])
        robust = float(high - low)
        summary, whole = summarize_slabs(level, name=label), summarize_slabs(level, name=label, downsampling_ratio=None)
        a = gmm_agreement(summary.slabs["gmm"], str(level.dtype), robust, whole.slabs["gmm"].samples)
        h = histogram_agreement(summary, whole, robust)
        print(
            f"| {label} | {np.unique(level).size} | {a.fast_n_components}/{a.n_components} "
            f"| {a.fast_vs_converged:.2f}% | {a.fast_vs_converged_on_slab:.2f}% | {a.fast_on_sample_vs_converged:.2f}% | {a.sklearn_starts_vs_converged:.2f}% "
            f"| {a.likelihood_gain:.1f} | {a.bic_margin:.1f} | {a.nearest_margin:.2f}% | {a.sample_vs_slab:.2f}% "
            f"| {a.reference_vs_converged:.2f}% | {a.reference_spread:.2f}% "
            f"| {h.cdf_vs_sample:.2f}% / {h.cdf_vs_slab:.2f}% | {h.percentile_vs_sample:.2f}% / {h.percentile_vs_slab:.2f}% |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,medium,large", help="comma-separated: small, medium, large")
    parser.add_argument("--exact-large", action="store_true", help="also run the exact engine on the large volume")
    parser.add_argument("--no-stability", action="store_true", help="skip the seed and size stability tables")
    parser.add_argument("--no-agreement", action="store_true", help="skip the agreement table on simulated tomograms")
    parser.add_argument("--agreement-only", action="store_true", help="only the agreement table")
    parser.add_argument("--agreement-shape", default="64,128,128", help="z,y,x of the simulated tomograms")
    parser.add_argument("--measure", nargs=4, metavar=("VOLUME", "ENGINE", "METHOD", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        volume, engine, method, seed = args.measure
        print(json.dumps(measure(volume, engine, method, int(seed))))
        return
    agreement_shape = tuple(int(n) for n in args.agreement_shape.split(","))
    if args.agreement_only:
        agreement_table(agreement_shape)
        return
    sizes = [s for s in args.sizes.split(",") if s]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown sizes {sorted(unknown)}; choose from {list(SIZES)}")
    started = time.perf_counter()
    descriptions = {}
    for size in sizes:
        for seed in range(1 if args.no_stability else SEEDS):
            description = generate(volume_path(size, seed), size, seed)
            descriptions.setdefault(size, description)
    baseline = run(volume_path(sizes[0], 0), "fast", "none")["peak_mb"]
    chunks = "×".join(str(n) for n in CHUNKS)
    print(f"Volumes ready in {time.perf_counter() - started:.0f} s. zarr v2, chunks {chunks}, blosc zstd.")
    print(f"Peak memory is the whole process's peak RSS; an idle interpreter with the imports takes {baseline:.0f} MB.\n")
    limits = main_table(sizes, args.exact_large, descriptions)
    if not args.no_stability:
        stability_table(sizes, args.exact_large, limits, descriptions)
    print(f"\nKnown GMM answer of the generating distribution: {KNOWN_GMM[0]:.3f}, {KNOWN_GMM[1]:.3f}.")
    if not args.no_agreement:
        agreement_table(agreement_shape)
    print(f"Total benchmark time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
