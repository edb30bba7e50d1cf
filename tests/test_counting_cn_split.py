"""China counts the people an exporter has provided abroad since 1 January, over all its
transfers (2024 Provisions Arts 7(2), 8: 自当年1月1日起累计), and the Certification Measures
(CAC and SAMR Order No. 20, in force 1 January 2026) forbid splitting counts to avoid the
security assessment. A split of 1,100,000 people into eleven transfers of 100,000 (to
different recipients, each under a standard contract) must therefore be decided as the
whole once the ledger holds 1,000,000: the tenth transfer and every later one need the
security assessment, and the contract no longer suffices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dataflow_rules import Engine
from dataflow_rules.engine.counting import Ledger
from dataflow_rules.models.decision import Verdict
from dataflow_rules.models.transfer import Transfer

CONTRACT = {"mechanism": "cn.standard_contract", "reference": "SC-2026-1", "obtained": "2026-01-02"}


def _cn(n: int, category: str, individuals: int, day: dt.date) -> Transfer:
    data: dict[str, Any] = {
        "id": f"t{n}",
        "date": day.isoformat(),
        "origin": "CN",
        "destination": "US",
        "exporter": {"id": "cn-retailer", "ciio": False},
        "recipient": {"id": f"us-{n % 3}", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False, "important_data_identified": False},
        "data": [{"category": category, "individuals": individuals, "anonymised": False}],
        "safeguards": [CONTRACT],
    }
    return Transfer.model_validate(data)


def _run(engine: Engine, category: str, individuals: int, count: int) -> list[tuple[Verdict, set[str]]]:
    ledger = Ledger()
    out = []
    for n in range(count):
        t = _cn(n, category, individuals, dt.date(2026, 1 + n, 5))
        d = engine.decide(t, prior=ledger.prior(t))
        out.append((d.verdict, {r.entry_id for r in d.reasons if r.verdict is not Verdict.ALLOW}))
        ledger.add_transfer(t, f"record {n + 1}", d.as_of)
    return out


def test_eleven_transfers_of_100000_count_as_1100000(engine: Engine) -> None:
    results = _run(engine, "personal.contact", 100_000, 11)
    # Up to 900,000 in all, the standard contract each transfer holds suffices (Art 8).
    assert [v for v, _ in results[:9]] == [Verdict.ALLOW] * 9
    # The tenth brings the year's total to 1,000,000 (100万人以上, inclusive): assessment (Art 7(2)).
    for verdict, standing in results[9:]:
        assert verdict is Verdict.RESTRICT
        assert standing == {"cn.pi.general.assessment"}


def test_three_transfers_of_4000_sensitive_reach_10000(engine: Engine) -> None:
    results = _run(engine, "personal.health", 4_000, 3)
    assert [v for v, _ in results[:2]] == [Verdict.ALLOW] * 2
    assert results[2] == (Verdict.RESTRICT, {"cn.pi.sensitive.assessment"})
