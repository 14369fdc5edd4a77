"""Time-bounded scans of the followed portal datasets for tomograms not yet registered."""

from __future__ import annotations

import time
from collections.abc import Callable, Set
from dataclasses import dataclass, replace

from em_assets.core.portal.client import (
    PortalFilters,
    PortalSettings,
    iter_tomogram_pages,
)


@dataclass(frozen=True)
class ScanStep:
    """One bounded piece of a scan: new partition keys, and where the next piece starts."""

    new_keys: list[str]
    next_after_id: int
    complete: bool
    pages: int
    listed: int


def scan_new_tomograms(
    settings: PortalSettings,
    filters: PortalFilters,
    known: Set[str],
    after_id: int = 0,
    budget_seconds: float = 25.0,
    page_size: int = 100,
    max_new: int = 200,
    clock: Callable[[], float] = time.monotonic,
) -> ScanStep:
    """Page through followed tomograms after `after_id` until the end, the budget or `max_new`.

    At least one page is read; a complete scan returns `next_after_id` 0 so the next one starts over.
    Request timeouts and retries are cut to the budget (at least one second).

    Parameters
    ----------
    settings : PortalSettings
        The portal's URL, request timeout and retry policy.
    filters : PortalFilters
        Which tomograms are followed.
    known : Set[str]
        Partition keys already registered; these are not reported as new.
    after_id : int, optional
        Start after this tomogram id (default 0: from the start).
    budget_seconds : float, optional
        Time after which no further page is requested (default 25).
    page_size : int, optional
        Tomograms per query (default 100).
    max_new : int, optional
        Stop after a page that brings the count of new keys to at least this many (default 200).
    clock : Callable[[], float], optional
        A monotonic clock in seconds (default `time.monotonic`).

    Returns
    -------
    ScanStep
        The new partition keys, where the next scan starts, whether the scan completed, and how many
        pages and tomograms were read.

    Raises
    ------
    InputError
        If the portal rejects a query or fails permanently.
    RetriesExhausted
        If transient failures outlast the (cut) retry policy.
    """
    deadline = clock() + budget_seconds
    bounded = replace(
        settings,
        timeout=min(settings.timeout, max(budget_seconds, 1.0)),
        retry=settings.retry.within(max(budget_seconds, 1.0)),
    )
    new_keys: list[str] = []
    pages = listed = 0
    for page in iter_tomogram_pages(bounded, filters, after_id, page_size):
        pages += 1
        listed += len(page)
        new_keys.extend(t.partition_key for t in page if t.partition_key not in known)
        if len(page) < page_size:
            return ScanStep(new_keys, 0, True, pages, listed)
        after_id = page[-1].id
        if clock() >= deadline or len(new_keys) >= max_new:
            break
    return ScanStep(new_keys, after_id, False, pages, listed)
