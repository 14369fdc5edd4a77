"""Dagster concurrency pools: how many tomogram ingests and how many heavy computations run at once.

A pool caps the steps in progress across all runs. `raw_tomogram` is in the ingest pool: for a portal
key it is the download, for a landing key the copy into the store; either way its cost is bytes moved
(network or disk), so one cap bounds both. The array computations (`sampled_voxels`,
`processed_chunks`) are in the compute pool. The instance's `concurrency: pools: default_limit` in
`deploy/dagster/*.yaml` caps every pool; `dagster instance concurrency set <pool> <limit>` sets one
pool's own limit.
"""

INGEST_POOL = "tomogram_ingest"
COMPUTE_POOL = "heavy_compute"
