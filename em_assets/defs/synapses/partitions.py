"""The dynamic `em_dataset` partitions (one key per EM dataset folder in landing/em/), and the asset
and check-spec decorators every per-dataset asset shares: checks partitioned like their asset, and a
backfill batching many datasets into each run."""

import functools

import dagster as dg

from em_assets.dagster_support.batched_runs import batched_backfill_policy

em_dataset_partitions = dg.DynamicPartitionsDefinition(name="em_dataset")

em_dataset_asset = functools.partial(
    dg.asset,
    group_name="synapse_chunks",
    partitions_def=em_dataset_partitions,
    backfill_policy=batched_backfill_policy(),
)

em_dataset_check = functools.partial(dg.AssetCheckSpec, partitions_def=em_dataset_partitions)
