"""The science of em-assets: pure Python, NumPy and zarr, with no Dagster import."""
