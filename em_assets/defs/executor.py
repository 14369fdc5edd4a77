"""The executor of every job, the implicit asset job included: each run's steps run inside its one process.

Partitions, one run each, give the parallelism (one process or pod per run, Dask inside an asset), so a
run needs no step processes; and with none, a run worker that is killed takes all of its work with it
instead of leaving step processes behind.
"""

import dagster as dg


@dg.definitions
def executor() -> dg.Definitions:
    """Run every job's steps in the run's own process."""
    return dg.Definitions(executor=dg.in_process_executor)
