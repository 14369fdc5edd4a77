"""The CryoET Data Portal through the real `cryoet-data-portal` client: discovery, resumable verified
mirrors of chosen resolution levels, and retries for transient network failures."""

from em_assets.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "client": [
            "PortalFilters",
            "PortalSettings",
            "PortalTomogram",
            "fetch_tomogram",
            "is_portal_key",
            "iter_tomogram_pages",
            "tomogram_id_from_key",
        ],
        "scan": ["ScanStep", "scan_new_tomograms"],
        "neuroglancer_config": ["limits_difference_percent", "parse_portal_limits"],
        "ingest": ["PortalIngest", "ingest_tomogram", "portal_record"],
        "retry": ["RetriesExhausted", "RetryPolicy", "call_with_retry"],
    },
)
