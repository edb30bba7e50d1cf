"""The audit trail over a period, counted for the "decisions over time" page: decisions
per day and per destination by verdict, and the origin -> destination flows by verdict.

Reads record summaries newest first through the store's ordinary search (the same
reader the list of past decisions uses), stops at the period's start, and reads at most
``MAX_RECORDS``: past that the page says the counts are of the newest ones only, never
presents a part as the whole.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..audit import AuditRecord, Query
from ..render.flowchart import VERDICTS, FlowKey

MAX_RECORDS = 20_000
PAGE = 500


@dataclass
class Trail:
    since: dt.date | None
    until: dt.date | None
    records: int = 0
    truncated: bool = False
    """More records of the period exist than were read (MAX_RECORDS)."""
    flows: Counter[FlowKey] = field(default_factory=Counter)
    days: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(YYYY-MM-DD, verdict) -> decisions."""
    destinations: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(destination, verdict) -> decisions."""

    def add(self, summary: dict[str, Any]) -> None:
        verdict = str(summary["verdict"])
        self.records += 1
        self.flows[(str(summary["origin"]), str(summary["destination"]), verdict)] += 1
        self.days[(str(summary["created_at"])[:10], verdict)] += 1
        self.destinations[(str(summary["destination"]), verdict)] += 1

    def day_labels(self) -> list[str]:
        return sorted({d for d, _ in self.days})

    def destination_labels(self) -> list[str]:
        totals = Counter({d: 0 for d, _ in self.destinations})
        for (d, _), n in self.destinations.items():
            totals[d] += n
        return sorted(totals, key=lambda d: (-totals[d], d))

    def series(self, counts: Counter[tuple[str, str]], labels: list[str]) -> dict[str, list[int]]:
        return {v: [counts[(x, v)] for x in labels] for v in VERDICTS if any(counts[(x, v)] for x in labels)}

    def data(self) -> dict[str, Any]:
        """What report.js draws: the same numbers as the page's tables."""
        days, destinations = self.day_labels(), self.destination_labels()
        return {
            "kind": "trail",
            "flows": [[o, d, v, n] for (o, d, v), n in sorted(self.flows.items())],
            "days": days,
            "by_day": self.series(self.days, days),
            "destinations": destinations,
            "by_destination": self.series(self.destinations, destinations),
        }


def read_trail(
    search: Callable[[Query], list[AuditRecord]], since: dt.date | None, until: dt.date | None
) -> Trail:
    """Count the records decided on ``since`` .. ``until`` (inclusive, UTC days)."""
    trail = Trail(since, until)
    first = since.isoformat() if since else ""
    last = until.isoformat() if until else "9999-12-31"
    before: int | None = None
    while True:
        found = search(Query(limit=PAGE, before=before))
        for record in found:
            summary = record.summary()
            day = str(summary["created_at"])[:10]
            if day < first:
                return trail
            if day > last:
                continue
            if trail.records >= MAX_RECORDS:
                trail.truncated = True
                return trail
            trail.add(summary)
        if len(found) < PAGE or found[-1].seq <= 1:
            return trail
        before = found[-1].seq
