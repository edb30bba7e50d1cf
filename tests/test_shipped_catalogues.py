"""The shipped catalogues: well cited, and every threshold decided at n-1, n and n+1."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules import Engine, Policies, Transfer, load_policies
from dataflow_rules.models.catalogue import Catalogue, Entry, LocalisationEntry
from dataflow_rules.models.common import Count

SHIPPED = load_policies()


def designations() -> list[tuple[str, Entry | LocalisationEntry]]:
    out: list[tuple[str, Entry | LocalisationEntry]] = []
    for code, lc in SHIPPED.catalogues.items():
        out += [(code, e) for e in lc.catalogue.entries]
        out += [(code, e) for e in lc.catalogue.localisation]
    return out


def test_cn_and_us_are_shipped() -> None:
    assert {"CN", "US"} <= set(SHIPPED.catalogues)


@pytest.mark.parametrize("code", sorted(SHIPPED.catalogues))
def test_everything_is_cited(code: str) -> None:
    cat = SHIPPED.catalogues[code].catalogue
    items: list[Any] = [
        *cat.entries,
        *cat.localisation,
        *cat.green_lanes,
        *cat.exemptions,
        *cat.groups.values(),
    ]
    assert items
    for item in [cat, *items]:
        cites = item.sources if isinstance(item, Catalogue) else item.citations
        assert cites, item
        for c in cites:
            assert c.instrument.strip() and c.article.strip()
            assert dt.date(1990, 1, 1) <= c.date <= dt.date(2026, 12, 31)


def _bounds(count: Count) -> list[int]:
    points: list[int] = []
    for bound in (count.lower(), count.upper()):
        if bound is not None:
            points += [bound - 1, bound, bound + 1]
    return [p for p in points if p >= 0]


def _satisfying(count: Count) -> int:
    return count.lower() if count.lower() is not None else 0


def _transfer(code: str, entry: Entry | LocalisationEntry, measure: str, value: int) -> Transfer:
    cat = SHIPPED.catalogues[code].catalogue
    direction = getattr(entry, "direction", "outbound")
    peers = sorted(entry.counterparties.countries) + sorted(
        c for g in entry.counterparties.groups for c in cat.groups[g].countries
    )
    other = next(c for c in [*peers, "DE", "FR"] if c != code)
    origin, destination = (code, other) if direction in ("outbound", "both") else (other, code)
    w = entry.when
    item: dict[str, Any] = {"category": entry.categories[0], "anonymised": bool(w.anonymised)}
    for name in ("individuals", "records", "devices"):
        count = getattr(w, name)
        item[name] = value if name == measure else (_satisfying(count) if count else 1)
    body: dict[str, Any] = {
        "id": "threshold",
        "origin": origin,
        "destination": destination,
        "exporter": {"ciio": bool(w.exporter_ciio)},
        "recipient": {
            "controlled_by": other,
            "type": (w.recipient_types or [None])[0],
            "affiliate": bool(w.recipient_affiliate),
        },
        "purpose": (w.purposes or [None])[0],
        "transaction": (w.transactions or [None])[0],
        "context": dict(w.context or {}),
        "data": [item],
    }
    return Transfer.model_validate(body)


CASES = [
    pytest.param(code, entry, measure, value, id=f"{entry.id}-{measure}-{value}")
    for code, entry in designations()
    for measure in ("individuals", "records", "devices")
    if getattr(entry.when, measure) is not None
    for value in _bounds(getattr(entry.when, measure))
]


def test_shipped_catalogues_have_thresholds() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("code", "entry", "measure", "value"), CASES)
def test_threshold(
    code: str, entry: Entry, measure: str, value: int, engine: Engine, policies: Policies
) -> None:
    transfer = _transfer(code, entry, measure, value)
    as_of = max(entry.effective or dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    if entry.expires is not None and entry.expires < as_of:
        as_of = entry.expires  # a rule of an earlier period (China before 2024): its last day
    decision = engine.decide(transfer, as_of)
    found = {r.entry_id for r in decision.reasons if r.kind in ("entry", "localisation")}
    found |= {e for r in decision.reasons for e in r.cleared}
    assert (entry.id in found) is getattr(entry.when, measure).holds(value), decision.model_dump_json(
        indent=1
    )
