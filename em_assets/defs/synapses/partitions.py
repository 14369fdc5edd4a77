"""The dynamic `em_dataset` partitions (one key per EM dataset folder in landing/em/), and the asset
decorator every per-dataset asset shares."""

import functools

import dagster as dg

em_dataset_partitions = dg.DynamicPartitionsDefinition(name="em_dataset")

em_dataset_asset = functools.partial(dg.asset, group_name="synapse_chunks", partitions_def=em_dataset_partitions)
