"""Volume-EM synapse chunks: strict pairing, safe loading, the notebook's preprocessing in parallel
batches, per-dataset metadata and its merge, the landing scan, montages and demo data."""

from em_assets.core.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "pairing": ["ChunkPair", "ChunkPairing", "pair_chunks"],
        "loading": ["load_em_chunk", "load_mask_chunk"],
        "preprocessing": ["PreprocessingSettings", "preprocess_chunk", "process_chunk_pair"],
        "batch": ["ChunkBatch", "process_chunk_pairs", "read_manifest_records", "write_manifest"],
        "metadata": [
            "ChunkRecord",
            "merge_metadata_tables",
            "read_meta_csv",
            "read_meta_csvs",
            "read_merged_csv",
            "unresolved_paths",
            "write_meta_csv",
        ],
        "landing": ["scan_em_landing"],
        "montage": ["render_montage"],
        "demo": ["synthetic_synapse_chunk", "write_demo_em_datasets"],
    },
)
