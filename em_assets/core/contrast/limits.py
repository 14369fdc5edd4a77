"""Contrast limits of a tomogram by the GMM, CDF and percentile methods, with an exact and a fast engine.

`exact` is the reference: scikit-learn, np.histogram and np.percentile on the seeded voxel sample.
`fast` reads the robust fine histogram of every finite slab voxel (extreme voxels counted beside its
grid), fits the mixtures by EM on its bins from several deterministic starts (as interval data when
the voxels are quantised), and applies the CDF and percentile rules to the same histogram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from em_assets.core.contrast.cdf import exact_cdf_limits, fast_cdf_limits
from em_assets.core.contrast.gmm import (
    Mixture,
    exact_gmm_limits,
    fast_gmm_fit,
    limits_around_nearest,
)
from em_assets.core.contrast.percentile import (
    DEFAULT_PERCENTILES,
    check_percentiles,
    exact_percentile_limits,
    fast_percentile_limits,
)
from em_assets.core.contrast.sampled_voxels import (
    METHODS,
    MIN_FINITE,
    SEED,
    MethodSlab,
    SlabSummary,
    ZRadius,
    summarize_method_slabs,
)
from em_assets.core.errors import InputError

ENGINES = ("fast", "exact")

Method = Literal["gmm", "cdf", "percentile"]
Engine = Literal["fast", "exact"]
Limits = tuple[float, float]


@dataclass(frozen=True)
class ContrastReport:
    """Every method's limits of one tomogram, the chosen GMM and what the slab held.

    `n_nonfinite` counts NaN and infinite voxels, `n_outliers` finite voxels outside the robust
    bounds of the histogram (both of the widest slab; the fast engine ignores them, exact samples
    the finite ones).
    """

    gmm: Limits
    cdf: Limits
    engine: str
    percentile: Limits = (0.0, 0.0)
    percentiles: Limits = DEFAULT_PERCENTILES
    gmm_components: list[tuple[float, float, float]] = field(default_factory=list)
    n_components: int = 0
    n_nonfinite: int = 0
    n_outliers: int = 0
    data_range: Limits = (0.0, 0.0)

    def by_method(self) -> dict[str, Limits]:
        """The limits of each method, keyed "gmm", "cdf", "percentile"."""
        return {method: getattr(self, method) for method in METHODS}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "gmm": list(self.gmm),
            "cdf": list(self.cdf),
            "percentile": list(self.percentile),
            "percentiles": list(self.percentiles),
            "engine": self.engine,
            "gmm_components": [{"weight": w, "mean": m, "sigma": s} for w, m, s in self.gmm_components],
            "n_components": self.n_components,
            "n_nonfinite": self.n_nonfinite,
            "n_outliers": self.n_outliers,
            "data_range": list(self.data_range),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ContrastReport:
        """The report that `to_json` gave `document`.

        Parameters
        ----------
        document : dict of str to Any
            A document written by `to_json`.

        Returns
        -------
        ContrastReport
            The report.

        Raises
        ------
        KeyError
            If a field is missing from `document`.
        """
        return cls(
            gmm=_pair(document["gmm"]),
            cdf=_pair(document["cdf"]),
            engine=str(document["engine"]),
            percentile=_pair(document["percentile"]),
            percentiles=_pair(document["percentiles"]),
            gmm_components=[(float(c["weight"]), float(c["mean"]), float(c["sigma"])) for c in document["gmm_components"]],
            n_components=int(document["n_components"]),
            n_nonfinite=int(document["n_nonfinite"]),
            n_outliers=int(document["n_outliers"]),
            data_range=_pair(document["data_range"]),
        )


def _pair(values: Any) -> Limits:
    low, high = values
    return float(low), float(high)


def ordered_in_range(limits: Limits, minimum: float, maximum: float) -> Limits:
    """`limits` clipped into [minimum, maximum]; the whole range when that leaves them unordered.

    A component pinned to one grey level of a nearly constant slab, or a percentile pair inside one
    value, would otherwise give an empty or inverted window.

    Parameters
    ----------
    limits : tuple of float
        The (low, high) limits.
    minimum, maximum : float
        The range of the data.

    Returns
    -------
    tuple of float
        The clipped limits if low < high after clipping, else ``(minimum, maximum)``.
    """
    low, high = (float(min(max(v, minimum), maximum)) for v in limits)
    return (low, high) if low < high else (float(minimum), float(maximum))


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")


def _exact_values(slab: MethodSlab, dtype: str, name: str) -> np.ndarray:
    """The sample as the reference sees it: float32 and float64 kept, anything else as float64."""
    samples = slab.samples
    if samples is None or samples.size < MIN_FINITE:
        count = 0 if samples is None else samples.size
        raise InputError(name, f"the seeded sample holds {count} finite voxels; at least {MIN_FINITE} needed")
    if np.min(samples) == np.max(samples):
        raise InputError(name, "the seeded sample is constant; use a larger downsampling_ratio")
    return samples if np.dtype(dtype) in (np.float32, np.float64) else samples.astype(np.float64)


def gmm_limits(slab: MethodSlab, engine: Engine, dtype: str, name: str) -> tuple[Limits, Mixture]:
    """GMM limits of one slab and the mixture they come from.

    Parameters
    ----------
    slab : MethodSlab
        The gmm slab's summary.
    engine : {"fast", "exact"}
        "fast" (EM on the robust histogram) or "exact" (scikit-learn on the sample).
    dtype : str
        The volume's dtype, as a string.
    name : str
        The tomogram's name, for errors.

    Returns
    -------
    tuple
        The limits and the chosen mixture.

    Raises
    ------
    InputError
        When the exact engine's sample is too small or constant.
    """
    if engine == "exact":
        return exact_gmm_limits(_exact_values(slab, dtype, name))
    mixture = fast_gmm_fit(slab.histogram, slab.effective_sample_size)
    limits = limits_around_nearest(mixture, slab.histogram.mean(), slab.minimum, slab.maximum)
    return ordered_in_range(limits, slab.minimum, slab.maximum), mixture


def cdf_limits(slab: MethodSlab, engine: Engine, dtype: str, name: str) -> Limits:
    """CDF-gradient limits of one slab (parameters as for `gmm_limits`).

    Parameters
    ----------
    slab, engine, dtype, name
        As for `gmm_limits`.

    Returns
    -------
    tuple of float
        The limits.

    Raises
    ------
    InputError
        When the exact engine's sample is too small or constant.
    """
    if engine == "exact":
        return exact_cdf_limits(_exact_values(slab, dtype, name))
    return ordered_in_range(fast_cdf_limits(slab.histogram, np.dtype(dtype)), slab.minimum, slab.maximum)


def percentile_limits(
    slab: MethodSlab, engine: Engine, dtype: str, name: str, percentiles: Limits = DEFAULT_PERCENTILES
) -> Limits:
    """Percentile limits of one slab.

    Parameters
    ----------
    slab, engine, dtype, name
        As for `gmm_limits`.
    percentiles : tuple of float
        The low and high percentile, in percent.

    Returns
    -------
    tuple of float
        The values at those percentiles, ordered and inside the slab's range; an exact-engine
        sample that is too small or constant raises `InputError` as for `gmm_limits`.
    """
    if engine == "exact":
        return exact_percentile_limits(_exact_values(slab, dtype, name), percentiles)
    return ordered_in_range(fast_percentile_limits(slab.histogram, percentiles), slab.minimum, slab.maximum)


def _method_limits(slab: MethodSlab, method: str, engine: Engine, dtype: str, name: str, percentiles: Limits) -> Limits:
    if method == "gmm":
        return gmm_limits(slab, engine, dtype, name)[0]
    if method == "cdf":
        return cdf_limits(slab, engine, dtype, name)
    return percentile_limits(slab, engine, dtype, name, percentiles)


def compute_contrast_limits(
    data: Any,
    method: Method = "gmm",
    z_radius: ZRadius = "auto",
    downsampling_ratio: float | None = 0.3,
    engine: Engine = "fast",
    name: str = "volume",
    seed: int = SEED,
    percentiles: Limits = DEFAULT_PERCENTILES,
) -> Limits:
    """Contrast limits of a 3-D NumPy, Dask or zarr array (z first).

    Parameters
    ----------
    data : array-like
        The volume, z first; integer or floating voxels.
    method : {"gmm", "cdf", "percentile"}
        "gmm", "cdf" or "percentile".
    z_radius : int, None or "auto"
        Slices each side of the central one; "auto" is 15 for gmm and 5 otherwise, None all of z.
    downsampling_ratio : float or None
        Sample size as a fraction of the whole volume (the exact engine's sample); None samples all.
    engine : {"fast", "exact"}
        "fast" or "exact".
    name : str
        The volume's name, for errors.
    seed : int
        Seed of the voxel sample.
    percentiles : tuple of float
        The percentile method's low and high percentile, in percent.

    Returns
    -------
    tuple of float
        The low and high limit.

    Raises
    ------
    InputError
        When the volume or its slab cannot give limits (not 3-D, empty, constant, no finite voxels).
    ValueError
        For an unknown method or engine, or bad parameters.
    """
    _check_engine(engine)
    percentiles = check_percentiles(percentiles)
    slab = summarize_method_slabs(
        data, name, (method,), z_radius, downsampling_ratio, seed, collect_samples=engine == "exact"
    )[method]
    return _method_limits(slab, method, engine, str(np.dtype(data.dtype)), name, percentiles)


def contrast_report(
    summary: SlabSummary, engine: Engine = "fast", percentiles: Limits = DEFAULT_PERCENTILES
) -> ContrastReport:
    """Every method's limits from a slab summary, by `engine`.

    Parameters
    ----------
    summary : SlabSummary
        What asset `sampled_voxels` holds.
    engine : {"fast", "exact"}
        "fast" or "exact".
    percentiles : tuple of float
        The percentile method's low and high percentile, in percent.

    Returns
    -------
    ContrastReport
        The limits of every method, the chosen mixture and the slab's counts.

    Raises
    ------
    InputError
        When the summary lacks a method's slab or a slab cannot give limits.
    """
    _check_engine(engine)
    percentiles = check_percentiles(percentiles)
    missing = [method for method in METHODS if method not in summary.slabs]
    if missing:
        raise InputError(summary.name, f"the slab summary has no {', '.join(missing)} slab; summarise the volume again")
    gmm, mixture = gmm_limits(summary.slabs["gmm"], engine, summary.dtype, summary.name)
    widest = summary.widest
    return ContrastReport(
        gmm=gmm,
        cdf=cdf_limits(summary.slabs["cdf"], engine, summary.dtype, summary.name),
        engine=engine,
        percentile=percentile_limits(summary.slabs["percentile"], engine, summary.dtype, summary.name, percentiles),
        percentiles=percentiles,
        gmm_components=mixture.components(),
        n_components=mixture.n_components,
        n_nonfinite=widest.n_nonfinite,
        n_outliers=widest.n_outliers,
        data_range=widest.data_range,
    )
