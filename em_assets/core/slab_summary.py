"""What asset `sampled_voxels` keeps of one tomogram: per method, its z-slab, sample and fine histogram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from em_assets.core.dyadic_histogram import DyadicHistogram

METHODS = ("gmm", "cdf")
MARKDOWN_BINS = 12
MARKDOWN_BAR = 30


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
        """The smallest finite voxel of the slab."""
        return self.histogram.minimum

    @property
    def maximum(self) -> float:
        """The largest finite voxel of the slab."""
        return self.histogram.maximum

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
    """The slabs of one tomogram's summarised level, keyed by method ("gmm", "cdf")."""

    name: str
    shape: tuple[int, int, int]
    dtype: str
    slabs: dict[str, MethodSlab]

    @property
    def widest(self) -> MethodSlab:
        """The slab with the most voxels (the union of both, as the slabs share a centre)."""
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
