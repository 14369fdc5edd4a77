"""A PNG of one tomogram's contrast limits: sample histogram, fitted GMM components, every limit pair."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from em_assets.core.contrast.limits import ContrastReport
from em_assets.core.contrast.sampled_voxels import SlabSummary
from em_assets.core.render import Panel

PLOT_BINS = 200
COMPONENT_COLORS = ("tab:blue", "tab:purple", "tab:brown")
MARGIN = 0.15


def _plot_range(summary: SlabSummary, report: ContrastReport) -> tuple[float, float]:
    histogram = summary.slabs["gmm"].histogram
    points = [histogram.quantile(0.001), histogram.quantile(0.999), *report.gmm, *report.cdf, *report.percentile]
    low, high = min(points), max(points)
    pad = MARGIN * (high - low) if high > low else 1.0
    return max(low - pad, histogram.minimum), min(high + pad, histogram.maximum)


def _density(summary: SlabSummary, edges: np.ndarray) -> np.ndarray:
    """Density of the gmm slab's sample over `edges` (its fine histogram when there is no sample)."""
    slab = summary.slabs["gmm"]
    if slab.samples is not None and slab.samples.size:
        counts = np.histogram(slab.samples, bins=edges)[0].astype(np.float64)
        total = slab.samples.size
    else:
        counts = np.histogram(slab.histogram.values, bins=edges, weights=slab.histogram.counts)[0]
        total = slab.histogram.total
    return counts / (total * np.diff(edges))


def plot_contrast_report(summary: SlabSummary, report: ContrastReport) -> bytes:
    """The PNG bytes of the plot (matplotlib Agg, no global state, byte-identical for equal input).

    Parameters
    ----------
    summary : SlabSummary
        The volume's slab summary; the gmm slab's sample (or histogram) is drawn as a density.
    report : ContrastReport
        The limits of each method and the GMM components, drawn over it.

    Returns
    -------
    bytes
        The PNG image.
    """
    low, high = _plot_range(summary, report)
    edges = np.linspace(low, high, PLOT_BINS + 1)
    figure = Figure(figsize=(7.0, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.stairs(_density(summary, edges), edges, fill=True, color="0.8", label="gmm slab sample")
    x = np.linspace(low, high, 600)
    total = np.zeros_like(x)
    for index, (weight, mean, sigma) in enumerate(report.gmm_components):
        curve = weight * np.exp(-0.5 * ((x - mean) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
        total += curve
        axes.plot(x, curve, color=COMPONENT_COLORS[index % len(COMPONENT_COLORS)], linewidth=1, label=f"component {mean:.3g} ± {sigma:.3g}")
    if report.gmm_components:
        axes.plot(x, total, color="black", linewidth=1, linestyle=":", label="mixture")
    for method, color, style in (("gmm", "tab:green", "-"), ("cdf", "tab:orange", "--"), ("percentile", "tab:red", ":")):
        for value in getattr(report, method):
            axes.axvline(value, color=color, linestyle=style, linewidth=1.5)
        axes.plot([], [], color=color, linestyle=style, label=f"{method} limits")
    axes.set_xlim(low, high)
    axes.set_xlabel("voxel value")
    axes.set_ylabel("density")
    axes.set_title(f"{summary.name}: {report.engine} engine, {report.n_components}-component GMM", fontsize=10)
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def method_panels(slice_xy: np.ndarray, report: ContrastReport) -> list[Panel]:
    """The same slice once per contrast method, each drawn between that method's limits.

    Parameters
    ----------
    slice_xy : numpy.ndarray
        A 2-D slice of the tomogram.
    report : ContrastReport
        The limits of every method.

    Returns
    -------
    list of Panel
        One titled panel per method, in the report's method order.
    """
    return [
        Panel(f"{method} [{low:.4g}, {high:.4g}]", slice_xy, (low, high))
        for method, (low, high) in report.by_method().items()
    ]
