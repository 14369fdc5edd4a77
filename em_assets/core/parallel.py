"""Ordered maps: run a function over items on local threads or on a Dask cluster, a bounded window
of items in flight, results in the items' order.

A loop that accepts an `OrderedMap` does not care where its work runs; the thread map is the
default (one machine), `dask_map` sends each item to a `distributed.Client`'s workers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class OrderedMap(Protocol):
    """`(work, items)` -> iterator over `work(item)` for every item, in order."""

    def __call__(self, work: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]: ...


def _windowed(submit: Callable[[T], Any], items: Iterable[T], window: int) -> Iterator[Any]:
    """Submit items one by one, at most `window` pending; yield each pending result in order."""
    pending: deque[Any] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def thread_map(workers: int) -> OrderedMap:
    """An ordered map on `workers` threads of this process, at most 2 * `workers` items in flight.

    Parameters
    ----------
    workers : int
        Number of threads (at least 1).

    Returns
    -------
    OrderedMap
        A map that starts its threads on each call and joins them when the results are consumed.
    """

    def run(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        with ThreadPoolExecutor(max(1, workers)) as pool:
            submit: Callable[[T], Future[R]] = lambda item: pool.submit(work, item)  # noqa: E731
            yield from _windowed(submit, items, 2 * max(1, workers))

    return run


def dask_map(client: Any, window: int = 0) -> OrderedMap:
    """An ordered map whose items run as tasks on the workers of a `distributed.Client`.

    Parameters
    ----------
    client : distributed.Client
        A connected client; `work` and every item must pickle (cloudpickle), and whatever `work`
        opens (files, zarr stores) must be reachable from the workers.
    window : int, optional
        Items in flight at once; 0 means two per worker thread of the cluster. Results are small
        partial summaries, so the driver's memory stays bounded by the window.

    Returns
    -------
    OrderedMap
        A map that submits each item as one task (never retried on another worker by the driver: a
        task's exception is raised from the iterator).
    """

    def run(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        size = window or 2 * max(1, sum(client.nthreads().values()))
        submit = lambda item: client.submit(work, item, pure=False)  # noqa: E731
        yield from _windowed(submit, items, size)

    return run
