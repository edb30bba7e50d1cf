"""Counting as the law counts (docs/semantics.md, sections 3a-4b), each attack of issue 19
as a test against the shipped catalogues: items added up, transfers added up in the
law's window, presumptions stated, open facts decided value by value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules import Engine, Policies, Transfer, Verdict
from dataflow_rules.engine.counting import Ledger, window_start
from dataflow_rules.models.facts import Facts

DAY = dt.date(2026, 6, 1)


def transfer(**kw: Any) -> Transfer:
    base: dict[str, Any] = {"id": "t1", "date": DAY.isoformat()}
    base.update(kw)
    return Transfer.model_validate(base)


def us_genomic(items: list[dict[str, Any]], **kw: Any) -> Transfer:
    return transfer(
        origin="US",
        destination="CN",
        exporter={"id": "us-biobank"},
        recipient={"id": "cn-lab", "type": "company", "controlled_by": "CN"},
        purpose="scientific_research",
        transaction="vendor_agreement",
        context={"exporter_is_data_broker": False},
        data=items,
        **kw,
    )


def cn_contacts(items: list[dict[str, Any]], **kw: Any) -> Transfer:
    base: dict[str, Any] = {
        "origin": "CN",
        "destination": "US",
        "exporter": {"id": "cn-retailer", "ciio": False},
        "recipient": {"id": "us-crm", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        # Not notified as important data (a fact cn.important.notified reads of every
        # category), stated so that only the facts a test is about are presumed.
        "context": {"exporter_automotive_data_processor": False, "important_data_identified": False},
        "data": items,
    }
    base.update(kw)
    return transfer(**base)


def standing(decision: Any) -> set[str]:
    return {r.entry_id for r in decision.reasons if r.kind in ("entry", "localisation", "missing_fact")}


def test_twenty_genomic_items_of_a_hundred_are_bulk_together(engine: Engine) -> None:
    items = [{"category": "personal.omic.genomic", "individuals": 100, "anonymised": False}] * 20
    d = engine.decide(us_genomic(items))
    assert d.verdict is Verdict.RESTRICT
    assert "us.dsp.omic.coc.genomic" in standing(d)
    (reason,) = [r for r in d.reasons if r.entry_id == "us.dsp.omic.coc.genomic"]
    assert "counted together" in reason.sentence and "2,000 individuals" in reason.sentence
    assert "different people" in reason.sentence  # the stricter reading is said


def test_items_of_one_population_count_once(engine: Engine) -> None:
    items = [
        {
            "category": "personal.omic.genomic",
            "individuals": 100,
            "anonymised": False,
            "population": "cohort-a",
        }
    ] * 20
    d = engine.decide(us_genomic(items))
    assert "us.dsp.omic.coc.genomic" not in standing(d)
    assert d.verdict is Verdict.ALLOW


def test_two_items_of_sixty_thousand_contacts_need_the_standard_contract(engine: Engine) -> None:
    d = engine.decide(
        cn_contacts([{"category": "personal.contact", "individuals": 60_000, "anonymised": False}] * 2)
    )
    assert d.verdict is Verdict.RESTRICT
    assert "cn.pi.general.contract" in standing(d)


def test_splitting_across_categories_of_one_designation_adds_up(engine: Engine) -> None:
    d = engine.decide(
        cn_contacts(
            [
                {"category": "personal.contact", "individuals": 60_000, "anonymised": False},
                {"category": "personal.demographic", "individuals": 60_000, "anonymised": False},
            ]
        )
    )
    assert d.verdict is Verdict.RESTRICT


def test_bulk_without_a_count_meets_the_threshold(engine: Engine) -> None:
    d = engine.decide(us_genomic([{"category": "personal.omic.genomic", "bulk": True, "anonymised": False}]))
    assert d.verdict is Verdict.RESTRICT
    assert not any(r.missing for r in d.reasons)


def test_repeated_transfers_to_one_recipient_add_up_in_the_window(engine: Engine) -> None:
    ledger = Ledger()
    verdicts = []
    for n in range(5):
        t = cn_contacts(
            [{"category": "personal.contact", "individuals": 99_999, "anonymised": False}],
            id=f"t{n}",
            date=(DAY + dt.timedelta(days=n)).isoformat(),
        )
        d = engine.decide(t, prior=ledger.prior(t))
        verdicts.append(d.verdict)
        ledger.add_transfer(t, f"record {n + 1}", d.as_of)
    assert verdicts[0] is Verdict.ALLOW
    assert verdicts[1:] == [Verdict.RESTRICT] * 4
    t = cn_contacts([{"category": "personal.contact", "individuals": 1, "anonymised": False}], id="last")
    d = engine.decide(t, dt.date(2026, 6, 30), prior=ledger.prior(t))
    (reason,) = [r for r in d.reasons if r.entry_id == "cn.pi.general.contract"]
    assert reason.counted_with == [f"record {n}" for n in range(1, 6)]
    assert "since 2026-01-01" in reason.sentence


def test_a_transfer_is_never_counted_with_itself(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 99_999, "anonymised": False}])
    ledger = Ledger()
    ledger.add_transfer(t, "record 1", DAY)
    assert engine.decide(t, prior=ledger.prior(t)).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("earlier", "counted"),
    [(dt.date(2025, 12, 31), False), (dt.date(2026, 1, 1), True)],
)
def test_china_counts_from_the_first_of_january(engine: Engine, earlier: dt.date, counted: bool) -> None:
    ledger = Ledger()
    first = cn_contacts(
        [{"category": "personal.contact", "individuals": 60_000, "anonymised": False}],
        id="a",
        date=earlier.isoformat(),
    )
    ledger.add_transfer(first, "record 1", earlier)
    second = cn_contacts(
        [{"category": "personal.contact", "individuals": 60_000, "anonymised": False}], id="b"
    )
    d = engine.decide(second, dt.date(2026, 1, 2), prior=ledger.prior(second))
    assert (d.verdict is Verdict.RESTRICT) is counted


@pytest.mark.parametrize(("days_back", "counted"), [(365, True), (366, False)])
def test_the_us_rule_counts_the_preceding_twelve_months(
    engine: Engine, days_back: int, counted: bool
) -> None:
    as_of = dt.date(2026, 3, 1)  # the year before holds no 29 February: 365 days back is a year
    earlier = as_of - dt.timedelta(days=days_back)
    ledger = Ledger()
    first = us_genomic(
        [{"category": "personal.omic.genomic", "individuals": 60, "anonymised": False}],
        id="a",
        date=earlier.isoformat(),
    )
    ledger.add_transfer(first, "record 1", earlier)
    second = us_genomic(
        [{"category": "personal.omic.genomic", "individuals": 60, "anonymised": False}], id="b"
    )
    d = engine.decide(second, as_of, prior=ledger.prior(second))
    assert (d.verdict is Verdict.RESTRICT) is counted


def test_the_us_rule_counts_per_counterparty(engine: Engine) -> None:
    ledger = Ledger()
    other = us_genomic(
        [{"category": "personal.omic.genomic", "individuals": 60, "anonymised": False}], id="a"
    )
    other = other.model_copy(update={"recipient": other.recipient.model_copy(update={"id": "another-lab"})})
    ledger.add_transfer(other, "record 1", DAY)
    second = us_genomic(
        [{"category": "personal.omic.genomic", "individuals": 60, "anonymised": False}], id="b"
    )
    assert engine.decide(second, prior=ledger.prior(second)).verdict is Verdict.ALLOW


def test_window_start_edges() -> None:
    assert window_start("calendar_year", dt.date(2026, 12, 31)) == dt.date(2026, 1, 1)
    assert window_start("preceding_12_months", dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert window_start("preceding_12_months", dt.date(2028, 3, 1)) == dt.date(2027, 3, 1)
    assert window_start("transfer", DAY) is None
    # a year back from year 1 (the service fuzzer's as_of=0001-01-01 crashed with a 500)
    for window in ("preceding_12_months", "previous_and_current_year"):
        assert window_start(window, dt.date(1, 1, 1)) == dt.date.min
        assert window_start(window, dt.date(2, 1, 1)) == dt.date(1, 1, 1)


def test_ciio_unstated_where_both_answers_restrict_is_restrict(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 2_000_000, "anonymised": False}])
    t = t.model_copy(update={"exporter": t.exporter.model_copy(update={"ciio": None})})
    d = engine.decide(t)
    assert d.verdict is Verdict.RESTRICT
    assert d.cases is not None and d.cases.facts == ["exporter.ciio"] and not d.cases.splits
    assert any("whatever exporter.ciio is" in w for w in d.warnings)


def test_an_unclaimed_anonymisation_is_presumed_absent_and_said(engine: Engine) -> None:
    d = engine.decide(cn_contacts([{"category": "personal.contact", "individuals": 200_000}]))
    assert d.verdict is Verdict.RESTRICT
    (a,) = d.assumptions
    assert (a.fact, a.value, a.source) == ("data[0].anonymised", False, "presumption CN")
    assert "Art 73(4)" in a.citations[0].article and "anonymised: true" in a.override


def test_a_presumption_never_lowers_what_stated_facts_restrict(engine: Engine) -> None:
    stated = cn_contacts([{"category": "personal.contact", "individuals": 200_000, "anonymised": False}])
    d = engine.decide(stated)
    assert d.verdict is Verdict.RESTRICT and not d.assumptions


def test_a_facts_file_states_the_exporter_once_and_is_named(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 50_000, "anonymised": False}])
    t = t.model_copy(update={"exporter": t.exporter.model_copy(update={"ciio": None})})
    facts = Facts.model_validate({"exporter": {"ciio": False}}).model_copy(
        update={"source": "dataflow-rules.yaml"}
    )
    d = engine.decide(t, facts=facts)
    assert d.verdict is Verdict.ALLOW
    assert [(a.fact, a.value, a.source) for a in d.assumptions] == [
        ("exporter.ciio", False, "dataflow-rules.yaml"),
        ("ledger", "no earlier transfers", "presumption CN"),
    ]
    stated = engine.decide(
        t.model_copy(update={"exporter": t.exporter.model_copy(update={"ciio": True})}), facts=facts
    )
    assert not stated.assumptions  # the transfer's own statement wins


def test_a_back_dated_decision_is_retrospective(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 200_000, "anonymised": False}])
    d = engine.decide(t, dt.date(2024, 3, 21), today=dt.date(2026, 6, 1))
    assert d.retrospective
    assert not engine.decide(t, dt.date(2026, 6, 1), today=dt.date(2026, 6, 1)).retrospective
    early = engine.decide(t, dt.date(1900, 1, 1), today=dt.date(2026, 6, 1))
    assert early.retrospective and any("effective date" in w for w in early.warnings)


def test_the_count_that_splits_the_verdict_is_named(engine: Engine, policies: Policies) -> None:
    d = engine.decide(cn_contacts([{"category": "personal.contact", "anonymised": False}]))
    assert d.verdict is Verdict.REVIEW
    assert d.cases is not None and d.cases.splits == ["data[0].individuals"]
    ranges = {b.values["data[0].individuals"]: b.verdict for b in d.cases.branches}
    assert ranges["10,000 to 99,999"] is Verdict.ALLOW and ranges["100,000"] is Verdict.RESTRICT


def test_a_window_names_no_earlier_item_dated_after_it(policies: Policies) -> None:
    """The first sources a window names are read once per start row (counting._Index):
    an item dated after the window's end is not among them, nor counted."""
    from dataflow_rules.engine.counting import CountKey, PriorItem, tally

    day = dt.date(2026, 3, 1)
    ledger = Ledger()
    for source, when in (("a", day), ("b", day + dt.timedelta(days=2))):
        ledger.add(
            PriorItem(
                source=source,
                transfer_id=f"t{source}",
                date=when,
                exporter="x",
                recipient="r1",
                category="personal.contact",
                individuals=5,
            )
        )
    later = Transfer.model_validate(
        {
            "id": "t-own",
            "origin": "CN",
            "destination": "US",
            "exporter": {"id": "x"},
            "recipient": {"id": "r1"},
            "data": [{"category": "personal.contact", "individuals": 1}],
        }
    )
    key = CountKey(("personal.contact",), "individuals", "calendar_year", "exporter_and_recipient")
    total = tally(policies.taxonomy, key, later, day, ledger.prior(later))
    assert (total.records, total.more, total.low) == (("a",), 0, 6)
