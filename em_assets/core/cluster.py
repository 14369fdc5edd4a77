"""A Dask `distributed.Client`: a local cluster of worker processes, or an existing scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from em_assets.core.errors import InputError

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ClusterSettings:
    """Where the Dask work runs: `scheduler_address` if set, else a `LocalCluster` of this shape."""

    scheduler_address: str = ""
    n_workers: int = 2
    threads_per_worker: int = 1
    memory_limit: str = "4GiB"
    dashboard: bool = False


@contextmanager
def dask_client(settings: ClusterSettings) -> Iterator[object]:
    """Yield a `distributed.Client` for `settings`, closing it (and a cluster it started) afterwards.

    Parameters
    ----------
    settings : ClusterSettings
        A scheduler address such as ``tcp://10.0.0.5:8786`` to join a running cluster (Slurm with
        dask-jobqueue, Kubernetes with dask-kubernetes), or an empty address to start a
        `LocalCluster` of worker processes bound to 127.0.0.1 (its dashboard on 127.0.0.1:8787 only
        if `dashboard` is set).

    Yields
    ------
    distributed.Client
        The connected client.

    Raises
    ------
    InputError
        If the scheduler address cannot be reached or the local cluster shape is invalid.
    """
    from distributed import Client, LocalCluster

    if settings.scheduler_address:
        try:
            client = Client(settings.scheduler_address, timeout="30s")
        except (OSError, TimeoutError) as error:
            raise InputError(f"Dask scheduler {settings.scheduler_address}", f"is unreachable ({error})") from None
        with client:
            yield client
        return
    if settings.n_workers < 1 or settings.threads_per_worker < 1:
        raise InputError("Dask local cluster", "needs at least one worker and one thread per worker")
    cluster = LocalCluster(
        n_workers=settings.n_workers,
        threads_per_worker=settings.threads_per_worker,
        memory_limit=settings.memory_limit,
        processes=True,
        host=LOOPBACK,
        dashboard_address=f"{LOOPBACK}:8787" if settings.dashboard else None,
    )
    with cluster, Client(cluster) as client:
        yield client
