"""The landing cursor and tick plan: stability, refusals reported once, a cursor that stays small."""

from __future__ import annotations

import json
from pathlib import Path

from em_assets.core.landing import LandingEntry, LandingScan
from em_assets.core.watch import LandingCursor, next_watermark, plan_tick

SECOND = 1_000_000_000
OLD = 1_000 * SECOND


def _scan(
    fingerprints: dict[str, tuple[str, int]], refused: dict[str, str] | None = None, newest: int = 0
) -> LandingScan:
    """A scan of `key: (fingerprint, change time)`; `newest` stands for the landing folder's own change."""
    entries = {key: LandingEntry(key, Path(f"/landing/{key}.mrc"), fp, ns) for key, (fp, ns) in fingerprints.items()}
    refused = refused or {}
    newest = max([newest, *(ns for _, ns in fingerprints.values())])
    return LandingScan(entries, refused, newest, {path: f"fp-{reason}" for path, reason in refused.items()})


def _tick(scan: LandingScan, cursor: LandingCursor, registered: set[str], now: float, quiet: float = 0.0):
    watermark = next_watermark(cursor.watermark_ns, scan, started_ns=int(now * SECOND), duration_s=0.1, margin_s=2.0)
    plan = plan_tick(scan, cursor, registered, now, quiet, watermark)
    return plan, LandingCursor.from_json(plan.cursor.to_json())


def test_a_changing_item_waits_until_it_has_been_quiet_long_enough() -> None:
    plan, cursor = _tick(_scan({"a": ("f1", OLD)}), LandingCursor(), set(), now=2000.0, quiet=30)
    assert plan.ready == [] and [e.key for e in plan.waiting] == ["a"]
    plan, cursor = _tick(_scan({"a": ("f2", OLD + SECOND)}), cursor, set(), now=2020.0, quiet=30)
    assert plan.ready == [] and cursor.pending["a"] == ("f2", 2020.0)
    plan, cursor = _tick(_scan({"a": ("f2", OLD + SECOND)}), cursor, set(), now=2049.0, quiet=30)
    assert plan.ready == []
    plan, cursor = _tick(_scan({"a": ("f2", OLD + SECOND)}), cursor, set(), now=2050.0, quiet=30)
    assert [e.key for e in plan.ready] == ["a"] and cursor.pending == {}


def test_steady_ticks_run_nothing_and_keep_a_small_cursor() -> None:
    items = {f"item-{i:05d}": (f"{i:016x}", OLD + i) for i in range(10_000)}
    later = OLD + 60 * SECOND
    plan, cursor = _tick(_scan(items, newest=later), LandingCursor(), set(), now=5000.0)
    assert len(plan.ready) == 10_000
    assert len(plan.cursor.to_json()) < 100  # every item changed long before the watermark
    registered = set(items)
    plan, again = _tick(_scan(items, newest=later), cursor, registered, now=5030.0)
    assert plan.ready == [] and plan.waiting == [] and again == cursor


def test_recent_items_are_compared_and_later_changes_are_found() -> None:
    items = {"old": ("f-old", OLD), "new": ("f-new", OLD + 100 * SECOND)}
    plan, cursor = _tick(_scan(items), LandingCursor(), set(), now=5000.0)
    assert cursor.recent == {"new": "f-new"}  # within the margin of the newest change
    plan, cursor = _tick(_scan(items), cursor, set(items), now=5030.0)
    assert plan.ready == []
    items["old"] = ("f-old-2", OLD + 200 * SECOND)
    plan, cursor = _tick(_scan(items), cursor, set(items), now=5060.0)
    assert [e.key for e in plan.ready] == ["old"]


def test_the_watermark_stays_behind_the_scan_start_and_never_goes_back() -> None:
    scan = _scan({"a": ("f", 10_000 * SECOND)})
    ahead = next_watermark(None, scan, started_ns=9_000 * SECOND, duration_s=0.4, margin_s=2.0)
    assert ahead == 9_000 * SECOND - 3 * SECOND  # file-system clock ahead: the scan start bounds it
    behind = next_watermark(None, scan, started_ns=20_000 * SECOND, duration_s=1.5, margin_s=2.0)
    assert behind == 10_000 * SECOND - 4 * SECOND
    assert next_watermark(behind, _scan({"a": ("f", 5 * SECOND)}), 20_000 * SECOND, 0.1, 2.0) == behind
    assert next_watermark(None, _scan({}), 20_000 * SECOND, 0.1, 2.0) is None


def test_an_unregistered_key_is_new_even_before_the_watermark() -> None:
    items = {"a": ("f", OLD)}
    _, cursor = _tick(_scan(items, newest=OLD + 60 * SECOND), LandingCursor(), set(), now=5000.0)
    assert cursor.recent == {}
    plan, _ = _tick(_scan(items, newest=OLD + 60 * SECOND), cursor, set(), now=5030.0)
    assert [e.key for e in plan.ready] == ["a"]


def test_a_refusal_is_reported_once_per_change() -> None:
    refused = {"/landing/bad name.mrc": "not a valid partition key"}
    plan, cursor = _tick(_scan({}, refused), LandingCursor(), set(), now=1.0)
    assert plan.report == refused
    plan, cursor = _tick(_scan({}, refused), cursor, set(), now=31.0)
    assert plan.report == {}
    changed = {"/landing/bad name.mrc": "cannot be read"}
    plan, cursor = _tick(_scan({}, changed), cursor, set(), now=61.0)
    assert plan.report == changed
    plan, cursor = _tick(_scan({}), cursor, set(), now=91.0)
    assert cursor.reported == {}
    plan, cursor = _tick(_scan({}, changed), cursor, set(), now=121.0)
    assert plan.report == changed


def test_a_first_version_cursor_adopts_its_keys_without_rerunning_them() -> None:
    old = json.dumps({"a": "0123456789abcdef", "b": "fedcba9876543210"})
    items = {"a": ("new-style-a", OLD), "b": ("new-style-b", OLD), "c": ("c", OLD)}
    scan = _scan(items, newest=OLD + 60 * SECOND)
    plan, cursor = _tick(scan, LandingCursor.from_json(old), {"a", "b"}, now=5000.0)
    assert [e.key for e in plan.ready] == ["c"]
    assert cursor.watermark_ns is not None and cursor.recent == {}
