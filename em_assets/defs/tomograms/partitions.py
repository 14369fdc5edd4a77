"""The dynamic `tomogram` partitions: one key per tomogram, from a landing folder or the portal."""

import dagster as dg

tomogram_partitions = dg.DynamicPartitionsDefinition(name="tomogram")
