"""China's outbound rules before the 2024 Provisions (docs/semantics.md, section 3a;
policies/cn.yaml): the 2022 Measures for the Security Assessment of Outbound Data
Transfers count "cumulatively since 1 January of the previous year" (Art 4(3), 自上年1月1日起
累计), so a ledger entry of the year before the as-of year counts and one of two years
before does not; from 22 March 2024 the Provisions count since 1 January of the current
year only. Each period's rules apply exactly to their own days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer, Verdict
from dataflow_rules.engine.counting import Ledger, since_words, window_start

CERTIFIED = [{"mechanism": "cn.certification", "reference": "C-1", "obtained": "2022-11-10"}]
"""PIPL Art 38(1)(2), in place on every day tested (the CAC standard contract exists only
from 1 June 2023): what the law accepts below the 2022 Measures' thresholds."""


def cn(tid: str, day: dt.date, category: str, individuals: int, **kw: Any) -> Transfer:
    """A non-CIIO retailer's data to a US company, certified (a route the law opens below
    the 2022 Measures' thresholds) unless ``safeguards`` says otherwise."""
    base: dict[str, Any] = {
        "id": tid,
        "date": day.isoformat(),
        "origin": "CN",
        "destination": "US",
        "exporter": {"id": "cn-retailer", "ciio": False},
        "recipient": {"id": "us-crm", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {
            "exporter_automotive_data_processor": False,
            "important_data_identified": False,
            "exporter_processes_pi_1m": False,
            "exporter_sensitive_pi_10000_provided": False,
        },
        "safeguards": CERTIFIED,
        "data": [{"category": category, "individuals": individuals, "anonymised": False}],
    }
    base.update(kw)
    return Transfer.model_validate(base)


def after(engine: Engine, earlier: Transfer, later: Transfer) -> Any:
    """``later`` decided as of its own date with ``earlier`` recorded in the ledger."""
    ledger = Ledger()
    ledger.add_transfer(earlier, "record 1", earlier.date)
    assert later.date is not None
    return engine.decide(later, later.date, prior=ledger.prior(later))


def standing(decision: Any) -> set[str]:
    return {r.entry_id for r in decision.reasons if r.verdict is not Verdict.ALLOW and r.entry_id}


def test_window_start_since_the_previous_year() -> None:
    assert window_start("previous_and_current_year", dt.date(2023, 1, 1)) == dt.date(2022, 1, 1)
    assert window_start("previous_and_current_year", dt.date(2023, 12, 31)) == dt.date(2022, 1, 1)
    assert window_start("previous_and_current_year", dt.date(2024, 2, 29)) == dt.date(2023, 1, 1)
    assert window_start("previous_and_current_year", dt.date(2024, 1, 1)) == dt.date(2023, 1, 1)
    assert since_words("previous_and_current_year") == "since 1 January of the previous year"
    assert since_words("calendar_year") == "since 1 January"


@pytest.mark.parametrize(
    ("first", "second", "counted"),
    [
        (dt.date(2022, 1, 1), dt.date(2023, 12, 31), True),  # the window's first and last days
        (dt.date(2021, 12, 31), dt.date(2023, 1, 1), False),  # two years before: outside
        (dt.date(2022, 1, 1), dt.date(2023, 1, 1), True),  # 1 January: the previous year counts
        (dt.date(2022, 12, 31), dt.date(2024, 2, 29), False),  # leap day: from 2023-01-01
        (dt.date(2023, 1, 1), dt.date(2024, 2, 29), True),
    ],
)
def test_measures_count_since_1_january_of_the_previous_year(
    engine: Engine, first: dt.date, second: dt.date, counted: bool
) -> None:
    earlier = cn("a", first, "personal.contact", 60_000)
    later = cn("b", second, "personal.contact", 40_000)
    d = after(engine, earlier, later)
    if counted:
        assert d.verdict is Verdict.RESTRICT
        (reason,) = [r for r in d.reasons if r.entry_id == "cn.measures2022.pi.cumulative"]
        assert reason.counted_with == ["record 1"]
        assert f"since {window_start('previous_and_current_year', second)}" in reason.sentence
    else:
        assert d.verdict is Verdict.ALLOW, standing(d)


def test_sensitive_information_adds_up_across_transfers(engine: Engine) -> None:
    earlier = cn("a", dt.date(2022, 10, 1), "personal.health", 6_000)
    later = cn("b", dt.date(2023, 7, 1), "personal.health", 4_000)
    assert "cn.measures2022.pi.sensitive_cumulative" in standing(after(engine, earlier, later))
    smaller = cn("b", dt.date(2023, 7, 1), "personal.health", 3_999)
    assert after(engine, earlier, smaller).verdict is Verdict.ALLOW


def test_from_22_march_2024_only_the_current_year_counts(engine: Engine) -> None:
    """The same two transfers: under the Measures the 2023 one counts with a transfer of
    21 March 2024; under the Provisions, the next day, only 2024's transfers do, and 40,000
    individuals alone are exempt (Art 5(4)) whatever the safeguards."""
    earlier = cn("a", dt.date(2023, 12, 31), "personal.contact", 60_000)
    assert after(engine, earlier, cn("b", dt.date(2024, 3, 21), "personal.contact", 40_000)).verdict is (
        Verdict.RESTRICT
    )
    d = after(engine, earlier, cn("b", dt.date(2024, 3, 22), "personal.contact", 40_000, safeguards=[]))
    assert d.verdict is Verdict.ALLOW, standing(d)


@pytest.mark.parametrize(
    ("day", "thresholds"),
    [
        (dt.date(2021, 11, 1), False),  # PIPL alone: Art 38's mechanisms, no thresholds yet
        (dt.date(2022, 8, 31), False),
        (dt.date(2022, 9, 1), True),  # the 2022 Measures in force
        (dt.date(2023, 5, 31), True),
        (dt.date(2023, 6, 1), True),  # the CAC standard contract exists
        (dt.date(2024, 3, 21), True),
        (dt.date(2024, 3, 22), False),  # the 2024 Provisions: their own entries
        (dt.date(2026, 1, 1), False),  # the Certification Measures cited too (s9)
    ],
)
def test_each_period_applies_exactly_to_its_days(engine: Engine, day: dt.date, thresholds: bool) -> None:
    t = cn("t", day, "personal.contact", 200_000, safeguards=[])
    d = engine.decide(t, day)
    assert d.verdict is Verdict.RESTRICT
    ids = standing(d)
    assert ("cn.measures2022.pi.cumulative" in ids) is thresholds
    assert ("cn.pipl.pi.mechanism" in ids) is (day < dt.date(2023, 6, 1))
    assert ("cn.pipl.pi.contract_route" in ids) is (dt.date(2023, 6, 1) <= day < dt.date(2024, 3, 22))
    assert ("cn.pi.general.contract.provisions2024" in ids) is (
        dt.date(2024, 3, 22) <= day <= dt.date(2025, 12, 31)
    )
    assert ("cn.pi.general.contract" in ids) is (day >= dt.date(2026, 1, 1))
    assert not any("not encoded" in r.sentence for r in d.reasons)


def test_pipl_alone_a_certification_suffices_above_the_later_thresholds(engine: Engine) -> None:
    """1 November 2021 - 31 August 2022: no volume made the assessment mandatory yet (the
    CAC had prescribed no amount under PIPL Art 40), but no certification existed either:
    SAMR and CAC Announcement 2022 No. 37 set it up on 4 November 2022 (probe s8), so one
    'obtained' 10 January 2022 meets nothing and Art 38(1) stays unmet."""
    cert = [{"mechanism": "cn.certification", "reference": "C-1", "obtained": "2022-01-10"}]
    before = engine.decide(cn("t", dt.date(2022, 8, 31), "personal.contact", 200_000, safeguards=cert))
    assert before.verdict is Verdict.RESTRICT
    assert standing(before) == {"cn.pipl.pi.mechanism"}
    # Once it exists, a certification meets Art 38(1) but not the Measures' assessment above 100,000.
    measures = engine.decide(cn("t", dt.date(2022, 12, 1), "personal.contact", 200_000, safeguards=CERTIFIED))
    assert standing(measures) == {"cn.measures2022.pi.cumulative"}


def test_without_a_ledger_the_assumption_names_the_measures_window(engine: Engine) -> None:
    """An allowed pre-2024 decision made without a ledger presumes no earlier transfer
    since 1 January of the previous year, citing the Measures, not the 2024 Provisions."""
    d = engine.decide(cn("t", dt.date(2023, 7, 1), "personal.contact", 50_000))
    assert d.verdict is Verdict.ALLOW
    (ledger,) = [a for a in d.assumptions if a.fact == "ledger"]
    assert "since 2022-01-01" in ledger.sentence
    assert "Measures for the Security Assessment" in ledger.citations[0].instrument
    later = engine.decide(cn("t", dt.date(2024, 7, 1), "personal.contact", 50_000, safeguards=[]))
    (ledger,) = [a for a in later.assumptions if a.fact == "ledger"]
    assert "since 2024-01-01" in ledger.sentence
    assert "Provisions on Promoting" in ledger.citations[0].instrument


def test_a_rule_of_another_period_does_not_split_a_later_decision(engine: Engine) -> None:
    """Case analysis splits an open count where the rules in force compare it: as of 2026 a
    2025 transfer of 30,000 people is outside China's count (since 1 January), so the
    Measures' count since 1 January of the previous year, which would take it in, must not
    add a split at 70,000 (nor stop the analysis when the 2025 count is open)."""
    earlier = cn("a", dt.date(2025, 6, 1), "personal.contact", 30_000, safeguards=[])
    later = cn("b", dt.date(2026, 6, 1), "personal.contact", 1, safeguards=[])
    later = later.model_copy(update={"data": [later.data[0].model_copy(update={"individuals": None})]})
    d = after(engine, earlier, later)
    assert d.cases is not None
    ranges = [b.values["data[0].individuals"] for b in d.cases.branches]
    assert "100,000 to 999,999" not in ranges and "100,001 to 999,999" in ranges, ranges
    assert not any("70,000" in r or "69,999" in r for r in ranges), ranges
    unstated = earlier.model_copy(update={"data": [earlier.data[0].model_copy(update={"individuals": None})]})
    again = after(engine, unstated, later)
    assert (
        again.cases is not None and [b.values["data[0].individuals"] for b in again.cases.branches] == ranges
    )


def test_dormant_counts_are_the_other_periods(policies: Any) -> None:
    """The Measures' tallies (counted since 1 January of the previous year) are compared by
    rules in force only from 1 September 2022 to 21 March 2024."""
    from dataflow_rules.engine.compile import compile_policies

    plan = compile_policies(policies)[("CN", "outbound")]
    measures = {p for k, p in plan.counts.items() if k.window == "previous_and_current_year"}
    current = {p for k, p in plan.counts.items() if k.window == "calendar_year"}
    assert measures and current
    for day, asleep, awake in (
        (dt.date(2022, 8, 31), measures, set()),
        (dt.date(2022, 9, 1), set(), measures),
        (dt.date(2024, 3, 21), set(), measures),
        (dt.date(2024, 3, 22), measures, current),
    ):
        dormant = plan.dormant_counts(day)
        assert asleep <= dormant and not (awake & dormant), day
