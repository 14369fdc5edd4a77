"""Benchmark of start-up: what a user waits for in a fresh process.

    .venv/bin/python benchmarks/startup.py [--rounds 3]

Each case runs in a fresh interpreter (wall time of the whole process, from spawn to exit, median of
`--rounds`), on the same machine, interleaved:
- `contrast`: import `em_assets.core.contrast`, load a 96x384x384 float32 volume (.npy) and compute
  both limits (`compute_contrast_limits`, "gmm" then "cdf", default engine);
- `reference`: the reference harness on the same volume: NumPy and scikit-learn's GaussianMixture
  as `engine="exact"` runs them (central slabs of radius 15 and 5, a seeded 30% sample, fits of 1-3
  components by BIC and a refit, a 512-bin histogram);
- `em-assets --help`, `import em_assets.definitions`, and `python -c pass`, `import numpy`,
  `import dagster` as baselines.
Then prints what dominates `em-assets --help` and `import em_assets.definitions`: the heaviest
packages by `python -X importtime` (cumulative time where each is first imported, one run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "startup"
SHAPE = (96, 384, 384)

CONTRAST = """
import sys
import numpy as np
from em_assets.core.contrast import compute_contrast_limits
volume = np.load(sys.argv[1])
compute_contrast_limits(volume, "gmm"), compute_contrast_limits(volume, "cdf")
"""

REFERENCE = """
import sys
import numpy as np
from sklearn.mixture import GaussianMixture
volume = np.load(sys.argv[1])

def sample(radius):
    centre = volume.shape[0] / 2 - 0.5
    slab = volume[int(np.ceil(centre - radius)) : int(np.floor(centre + radius)) + 1].ravel()
    count = int(volume.size * 0.3)
    return slab if count >= slab.size else np.random.default_rng(42).choice(slab, count, replace=False)

def mixture(n, iterations):
    return GaussianMixture(n, covariance_type="full", max_iter=iterations, random_state=42, init_params="k-means++")

column = sample(15).reshape(-1, 1)
bics = [mixture(n, 100).fit(column).bic(column) for n in (1, 2, 3)]
fit = mixture(int(np.argmin(bics)) + 1, 300).fit(column)
values = sample(5)
np.histogram(values, bins=512, range=[values.min(), values.max()])
"""

CASES = {
    "contrast": ["-c", CONTRAST],
    "reference": ["-c", REFERENCE],
    "em-assets --help": ["-c", "import sys; sys.argv = ['em-assets', '--help']; from em_assets.cli import main; main()"],
    "import em_assets.definitions": ["-c", "import em_assets.definitions"],
    "python -c pass": ["-c", "pass"],
    "import numpy": ["-c", "import numpy"],
    "import dagster": ["-c", "import dagster"],
}
LABELS = {
    "contrast": "em-assets: import + both limits (fresh process)",
    "reference": "reference harness, scikit-learn (fresh process)",
}
PROFILED = ("em-assets --help", "import em_assets.definitions")


def volume() -> Path:
    """A 96x384x384 float32 tomogram-like volume (three Gaussian classes), written once."""
    import numpy as np

    path = WORK / "volume-96x384x384.npy"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(7)
        labels = rng.choice(3, size=SHAPE, p=[0.6, 0.3, 0.1])
        data = np.array([0.0, 1.5, -2.0])[labels] + np.array([1.0, 0.6, 0.8])[labels] * rng.standard_normal(SHAPE)
        np.save(path, data.astype(np.float32))
    return path


def environment() -> dict[str, str]:
    """This checkout first on the path, Dagster telemetry off."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "DAGSTER_DISABLE_TELEMETRY": "1"}


def run_case(case: str, volume_path: Path) -> float:
    """Wall seconds of one fresh interpreter running `case`."""
    command = [sys.executable, *CASES[case], str(volume_path)]
    started = time.perf_counter()
    subprocess.run(command, env=environment(), stdout=subprocess.DEVNULL, check=True, cwd=WORK)
    return time.perf_counter() - started


def heaviest_imports(case: str, volume_path: Path, count: int = 8) -> list[tuple[str, float]]:
    """The packages `case` imports that take longest (cumulative seconds, each where first imported).

    A package imported inside another is counted in both (pydantic inside dagster, for instance).
    """
    command = [sys.executable, "-X", "importtime", *CASES[case], str(volume_path)]
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, check=True, cwd=WORK)
    packages = []
    for line in done.stderr.splitlines():
        fields = line.split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        name = fields[2].strip()
        if "." not in name and not name.startswith("_") and name not in {"site", "encodings"}:
            packages.append((name, int(fields[1]) / 1e6))
    return sorted(packages, key=lambda item: -item[1])[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = volume()
    times: dict[str, list[float]] = {case: [] for case in CASES}
    for _ in range(args.rounds):
        for case in CASES:
            times[case].append(run_case(case, path))
    median = {case: statistics.median(values) for case, values in times.items()}
    print(f"\nMedian of {args.rounds} fresh processes each, {len(os.sched_getaffinity(0))} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end.\n")
    print("| what | seconds | reference / this | this / import dagster |")
    print("| --- | ---: | ---: | ---: |")
    for case, seconds in median.items():
        print(
            f"| {LABELS.get(case, f'`{case}`')} | {seconds:.2f} | {median['reference'] / seconds:.1f}x "
            f"| {seconds / median['import dagster']:.2f} |"
        )
    speedup = median["reference"] / median["contrast"]
    print(f"\ncontrast limits, fresh process: {speedup:.1f}x the reference harness (target >= 50x)")
    for case in PROFILED:
        print(f"\nheaviest packages imported by `{case}` (-X importtime, cumulative):")
        for name, seconds in heaviest_imports(case, path):
            print(f"  {name}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
