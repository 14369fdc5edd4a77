"""Contrast limits of tomograms: the GMM, CDF and percentile methods on a one-pass summary of the central z-slab.

`compute_contrast_limits` is the seed's public API; `contrast_report` runs every method on what asset
`sampled_voxels` holds. This wing knows arrays, not stores.
"""

from em_assets.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "limits": ["ContrastReport", "compute_contrast_limits", "contrast_report"],
        "percentile": ["DEFAULT_PERCENTILES", "exact_percentile_limits", "fast_percentile_limits"],
        "sampled_voxels": ["MethodSlab", "SlabSummary", "load_slab_summary", "save_slab_summary", "summarize_slabs"],
        "histogram": ["DyadicHistogram"],
        "gmm": ["Mixture", "exact_gmm_limits", "fast_gmm_fit"],
        "cdf": ["exact_cdf_limits", "fast_cdf_limits"],
        "plot": ["plot_contrast_report"],
    },
)
