"""Run one action over many items on a bounded thread pool, stopping at the first failure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

T = TypeVar("T")


def run_bounded(
    items: Sequence[T], action: Callable[[T], None], workers: int, finished: Callable[[int], None] | None = None
) -> None:
    """Call `action(item)` for every item, at most `workers` at a time.

    With one worker the items run in order in this thread. On the first failure no further item is
    started, the running ones are waited for (so nothing is left half-done in the background), and
    that failure is raised.

    Parameters
    ----------
    items
        What to act on.
    action
        Called once per item; must be safe to call from several threads at once.
    workers
        The most calls running at the same time (at least 1).
    finished
        Called in this thread after each successful call with the number done so far, e.g. to
        report progress.

    Raises
    ------
    ValueError
        If `workers` is below 1.
    Exception
        The first failure of `action`, unchanged.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1 or len(items) <= 1:
        for done, item in enumerate(items, start=1):
            action(item)
            if finished is not None:
                finished(done)
        return
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="em-assets-fetch")
    try:
        futures = [pool.submit(action, item) for item in items]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            if finished is not None:
                finished(done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
