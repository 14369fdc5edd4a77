"""Tomograms: volumes (MRC, NGFF) read and written, statistics, landing ingest, the record, the
Neuroglancer state, the catalogue and the demo volumes."""

from em_assets.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "volumes": ["Multiscale", "SourceVolume", "open_multiscale", "open_source_volume", "write_multiscale"],
        "ngff": [
            "MultiscaleLevel",
            "build_multiscales",
            "omero_metadata",
            "parse_multiscale",
            "parse_multiscale_levels",
            "set_translation",
            "write_display_window",
        ],
        "mrc": ["MrcVolume", "open_mrc"],
        "axes": ["OrientedArray", "oriented"],
        "pyramid": ["PyramidWrite", "downsample_2x", "write_pyramid"],
        "statistics": ["VolumeStatistics", "combine_statistics", "slab_statistics", "volume_statistics"],
        "landing": ["find_landing_tomogram", "scan_tomogram_landing"],
        "ingest": ["check_zarr_source", "ingest_landing_tomogram", "level_records"],
        "source_checks": ["as_stored", "check_levels_consistent", "check_volume_shape", "missing_chunks", "stored_dtype"],
        "record": ["LevelRecord", "TomogramRecord"],
        "neuroglancer": [
            "generate_image_layer", "combine_json_layers", "placed_position", "state_url", "tomogram_state"
        ],
        "catalog": ["build_tomogram_catalog"],
        "demo": ["DEMO_TOMOGRAMS", "DemoTomogram", "demo_volume", "stored_as", "write_demo_tomogram", "write_demo_tomograms"],
    },
)
