"""Contrast limits of a tomogram by the GMM and CDF methods, with an exact and a fast engine.

`exact` is the reference: scikit-learn and np.histogram on the seeded voxel sample. `fast` reads the
fine histogram of every finite slab voxel, fits the mixtures by EM on its bins from several
deterministic starts, and applies the CDF rules to the same histogram.
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
from em_assets.core.contrast.sampled_voxels import (
    MIN_FINITE,
    SEED,
    MethodSlab,
    SlabSummary,
    ZRadius,
    summarize_method_slabs,
)
from em_assets.core.errors import InputError

ENGINES = ("fast", "exact")

Method = Literal["gmm", "cdf"]
Engine = Literal["fast", "exact"]
Limits = tuple[float, float]


@dataclass(frozen=True)
class ContrastReport:
    """Both methods' limits of one tomogram, the chosen GMM and what the slab held."""

    gmm: Limits
    cdf: Limits
    engine: str
    gmm_components: list[tuple[float, float, float]] = field(default_factory=list)
    n_components: int = 0
    n_nonfinite: int = 0
    data_range: Limits = (0.0, 0.0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "gmm": list(self.gmm),
            "cdf": list(self.cdf),
            "engine": self.engine,
            "gmm_components": [{"weight": w, "mean": m, "sigma": s} for w, m, s in self.gmm_components],
            "n_components": self.n_components,
            "n_nonfinite": self.n_nonfinite,
            "data_range": list(self.data_range),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> ContrastReport:
        """The report that `to_json` gave `document`."""
        return cls(
            gmm=_pair(document["gmm"]),
            cdf=_pair(document["cdf"]),
            engine=str(document["engine"]),
            gmm_components=[(float(c["weight"]), float(c["mean"]), float(c["sigma"])) for c in document["gmm_components"]],
            n_components=int(document["n_components"]),
            n_nonfinite=int(document["n_nonfinite"]),
            data_range=_pair(document["data_range"]),
        )


def _pair(values: Any) -> Limits:
    low, high = values
    return float(low), float(high)


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
    """GMM limits of one slab and the mixture they come from."""
    if engine == "exact":
        return exact_gmm_limits(_exact_values(slab, dtype, name))
    mixture = fast_gmm_fit(slab.histogram, slab.effective_sample_size)
    return limits_around_nearest(mixture, slab.histogram.mean(), slab.minimum, slab.maximum), mixture


def cdf_limits(slab: MethodSlab, engine: Engine, dtype: str, name: str) -> Limits:
    """CDF-gradient limits of one slab."""
    if engine == "exact":
        return exact_cdf_limits(_exact_values(slab, dtype, name))
    return fast_cdf_limits(slab.histogram, np.dtype(dtype))


def compute_contrast_limits(
    data: Any,
    method: Method = "gmm",
    z_radius: ZRadius = "auto",
    downsampling_ratio: float | None = 0.3,
    engine: Engine = "fast",
    name: str = "volume",
    seed: int = SEED,
) -> Limits:
    """Contrast limits of a 3-D NumPy, Dask or zarr array (z first) by `method` ("gmm" or "cdf")."""
    _check_engine(engine)
    slab = summarize_method_slabs(
        data, name, (method,), z_radius, downsampling_ratio, seed, collect_samples=engine == "exact"
    )[method]
    dtype = str(np.dtype(data.dtype))
    if method == "gmm":
        return gmm_limits(slab, engine, dtype, name)[0]
    return cdf_limits(slab, engine, dtype, name)


def contrast_report(summary: SlabSummary, engine: Engine = "fast") -> ContrastReport:
    """Both methods' limits from a slab summary, by `engine`."""
    _check_engine(engine)
    gmm, mixture = gmm_limits(summary.slabs["gmm"], engine, summary.dtype, summary.name)
    cdf = cdf_limits(summary.slabs["cdf"], engine, summary.dtype, summary.name)
    widest = summary.widest
    return ContrastReport(
        gmm=gmm,
        cdf=cdf,
        engine=engine,
        gmm_components=mixture.components(),
        n_components=mixture.n_components,
        n_nonfinite=widest.n_nonfinite,
        data_range=(widest.minimum, widest.maximum),
    )
