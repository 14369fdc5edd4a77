"""What a landing sensor remembers between ticks and decides in one: a compact cursor and a tick plan.

The cursor does not hold one fingerprint per item. It holds a watermark: a status-change time
(`st_ctime_ns`, which no copy tool can set back) older than every change the sensor has handled. Only
items changed after the watermark are compared with the fingerprints the cursor remembers (those of
items changed near the watermark), so the cursor stays small however many items have landed. It also
remembers items waiting to be quiet (fingerprint and first-seen time) and the refusals already reported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from em_assets.core.landing import LandingEntry, LandingScan

CURSOR_VERSION = 2
ADOPT = "*"
DEFAULT_MARGIN_SECONDS = 2.0
NANOSECONDS = 1_000_000_000


@dataclass(frozen=True)
class LandingCursor:
    """A landing sensor's memory between ticks.

    `watermark_ns`: items whose newest change is not after it are unchanged (None: compare every item).
    `recent`: key to fingerprint of handled items changed after the watermark.
    `pending`: key to (fingerprint, first-seen seconds) of changed items not yet quiet long enough.
    `reported`: refused item name to the fingerprint of the refusal already reported.
    """

    watermark_ns: int | None = None
    recent: dict[str, str] = field(default_factory=dict)
    pending: dict[str, tuple[str, float]] = field(default_factory=dict)
    reported: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The cursor as compact, sorted JSON."""
        document = {
            "v": CURSOR_VERSION,
            "w": self.watermark_ns,
            "r": self.recent,
            "p": {key: [fp, round(seen, 3)] for key, (fp, seen) in self.pending.items()},
            "x": self.reported,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        """Read a cursor written by `to_json`; a first-version cursor (key to fingerprint) is adopted.

        Parameters
        ----------
        text : str or None
            The sensor's cursor, or None before its first tick.

        Returns
        -------
        LandingCursor
            The memory it holds. The keys of a first-version cursor are taken as handled in whatever
            state they are found in at the next tick (their fingerprints were computed differently).

        Raises
        ------
        ValueError
            If `text` is not JSON.
        """
        if not text:
            return cls()
        document = json.loads(text)
        if document.get("v") != CURSOR_VERSION:
            return cls(recent={str(key): ADOPT for key in document})
        return cls(
            watermark_ns=document["w"],
            recent=dict(document["r"]),
            pending={key: (fp, float(seen)) for key, (fp, seen) in document["p"].items()},
            reported=dict(document["x"]),
        )


@dataclass(frozen=True)
class TickPlan:
    """What one tick decides: items to run, items still settling, refusals to report, the next cursor."""

    ready: list[LandingEntry]
    waiting: list[LandingEntry]
    report: dict[str, str]
    cursor: LandingCursor


def next_watermark(previous: int | None, scan: LandingScan, started_ns: int, duration_s: float, margin_s: float) -> int | None:
    """The newest change time every later change is sure to pass.

    Parameters
    ----------
    previous : int or None
        The cursor's watermark.
    scan : LandingScan
        This tick's scan (its newest status-change time).
    started_ns : int
        When the scan started, on this machine's clock.
    duration_s : float
        How long the scan took (a change made during it may be older than what the scan saw later).
    margin_s : float
        Slack for coarse file-system clocks.

    Returns
    -------
    int or None
        The newest change seen (or the start time, if the file system's clock runs ahead), less the
        margin and the whole seconds the scan took; never below `previous`. None before anything landed.
    """
    if not scan.newest_ns:
        return previous
    lag = int((margin_s + math.ceil(duration_s)) * NANOSECONDS)
    candidate = min(scan.newest_ns, started_ns) - lag
    return candidate if previous is None else max(previous, candidate)


def plan_tick(
    scan: LandingScan,
    cursor: LandingCursor,
    registered: set[str],
    now: float,
    quiet_seconds: float,
    watermark_ns: int | None,
) -> TickPlan:
    """Decide which items to run, which to keep waiting, and which refusals to report.

    Parameters
    ----------
    scan : LandingScan
        This tick's scan.
    cursor : LandingCursor
        The previous tick's memory.
    registered : set of str
        Partition keys already registered in the instance (an unregistered item is always new).
    now : float
        This tick's time in seconds.
    quiet_seconds : float
        How long an item's fingerprint must stay the same before it is run (0: at once).
    watermark_ns : int or None
        The next watermark (see `next_watermark`): recent fingerprints are kept for items after it.

    Returns
    -------
    TickPlan
        Ready items (new or changed, quiet long enough), waiting items, refusals not reported since
        they last changed, and the cursor for the next tick.
    """
    previous = cursor.watermark_ns
    reported_names = set(cursor.reported)
    ready, waiting = [], []
    recent: dict[str, str] = {}
    pending: dict[str, tuple[str, float]] = {}
    for key, entry in sorted(scan.entries.items()):
        candidate = (
            previous is None
            or entry.changed_ns > previous
            or key not in registered
            or key in cursor.pending
            or key in cursor.recent
            or entry.path.name in reported_names
        )
        if not candidate:
            continue
        known = cursor.recent.get(key)
        if known == entry.fingerprint or (known == ADOPT and key in registered):
            handled = True
        else:
            fingerprint, first_seen = cursor.pending.get(key, (None, now))
            if fingerprint != entry.fingerprint:
                first_seen = now
            handled = now - first_seen >= quiet_seconds
            (ready if handled else waiting).append(entry)
            if not handled:
                pending[key] = (entry.fingerprint, first_seen)
        if handled and (watermark_ns is None or entry.changed_ns > watermark_ns):
            recent[key] = entry.fingerprint
    refusals = scan.reported_refusals
    report = {
        path: reason
        for path, reason in scan.refused.items()
        if cursor.reported.get(Path(path).name) != refusals[Path(path).name]
    }
    return TickPlan(ready, waiting, report, LandingCursor(watermark_ns, recent, pending, refusals))
