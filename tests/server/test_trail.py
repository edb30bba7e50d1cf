"""Counting the audit trail over a period (the decisions-over-time page), against a fake
store search: the period's ends, paging, and the cap that the page must admit to."""

from __future__ import annotations

import datetime as dt

import pytest

from dataflow_rules.audit import AuditRecord, Query
from dataflow_rules.audit.records import Row
from dataflow_rules.server import trail as trail_module
from dataflow_rules.server.trail import read_trail

VERDICTS = ("allow", "review", "restrict")
DESTINATIONS = ("CN", "US", "SG")


def records(count: int) -> list[AuditRecord]:
    """``count`` records, one every 6 hours from 2026-03-01, oldest first (seq 1..count)."""
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    out = []
    for seq in range(1, count + 1):
        when = (start + dt.timedelta(hours=6 * (seq - 1))).isoformat().replace("+00:00", "Z")
        row = Row(seq, when, None, f"t{seq}", "US", DESTINATIONS[seq % 3], VERDICTS[seq % 3], "{}", "", "")
        out.append(AuditRecord(row, {}))
    return out


class FakeStore:
    """The store's search: newest first, ``before`` an id, at most ``limit``."""

    def __init__(self, rows: list[AuditRecord]) -> None:
        self.rows, self.calls = rows, 0

    def search(self, query: Query) -> list[AuditRecord]:
        self.calls += 1
        older = [r for r in reversed(self.rows) if query.before is None or r.seq < query.before]
        return older[: query.limit]


def test_whole_trail_over_pages() -> None:
    store = FakeStore(records(1234))
    trail = read_trail(store.search, None, None)
    assert trail.records == 1234 and not trail.truncated
    assert store.calls == 3  # 500 + 500 + 234
    assert sum(trail.flows.values()) == 1234
    assert sum(n for (d, v), n in trail.destinations.items() if d == "CN") == sum(
        1 for r in store.rows if r.row.destination == "CN"
    )


def test_period_is_whole_utc_days_both_ends() -> None:
    store = FakeStore(records(40))  # 2026-03-01 .. 2026-03-10, four a day
    trail = read_trail(store.search, dt.date(2026, 3, 3), dt.date(2026, 3, 4))
    assert trail.records == 8
    assert trail.day_labels() == ["2026-03-03", "2026-03-04"]
    assert sum(trail.days.values()) == 8
    data = trail.data()
    assert sum(sum(v) for v in data["by_day"].values()) == 8
    assert sum(n for *_, n in data["flows"]) == 8
    assert read_trail(store.search, dt.date(2026, 4, 1), None).records == 0


def test_cap_is_admitted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trail_module, "MAX_RECORDS", 100)
    store = FakeStore(records(300))
    trail = read_trail(store.search, None, None)
    assert trail.records == 100 and trail.truncated
    exact = read_trail(FakeStore(records(100)).search, None, None)
    assert exact.records == 100 and not exact.truncated
