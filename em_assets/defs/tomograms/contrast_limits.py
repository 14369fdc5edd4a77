"""Asset `contrast_limits`: GMM and CDF limits of one tomogram and the pair the viewer uses."""

import json
import math
from typing import Literal

import dagster as dg

from em_assets.core.contrast.limits import ContrastReport, contrast_report
from em_assets.core.contrast.plot import plot_contrast_report
from em_assets.core.contrast.sampled_voxels import load_slab_summary
from em_assets.core.render import markdown_image
from em_assets.core.store import CONTRAST_PLOT, LIMITS_FILE
from em_assets.dagster_support.failures import input_errors_as_failures
from em_assets.dagster_support.publication import publication
from em_assets.defs.resources import StoreResource
from em_assets.defs.tomograms.partitions import tomogram_asset
from em_assets.defs.tomograms.sampled_voxels import sampled_voxels

LIMITS_CHECK = "limits_are_finite_ordered_and_in_range"
LIMITS_CHECK_SPEC = dg.AssetCheckSpec(LIMITS_CHECK, asset="contrast_limits", blocking=True)

Method = Literal["gmm", "cdf"]


class ContrastConfig(dg.Config):
    """The engine, and which method's limits the viewer uses in 2D and in 3D."""

    engine: Literal["fast", "exact"] = "fast"
    limits_2d: Method = "gmm"
    limits_3d: Method = "gmm"


def limits_check(report: ContrastReport) -> dg.AssetCheckResult:
    """Both limit pairs are finite, ordered and inside the data range."""
    low, high = report.data_range
    problems = []
    for method in ("gmm", "cdf"):
        a, b = getattr(report, method)
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


@tomogram_asset(deps=[sampled_voxels], kinds={"json"}, check_specs=[LIMITS_CHECK_SPEC])
@input_errors_as_failures()
def contrast_limits(
    context: dg.AssetExecutionContext, config: ContrastConfig, store: StoreResource
) -> dg.MaterializeResult:
    """GMM and CDF contrast limits (and the 2D/3D pair the viewer uses), with a plot of the fit."""
    key = context.partition_key
    inputs = {"sampled_voxels": store.layout.sampled_voxels_dir(key)}
    with publication(store.layout, context.asset_key.to_user_string(), key, inputs) as staged:
        summary = load_slab_summary(store.layout.sampled_voxels_dir(key))
        report = contrast_report(summary, engine=config.engine)
        plot = plot_contrast_report(summary, report)
        document = {
            **report.to_json(),
            "2d": {"method": config.limits_2d, "limits": list(getattr(report, config.limits_2d))},
            "3d": {"method": config.limits_3d, "limits": list(getattr(report, config.limits_3d))},
        }
        (staged.path / LIMITS_FILE).write_text(json.dumps(document, indent=2, sort_keys=True))
        (staged.path / CONTRAST_PLOT).write_bytes(plot)
        checks = [limits_check(report)]
        published = staged.finish(checks, {LIMITS_CHECK})
    return dg.MaterializeResult(
        metadata={
            "engine": report.engine,
            "gmm_limits": str(list(report.gmm)),
            "cdf_limits": str(list(report.cdf)),
            "gmm_components": report.n_components,
            "n_nonfinite_ignored": report.n_nonfinite,
            "limits_2d": config.limits_2d,
            "limits_3d": config.limits_3d,
            "plot": dg.MetadataValue.md(markdown_image(plot, f"{key} contrast limits")),
            "path": dg.MetadataValue.path(str(store.layout.limits_file(key))),
            **published,
        },
        check_results=checks,
    )
