"""What asset `sampled_voxels` holds: per method, the z-slab around the central slice, a seeded
sample of its voxels and a fine histogram of every voxel, computed in one pass, saved and loaded."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from em_assets.core.atomic import write_npy_atomic, write_text_atomic
from em_assets.core.contrast.histogram import DyadicHistogram
from em_assets.core.contrast.scan import SlabScan, SlabTarget, scan_slabs
from em_assets.core.contrast.tiles import check_volume
from em_assets.core.errors import InputError
from em_assets.core.parallel import OrderedMap

METHODS = ("gmm", "cdf", "percentile")
MARKDOWN_BINS = 12
MARKDOWN_BAR = 30
AUTO_Z_RADIUS = {"gmm": 15, "cdf": 5, "percentile": 5}
SEED = 42
MIN_FINITE = 10
SUMMARY_FILE = "summary.json"
ZRadius = int | None | Literal["auto"]


@dataclass(frozen=True)
class MethodSlab:
    """One method's z-slab: its bounds, seeded sample (finite values) and histogram of finite voxels."""

    z_bounds: tuple[int, int]
    samples: np.ndarray | None
    sample_size: int
    histogram: DyadicHistogram
    n_voxels: int
    n_nonfinite: int

    @property
    def minimum(self) -> float:
        """The smallest finite voxel of the slab inside its robust bounds."""
        return self.histogram.minimum

    @property
    def maximum(self) -> float:
        """The largest finite voxel of the slab inside its robust bounds."""
        return self.histogram.maximum

    @property
    def data_range(self) -> tuple[float, float]:
        """The smallest and largest finite voxel of the slab, extreme ones included."""
        return self.histogram.data_range

    @property
    def n_outliers(self) -> int:
        """How many finite voxels lie outside the histogram's robust bounds."""
        return self.histogram.n_outliers

    @property
    def n_finite(self) -> int:
        """How many voxels of the slab are finite."""
        return self.n_voxels - self.n_nonfinite

    @property
    def effective_sample_size(self) -> float:
        """How many finite values the seeded sample holds (expected, from the finite fraction)."""
        return self.sample_size * self.n_finite / self.n_voxels


@dataclass(frozen=True)
class SlabSummary:
    """The slabs of one tomogram's summarised level, keyed by method ("gmm", "cdf", "percentile")."""

    name: str
    shape: tuple[int, int, int]
    dtype: str
    slabs: dict[str, MethodSlab]

    @property
    def widest(self) -> MethodSlab:
        """The slab with the most voxels (the union of all, as the slabs share a centre)."""
        return max(self.slabs.values(), key=lambda slab: slab.n_voxels)

    def histogram_markdown(self) -> str:
        """A small markdown table of the widest slab's histogram between its 0.1 and 99.9 percentiles."""
        histogram = self.widest.histogram
        low, high = histogram.quantile(0.001), histogram.quantile(0.999)
        if not high > low:
            low, high = histogram.minimum, histogram.maximum
        edges = np.linspace(low, high, MARKDOWN_BINS + 1)
        counts = np.histogram(histogram.values, bins=edges, weights=histogram.counts)[0]
        peak = max(1.0, float(counts.max()))
        rows = ["| from | to | voxels | |", "|---:|---:|---:|:---|"]
        for lo, hi, count in zip(edges[:-1], edges[1:], counts, strict=True):
            bar = "█" * round(MARKDOWN_BAR * count / peak)
            rows.append(f"| {lo:.4g} | {hi:.4g} | {int(count)} | {bar} |")
        return "\n".join(rows)


def resolve_z_radius(z_radius: ZRadius, method: str) -> int | None:
    """The slab radius in slices: "auto" is 15 for gmm and 5 otherwise, None the whole volume.

    Parameters
    ----------
    z_radius : int, None or "auto"
        The requested radius.
    method : str
        The contrast method: "gmm", "cdf" or "percentile".

    Returns
    -------
    int or None
        The radius in slices; None for the whole volume.

    Raises
    ------
    ValueError
        If `method` is unknown or `z_radius` is not an int (bool excluded), None or "auto".
    """
    if method not in AUTO_Z_RADIUS:
        raise ValueError(f"unknown method {method!r}; expected one of {sorted(AUTO_Z_RADIUS)}")
    if z_radius == "auto":
        return AUTO_Z_RADIUS[method]
    if z_radius is None or (isinstance(z_radius, int | np.integer) and not isinstance(z_radius, bool)):
        return None if z_radius is None else int(z_radius)
    raise ValueError(f"z_radius must be an int, None or 'auto', not {z_radius!r}")


def slab_bounds(nz: int, z_radius: int | None) -> tuple[int, int]:
    """[max(0, ceil(c - r)), min(nz, floor(c + r) + 1)) with c = nz/2 - 0.5; the whole z range for None.

    Parameters
    ----------
    nz : int
        The number of z slices of the volume.
    z_radius : int or None
        The slab radius r in slices; None for the whole volume.

    Returns
    -------
    tuple of int
        The first slice and one past the last slice of the slab.
    """
    if z_radius is None:
        return 0, nz
    centre = nz / 2 - 0.5
    return max(0, math.ceil(centre - z_radius)), min(nz, math.floor(centre + z_radius) + 1)


def sample_count(shape: tuple[int, ...], downsampling_ratio: float | None) -> int | None:
    """int(full volume size * ratio), the number of voxels to sample; None samples every voxel.

    Parameters
    ----------
    shape : tuple of int
        The volume's shape.
    downsampling_ratio : float or None
        The fraction of the whole volume's voxel count to sample; None for every voxel.

    Returns
    -------
    int or None
        The number of voxels to sample.

    Raises
    ------
    ValueError
        If `downsampling_ratio` is not positive.
    """
    if downsampling_ratio is None:
        return None
    if not downsampling_ratio > 0:
        raise ValueError(f"downsampling_ratio must be positive or None, not {downsampling_ratio!r}")
    return int(math.prod(shape) * downsampling_ratio)


def sample_indices(slab_size: int, count: int | None, seed: int = SEED) -> np.ndarray | None:
    """Flat slab indices of the seeded sample, in draw order; None when every voxel is used.

    Parameters
    ----------
    slab_size : int
        The number of voxels in the slab.
    count : int or None
        The number of voxels to sample; None (or at least `slab_size`) for every voxel.
    seed : int
        The seed of the NumPy generator drawing the sample without replacement.

    Returns
    -------
    numpy.ndarray or None
        `count` distinct indices into the flattened slab, or None.
    """
    if count is None or count >= slab_size:
        return None
    return np.random.default_rng(seed).choice(slab_size, count, replace=False)


def summarize_slabs(
    data: Any,
    *,
    name: str,
    z_radius: ZRadius = "auto",
    downsampling_ratio: float | None = 0.3,
    seed: int = SEED,
    map_tiles: OrderedMap | None = None,
) -> SlabSummary:
    """Every method's slab of a 3-D array (z first), in one streaming pass, chunk by chunk (on `map_tiles`).

    Parameters
    ----------
    data : array-like
        A 3-D NumPy, Dask or zarr array, (z, y, x).
    name : str
        The volume's name, used in errors and stored in the summary.
    z_radius : int, None or "auto"
        The slab radius in slices (see `resolve_z_radius`).
    downsampling_ratio : float or None
        The fraction of the volume's voxels to sample (see `sample_count`); None for every slab voxel.
    seed : int
        The seed of the sample.
    map_tiles : OrderedMap, optional
        How tiles are read and summarised (two local threads by default).

    Returns
    -------
    SlabSummary
        The volume's shape and dtype and, per method, its slab with sample and fine histogram.

    Raises
    ------
    InputError, ValueError
        As for `summarize_method_slabs`.
    """
    slabs = summarize_method_slabs(
        data, name, METHODS, z_radius, downsampling_ratio, seed, collect_samples=True, map_tiles=map_tiles
    )
    shape = tuple(int(n) for n in data.shape)
    return SlabSummary(name, (shape[0], shape[1], shape[2]), str(np.dtype(data.dtype)), slabs)


def summarize_method_slabs(
    data: Any,
    name: str,
    methods: tuple[str, ...],
    z_radius: ZRadius,
    downsampling_ratio: float | None,
    seed: int,
    collect_samples: bool,
    map_tiles: OrderedMap | None = None,
) -> dict[str, MethodSlab]:
    """The slab of each of `methods`, scanned together; raises InputError for unusable slabs.

    Parameters
    ----------
    data : array-like
        A 3-D NumPy, Dask or zarr array, (z, y, x).
    name : str
        The volume's name, used in errors.
    methods : tuple of str
        The contrast methods whose slabs are wanted.
    z_radius : int, None or "auto"
        The slab radius in slices (see `resolve_z_radius`).
    downsampling_ratio : float or None
        The fraction of the volume's voxels to sample; None for every slab voxel.
    seed : int
        The seed of the sample.
    collect_samples : bool
        Whether to gather sampled values (False: histograms and counts only).
    map_tiles : OrderedMap, optional
        How tiles are read and summarised (two local threads by default).

    Returns
    -------
    dict of str to MethodSlab
        Each method's slab; methods with the same bounds share one scan.

    Raises
    ------
    InputError
        If `data` is not a 3-D integer or floating array, or a slab is empty, entirely NaN or
        infinite, has fewer than MIN_FINITE finite voxels or is constant.
    ValueError
        For an invalid `z_radius`, `downsampling_ratio` or method.
    """
    dtype = check_volume(data, name)
    shape = tuple(int(n) for n in data.shape)
    count = sample_count(shape, downsampling_ratio)
    bounds = {m: slab_bounds(shape[0], resolve_z_radius(z_radius, m)) for m in methods}
    unique = sorted(set(bounds.values()))
    targets = []
    for lo, hi in unique:
        size = max(0, hi - lo) * shape[1] * shape[2]
        if size == 0:
            raise InputError(name, f"the z-slab {lo}:{hi} of a volume of shape {shape} is empty")
        indices = sample_indices(size, count, seed) if collect_samples else None
        targets.append(SlabTarget((lo, hi), indices, collect_samples))
    scans = dict(zip(unique, scan_slabs(data, targets, dtype, map_tiles), strict=True))
    return {m: _method_slab(scans[bounds[m]], count, name) for m in methods}


def _method_slab(scan: SlabScan, count: int | None, name: str) -> MethodSlab:
    lo, hi = scan.z_bounds
    where = f"the z-slab {lo}:{hi}"
    histogram = scan.histogram
    if histogram is None:
        raise InputError(name, f"every voxel of {where} is NaN or infinite ({scan.n_voxels} voxels)")
    if histogram.total < MIN_FINITE:
        raise InputError(name, f"{where} has only {histogram.total} finite voxels; at least {MIN_FINITE} needed")
    if histogram.minimum == histogram.maximum:
        raise InputError(name, f"{where} is constant (every finite voxel is {histogram.minimum:g})")
    samples = scan.samples
    if samples is not None and scan.n_nonfinite:
        samples = samples[np.isfinite(samples)]
    size = scan.n_voxels if count is None else min(count, scan.n_voxels)
    return MethodSlab(scan.z_bounds, samples, size, histogram, scan.n_voxels, scan.n_nonfinite)


def save_slab_summary(summary: SlabSummary, folder: Path) -> list[Path]:
    """Write the samples and histograms as .npy files and the rest as summary.json, each atomically.

    Parameters
    ----------
    summary : SlabSummary
        The summary to save.
    folder : Path
        The folder to write into (created if missing).

    Returns
    -------
    list of Path
        Every file written, the summary JSON last.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    slabs = {}
    for method, slab in summary.slabs.items():
        arrays = {"samples": slab.samples, "counts": slab.histogram.counts, "edges": slab.histogram.edges}
        for kind, array in arrays.items():
            written.append(write_npy_atomic(folder / f"{method}_{kind}.npy", np.asarray(array)))
        slabs[method] = {
            "z_bounds": list(slab.z_bounds),
            "sample_size": slab.sample_size,
            "n_voxels": slab.n_voxels,
            "n_nonfinite": slab.n_nonfinite,
            "minimum": slab.minimum,
            "maximum": slab.maximum,
            "histogram_exponent": slab.histogram.exponent,
            "histogram_first_bin": slab.histogram.first,
            "integer_valued": slab.histogram.integer_valued,
            "n_below": slab.histogram.below,
            "n_above": slab.histogram.above,
            "data_range": list(slab.data_range),
        }
    document = {"name": summary.name, "shape": list(summary.shape), "dtype": summary.dtype, "slabs": slabs}
    written.append(write_text_atomic(folder / SUMMARY_FILE, json.dumps(document, indent=2, sort_keys=True)))
    return written


def load_slab_summary(folder: Path) -> SlabSummary:
    """Read a summary written by save_slab_summary (a local or object-store folder).

    Parameters
    ----------
    folder : Path
        The folder holding summary.json and the .npy files.

    Returns
    -------
    SlabSummary
        The summary as it was saved.

    Raises
    ------
    InputError
        If a file is missing or damaged.
    """
    try:
        document = json.loads((folder / SUMMARY_FILE).read_text())
        slabs = {method: _load_method_slab(folder, method, entry) for method, entry in document["slabs"].items()}
        shape = tuple(int(n) for n in document["shape"])
        return SlabSummary(str(document["name"]), (shape[0], shape[1], shape[2]), str(document["dtype"]), slabs)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise InputError(folder, f"is not a readable slab summary ({error})") from None


def _load_npy(path: Path) -> np.ndarray:
    with path.open("rb") as stream:
        return np.load(stream, allow_pickle=False)


def _load_method_slab(folder: Path, method: str, entry: dict[str, Any]) -> MethodSlab:
    histogram = DyadicHistogram(
        counts=_load_npy(folder / f"{method}_counts.npy"),
        exponent=int(entry["histogram_exponent"]),
        first=int(entry["histogram_first_bin"]),
        minimum=float(entry["minimum"]),
        maximum=float(entry["maximum"]),
        integer_valued=bool(entry["integer_valued"]),
        below=int(entry["n_below"]),
        above=int(entry["n_above"]),
        lowest=float(entry["data_range"][0]),
        highest=float(entry["data_range"][1]),
    )
    lo, hi = entry["z_bounds"]
    return MethodSlab(
        z_bounds=(int(lo), int(hi)),
        samples=_load_npy(folder / f"{method}_samples.npy"),
        sample_size=int(entry["sample_size"]),
        histogram=histogram,
        n_voxels=int(entry["n_voxels"]),
        n_nonfinite=int(entry["n_nonfinite"]),
    )
