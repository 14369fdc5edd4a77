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
