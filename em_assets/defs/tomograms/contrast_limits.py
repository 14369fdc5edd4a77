"""Asset `contrast_limits`: GMM, CDF and percentile limits of one tomogram and the pair the viewer uses."""

import json
import math
from typing import Literal

import dagster as dg
from pydantic import Field

from em_assets.core.contrast.limits import ContrastReport, contrast_report
from em_assets.core.contrast.percentile import DEFAULT_PERCENTILES
from em_assets.core.contrast.plot import method_panels, plot_contrast_report
from em_assets.core.contrast.sampled_voxels import load_slab_summary
from em_assets.core.errors import InputError
from em_assets.core.portal.neuroglancer_config import limits_difference_percent
from em_assets.core.render import (
    INLINE_MAX_BYTES,
    central_xy,
    markdown_image,
    panels_png,
)
from em_assets.core.store import CONTRAST_PLOT, CONTRAST_SLICES, LIMITS_FILE
from em_assets.core.tomograms.ngff import write_display_window
from em_assets.core.tomograms.record import TomogramRecord
from em_assets.core.tomograms.volumes import open_multiscale
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import StoreResource
from em_assets.defs.tomograms.partitions import tomogram_asset
from em_assets.defs.tomograms.sampled_voxels import sampled_voxels

LIMITS_CHECK = "limits_are_finite_ordered_and_in_range"
LIMITS_CHECK_SPEC = dg.AssetCheckSpec(
    LIMITS_CHECK,
    asset="contrast_limits",
    blocking=True,
    description="Fails (and blocks the viewer state) unless every method's limits are finite, ordered "
    "(low < high) and inside the data range.",
)
PORTAL_CHECK = "limits_near_the_portal_published_limits"
PORTAL_TOLERANCE_PERCENT = 10.0
ROBUST_QUANTILES = (0.001, 0.999)
PORTAL_CHECK_SPEC = dg.AssetCheckSpec(
    PORTAL_CHECK,
    asset="contrast_limits",
    description=(
        f"Warns when the 2D or 3D limits lie more than {PORTAL_TOLERANCE_PERCENT:g}% of the robust "
        "(0.1-99.9 percentile) range from those the CryoET Data Portal publishes in the tomogram's "
        "neuroglancerConfig; passes with nothing to compare for landing tomograms."
    ),
)
EXTREME_CHECK = "slab_has_no_extreme_voxels"
EXTREME_CHECK_SPEC = dg.AssetCheckSpec(
    EXTREME_CHECK,
    asset="contrast_limits",
    description="Warns when the slab holds NaN, infinite or extreme voxels (outside its robust bounds), "
    "which the fast limits ignore and the exact engine samples.",
)

Method = Literal["gmm", "cdf", "percentile"]


class ContrastConfig(dg.Config):
    """The engine, which method's limits the viewer uses in 2D and in 3D, and the percentile method's pair."""

    engine: Literal["fast", "exact"] = "fast"
    limits_2d: Method = "gmm"
    limits_3d: Method = "gmm"
    percentile_low: float = Field(DEFAULT_PERCENTILES[0], ge=0, lt=100, description="Percentile method's low percentile.")
    percentile_high: float = Field(DEFAULT_PERCENTILES[1], gt=0, le=100, description="Percentile method's high percentile.")


def limits_check(report: ContrastReport) -> dg.AssetCheckResult:
    """Every limit pair is finite, ordered and inside the data range."""
    low, high = report.data_range
    problems = []
    for method, (a, b) in report.by_method().items():
        if not (math.isfinite(a) and math.isfinite(b)):
            problems.append(f"{method} limits {a}, {b} are not finite")
        elif not a < b:
            problems.append(f"{method} limits {a}, {b} are not ordered")
        elif a < low or b > high:
            problems.append(f"{method} limits {a}, {b} leave the data range [{low}, {high}]")
    return dg.AssetCheckResult(
        check_name=LIMITS_CHECK,
        passed=not problems,
        description="; ".join(problems) or "finite, ordered, inside the data range",
        metadata={"data_min": low, "data_max": high},
    )


def portal_check(
    chosen: dict[str, list[float]], portal_limits: dict[str, tuple[float, float]] | None, robust: tuple[float, float]
) -> dg.AssetCheckResult:
    """How far the chosen 2D and 3D limits lie from the portal's, in % of the robust range."""
    if not portal_limits:
        return dg.AssetCheckResult(
            check_name=PORTAL_CHECK, passed=True, description="no portal-published limits to compare with"
        )
    differences = {
        dimension: limits_difference_percent(chosen[dimension], pair, robust)
        for dimension, pair in sorted(portal_limits.items())
    }
    far = [d for d, v in differences.items() if not v <= PORTAL_TOLERANCE_PERCENT]
    summary = ", ".join(f"{d} {v:.1f}%" for d, v in differences.items())
    verdict = f"{' and '.join(far)} beyond" if far else "within"
    return dg.AssetCheckResult(
        check_name=PORTAL_CHECK,
        passed=not far,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{verdict} {PORTAL_TOLERANCE_PERCENT:g}% of the portal's limits ({summary} of the robust range)",
        metadata={
            **{f"difference_{d}_percent": v for d, v in differences.items()},
            **{f"portal_{d}": str(list(pair)) for d, pair in sorted(portal_limits.items())},
            "robust_range": str(list(robust)),
        },
    )


def extreme_voxels_check(report: ContrastReport) -> dg.AssetCheckResult:
    """A warning when the slab held NaN, infinite or extreme voxels, with their counts."""
    counts = {"n_nonfinite": report.n_nonfinite, "n_outliers": report.n_outliers}
    return dg.AssetCheckResult(
        check_name=EXTREME_CHECK,
        passed=not any(counts.values()),
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{report.n_nonfinite} NaN or infinite and {report.n_outliers} extreme finite voxels "
        "(outside the robust bounds) in the slab, ignored by the fast limits",
        metadata=counts,
    )


@tomogram_asset(
    deps=[sampled_voxels], kinds={"json"}, check_specs=[LIMITS_CHECK_SPEC, PORTAL_CHECK_SPEC, EXTREME_CHECK_SPEC]
)
@input_errors_as_failures()
def contrast_limits(
    context: dg.AssetExecutionContext, config: ContrastConfig, store: StoreResource
) -> dg.MaterializeResult:
    """GMM, CDF and percentile contrast limits (and the 2D/3D pair the viewer uses), with a plot of the fit."""
    key = context.partition_key
    inputs = {"sampled_voxels": store.layout.sampled_voxels_dir(key)}
    with publication(store.layout, context.asset_key.to_user_string(), key, inputs) as staged:
        summary = load_slab_summary(store.layout.published(store.layout.sampled_voxels_dir(key)))
        percentiles = (config.percentile_low, config.percentile_high)
        try:
            report = contrast_report(summary, engine=config.engine, percentiles=percentiles)
        except ValueError as error:
            raise InputError(key, str(error)) from None
        plot = plot_contrast_report(summary, report)
        document = {
            **report.to_json(),
            "2d": {"method": config.limits_2d, "limits": list(getattr(report, config.limits_2d))},
            "3d": {"method": config.limits_3d, "limits": list(getattr(report, config.limits_3d))},
        }
        (staged.path / LIMITS_FILE).write_text(json.dumps(document, indent=2, sort_keys=True))
        (staged.path / CONTRAST_PLOT).write_bytes(plot)
        panels = method_panels(central_xy(open_multiscale(store.layout.tomogram_zarr(key)).array(0)), report)
        (staged.path / CONTRAST_SLICES).write_bytes(panels_png(panels))
        slices_preview = panels_png(panels, max_bytes=INLINE_MAX_BYTES)
        record = TomogramRecord.load(store.layout.published(store.layout.raw_tomogram_dir(key)))
        histogram = summary.widest.histogram
        robust = (float(histogram.quantile(ROBUST_QUANTILES[0])), float(histogram.quantile(ROBUST_QUANTILES[1])))
        chosen = {"2d": document["2d"]["limits"], "3d": document["3d"]["limits"]}
        checks = [limits_check(report), portal_check(chosen, record.portal_limits, robust), extreme_voxels_check(report)]
        published = staged.finish(checks, {LIMITS_CHECK})
        window: dict[str, object] = {}
        if published["published"]:
            omero = write_display_window(
                store.layout.tomogram_zarr(key), document["2d"]["limits"], report.data_range, key, record.shape[0] // 2
            )
            window = {"omero_window": dg.MetadataValue.json(omero["channels"][0]["window"])}
    return dg.MaterializeResult(
        metadata={
            "engine": report.engine,
            "gmm_limits": str(list(report.gmm)),
            "cdf_limits": str(list(report.cdf)),
            "percentile_limits": str(list(report.percentile)),
            "percentiles": str(list(report.percentiles)),
            "gmm_components": report.n_components,
            "n_nonfinite_ignored": report.n_nonfinite,
            "n_outliers_ignored": report.n_outliers,
            "limits_2d": config.limits_2d,
            "limits_3d": config.limits_3d,
            "plot": dg.MetadataValue.md(markdown_image(plot, f"{key} contrast limits")),
            "plot_path": dg.MetadataValue.path(str(store.layout.contrast_plot_file(key))),
            "slices": dg.MetadataValue.md(markdown_image(slices_preview, f"{key} central slice with each method's limits")),
            "slices_path": dg.MetadataValue.path(str(store.layout.contrast_slices_file(key))),
            "path": dg.MetadataValue.path(str(store.layout.limits_file(key))),
            **window,
            **published,
        },
        check_results=checks,
    )
