"""The dynamic `em_dataset` partitions: one key per EM dataset folder in landing/em/."""

import dagster as dg

em_dataset_partitions = dg.DynamicPartitionsDefinition(name="em_dataset")
