"""The dynamic `tomogram` partitions (one key per tomogram, from a landing folder or the portal), and
the asset decorator every per-tomogram asset shares."""

import functools

import dagster as dg

tomogram_partitions = dg.DynamicPartitionsDefinition(name="tomogram")

tomogram_asset = functools.partial(dg.asset, group_name="tomograms", partitions_def=tomogram_partitions)
