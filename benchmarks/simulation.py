"""Benchmark of the tomogram simulator: wall time of `simulate_tomogram` at the tests' and the demo's sizes.

    .venv/bin/python benchmarks/simulation.py [--rounds 3]

Each size runs `--rounds` times in this process (the first round includes imports' warm-up); prints
a markdown table of the median and fastest round per size.
"""

from __future__ import annotations

import argparse
import statistics
import time

from em_assets.core.tomograms.simulation import TomogramSpec, simulate_tomogram

SPECS = {
    "test 64x128x128, 10 Å, 41 tilts": TomogramSpec(),
    "demo 128x384x384, 13.48 Å, 61 tilts, gold": TomogramSpec(
        shape=(128, 384, 384), voxel_size=13.48, tilt_step=2.0, vesicles=8, particles=300, gold_beads=True
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print("| volume | median s | fastest s |\n|---|---|---|")
    for name, spec in SPECS.items():
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            simulate_tomogram(spec)
            times.append(time.perf_counter() - start)
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} |")


if __name__ == "__main__":
    main()
