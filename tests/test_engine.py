"""Engine semantics on a small hand-written catalogue pair, one rule of docs/semantics.md each."""

from __future__ import annotations

import datetime as dt

import pytest

from dataflow_rules import Decision, Engine, Transfer, Verdict
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.taxonomy import load_taxonomy

CITE = "[{instrument: Test Law, article: Art 1, date: 2024-01-01}]"
AA = f"""\
jurisdiction: CN
title: AA
version: "1"
effective: 2024-01-01
sources: {CITE}
context_facts:
  collected_abroad: collected abroad
groups:
  concern: {{title: c, countries: [RU, IR], as_of: 2025-01-01, citations: {CITE}}}
entries:
  - id: aa.sensitive.inclusive
    title: Sensitive at least 10,000
    categories: [personal.health, personal.biometric]
    direction: outbound
    when: {{individuals: {{at_least: 10000}}, anonymised: false}}
    outcome: restrict
    requirement: security_assessment
    citations: {CITE}
  - id: aa.range
    title: PI in [100,000, 1,000,000)
    categories: [personal.contact]
    direction: outbound
    when: {{individuals: {{at_least: 100000, less_than: 1000000}}, exporter_ciio: false}}
    outcome: restrict
    requirement: standard_contract
    citations: {CITE}
  - id: aa.important
    title: Important data
    categories: [state.important]
    direction: outbound
    national_security: true
    outcome: restrict
    requirement: security_assessment
    citations: {CITE}
  - id: aa.science.review
    title: Science to concern countries
    categories: [research]
    direction: outbound
    counterparties: {{groups: [concern], include_controlled: true}}
    outcome: review
    requirement: determination
    citations: {CITE}
  - id: aa.future
    title: Not yet in force
    categories: [business]
    direction: outbound
    effective: 2030-01-01
    outcome: restrict
    requirement: prohibited
    citations: {CITE}
  - id: aa.inbound.brokerage
    title: Inbound brokerage
    categories: [personal]
    direction: inbound
    when: {{transactions: [data_brokerage], context: {{collected_abroad: false}}}}
    outcome: review
    requirement: determination
    citations: {CITE}
localisation:
  - id: aa.local.ciio
    title: CIIO personal information stays
    categories: [personal]
    when: {{exporter_ciio: true}}
    requirement: security_assessment
    citations: {CITE}
exemptions:
  - id: aa.x.contract
    title: Contract necessity
    applies_to: [aa.sensitive.inclusive, aa.range]
    when: {{purposes: [contract_performance]}}
    citations: {CITE}
green_lanes:
  - id: aa.lane.science
    title: Science lane
    purposes: [scientific_research, climate_research]
    citations: {CITE}
"""
BB = f"""\
jurisdiction: US
title: BB
version: "1"
effective: 2024-01-01
sources: {CITE}
groups:
  concern: {{title: c, countries: [CN, RU], as_of: 2025-01-01, citations: {CITE}}}
entries:
  - id: bb.health.bulk
    title: Bulk health, more than 10,000
    categories: [personal.health]
    direction: outbound
    counterparties: {{groups: [concern], include_controlled: true}}
    when: {{individuals: {{more_than: 10000}}}}
    outcome: restrict
    requirement: security_requirements
    overrides_green_lanes: true
    citations: {CITE}
"""


@pytest.fixture(scope="module")
def eng() -> Engine:
    tax = load_taxonomy(default_policy_dir() / "taxonomy.yaml")
    return Engine(build_policies(tax, [("aa.yaml", AA), ("bb.yaml", BB)]))


def t(**kw: object) -> Transfer:
    base: dict[str, object] = {
        "id": "t",
        "origin": "CN",
        "destination": "US",
        "date": "2026-01-01",
        "exporter": {"ciio": False},
    }
    base.update(kw)
    return Transfer.model_validate(base)


def standing(d: Decision) -> list[tuple[str | None, str, str]]:
    return [
        (r.entry_id, r.kind, r.verdict.value)
        for r in d.reasons
        if r.kind not in ("default", "exemption", "green_lane", "no_catalogue")
    ]


def health(n: int | None, anonymised: bool | None = False) -> dict[str, object]:
    return {"category": "personal.health", "individuals": n, "anonymised": anonymised}


@pytest.mark.parametrize(
    ("n", "expected"), [(9_999, Verdict.ALLOW), (10_000, Verdict.RESTRICT), (10_001, Verdict.RESTRICT)]
)
def test_inclusive_threshold(eng: Engine, n: int, expected: Verdict) -> None:
    d = eng.decide(t(data=[health(n)], recipient={"controlled_by": "US"}))
    assert d.verdict is expected
    assert [e for e, _, _ in standing(d)] == (
        ["aa.sensitive.inclusive"] if expected is Verdict.RESTRICT else []
    )


@pytest.mark.parametrize(("n", "restricted"), [(9_999, False), (10_000, False), (10_001, True)])
def test_exclusive_threshold_inbound_side_is_other_country(eng: Engine, n: int, restricted: bool) -> None:
    d = eng.decide(t(origin="US", destination="CN", transaction="other", data=[health(n)]))
    assert standing(d) == ([("bb.health.bulk", "entry", "restrict")] if restricted else [])


@pytest.mark.parametrize(
    ("n", "expected"), [(99_999, []), (100_000, ["aa.range"]), (999_999, ["aa.range"]), (1_000_000, [])]
)
def test_range_bounds(eng: Engine, n: int, expected: list[str]) -> None:
    d = eng.decide(t(data=[{"category": "personal.contact", "individuals": n}], exporter={"ciio": False}))
    assert [e for e, _, _ in standing(d)] == expected


def test_missing_count_is_review_naming_the_fact(eng: Engine) -> None:
    d = eng.decide(t(data=[health(None)]))
    assert d.verdict is Verdict.REVIEW
    (reason,) = [r for r in d.reasons if r.kind == "missing_fact"]
    assert reason.entry_id == "aa.sensitive.inclusive" and reason.missing == ["data[0].individuals"]


def test_unknown_anonymised_and_ciio_are_missing(eng: Engine) -> None:
    d = eng.decide(
        t(data=[health(20_000, None), {"category": "personal.contact", "individuals": 200_000}], exporter={})
    )
    # Both facts are yes/no and every combination restricts: restrict, whatever they are
    # (case analysis, docs/semantics.md 4b); each branch's findings are named.
    assert d.verdict is Verdict.RESTRICT
    assert d.cases is not None and d.cases.facts == ["data[0].anonymised", "exporter.ciio"]
    assert [b.verdict for b in d.cases.branches] == [Verdict.RESTRICT] * 4 and d.cases.splits == []
    named = {r.entry_id for r in d.reasons if r.verdict is Verdict.RESTRICT}
    assert named == {"aa.sensitive.inclusive", "aa.range", "aa.local.ciio"}
    assert any(
        r.sentence.startswith("If data[0].anonymised is false and exporter.ciio is true:") for r in d.reasons
    )


def test_a_fact_that_splits_the_verdict_stays_review_naming_it(eng: Engine) -> None:
    d = eng.decide(t(data=[health(20_000, None)]))
    missing = {r.entry_id: r.missing for r in d.reasons if r.kind == "missing_fact"}
    assert missing["aa.sensitive.inclusive"] == ["data[0].anonymised"]
    assert d.verdict is Verdict.REVIEW
    assert d.cases is not None and d.cases.splits == ["data[0].anonymised"]


def test_broad_category_may_contain_designated_data(eng: Engine) -> None:
    d = eng.decide(t(data=[{"category": "personal", "individuals": 50_000, "anonymised": False}]))
    missing = {r.entry_id: r.missing for r in d.reasons if r.kind == "missing_fact"}
    assert missing["aa.sensitive.inclusive"] == ["data[0].category"]
    assert d.verdict is Verdict.REVIEW


def test_all_findings_are_reported_not_only_the_first(eng: Engine) -> None:
    d = eng.decide(
        t(
            exporter={"ciio": True},
            data=[
                health(20_000),
                {"category": "state.important"},
                {"category": "personal.contact", "individuals": 5},
            ],
        )
    )
    assert {e for e, _, _ in standing(d)} == {"aa.sensitive.inclusive", "aa.important", "aa.local.ciio"}
    local = next(r for r in d.reasons if r.entry_id == "aa.local.ciio")
    assert local.kind == "localisation" and local.items == [0, 2]


def test_exemption_clears_named_entries_only(eng: Engine) -> None:
    d = eng.decide(t(purpose="contract_performance", data=[health(None), {"category": "state.important"}]))
    assert standing(d) == [("aa.important", "entry", "restrict")]
    (x,) = [r for r in d.reasons if r.kind == "exemption"]
    assert x.entry_id == "aa.x.contract" and x.cleared == ["aa.sensitive.inclusive"] and x.items == [0]


def test_unstated_fact_never_satisfies_an_exemption(eng: Engine) -> None:
    d = eng.decide(t(data=[health(20_000)]))  # no purpose
    assert not [r for r in d.reasons if r.kind == "exemption"]
    assert d.verdict is Verdict.RESTRICT


def test_counterparty_groups_and_controlled_recipients(eng: Engine) -> None:
    science = [{"category": "research.scientific"}]
    assert standing(eng.decide(t(destination="RU", data=science))) == [
        ("aa.science.review", "entry", "review")
    ]
    d = eng.decide(t(destination="DE", data=science, recipient={"controlled_by": "DE"}))
    assert standing(d) == [] and ("DE", "no_catalogue", "allow") in [
        (r.jurisdiction, r.kind, r.verdict.value) for r in d.reasons
    ]
    d = eng.decide(t(destination="DE", data=science, recipient={"controlled_by": "IR"}))
    assert ("aa.science.review", "entry", "review") in standing(d)
    d = eng.decide(t(destination="DE", data=science))
    assert [r.missing for r in d.reasons if r.entry_id == "aa.science.review"] == [
        ["recipient.controlled_by"]
    ]


def test_green_lane_clears_own_catalogue_but_not_national_security(eng: Engine) -> None:
    d = eng.decide(
        t(
            destination="RU",
            purpose="scientific_research",
            data=[{"category": "research.climate"}, {"category": "state.important"}],
        )
    )
    assert standing(d) == [("aa.important", "entry", "restrict")]
    (lane,) = [r for r in d.reasons if r.kind == "green_lane"]
    assert lane.items == [0] and lane.cleared == ["aa.science.review"]


def test_green_lane_needs_anonymised_personal_data(eng: Engine) -> None:
    for anonymised, lane_fires in ((True, True), (False, False), (None, False)):
        d = eng.decide(t(purpose="scientific_research", data=[health(20_000, anonymised)]))
        assert bool([r for r in d.reasons if r.kind == "green_lane"]) is lane_fires


def test_bilateral_tension_is_shown(eng: Engine) -> None:
    """Anonymised health research: free under one catalogue, bulk-restricted by the other."""
    d = eng.decide(
        t(origin="US", destination="CN", purpose="scientific_research", data=[health(50_000, True)])
    )
    assert d.verdict is Verdict.RESTRICT
    kinds = {(r.jurisdiction, r.kind) for r in d.reasons}
    # CN's side is decided by the lane that cleared its finding; no contradicting default.
    assert ("US", "entry") in kinds and ("CN", "green_lane") in kinds and ("CN", "default") not in kinds


def test_dates_decide_what_is_in_force(eng: Engine) -> None:
    business = [{"category": "business.operations"}]
    assert eng.decide(t(data=business)).verdict is Verdict.ALLOW
    later = eng.decide(t(data=business), as_of=dt.date(2030, 1, 1))
    assert later.verdict is Verdict.RESTRICT and later.as_of == dt.date(2030, 1, 1)


def test_inbound_conditions_and_context(eng: Engine) -> None:
    base = {"origin": "US", "destination": "CN", "data": [{"category": "personal.contact"}]}
    assert eng.decide(t(**base)).verdict is Verdict.REVIEW
    assert (
        eng.decide(t(**base, transaction="data_brokerage", context={"collected_abroad": True})).verdict
        is Verdict.ALLOW
    )
    d = eng.decide(t(**base, transaction="data_brokerage", context={"collected_abroad": False}))
    assert standing(d) == [("aa.inbound.brokerage", "entry", "review")]


def test_no_catalogue_and_domestic(eng: Engine) -> None:
    d = eng.decide(t(origin="SG", destination="JP", data=[{"category": "business.operations"}]))
    assert d.verdict is Verdict.REVIEW and {r.kind for r in d.reasons} == {"no_catalogue"}
    allow_unlisted = Engine(eng.policies, unlisted=Verdict.ALLOW)
    assert (
        allow_unlisted.decide(
            t(origin="SG", destination="JP", data=[{"category": "business.operations"}])
        ).verdict
        is Verdict.ALLOW
    )
    d = eng.decide(t(origin="CN", destination="CN", data=[health(10**6)]))
    assert d.verdict is Verdict.ALLOW and d.reasons[0].kind == "domestic"


def test_unlisted_destination_restricts_nothing_by_default(eng: Engine) -> None:
    """docs/semantics.md, section 2: a destination with no catalogue is taken to place no
    conditions on receiving data, and the decision says so; an origin with none is review;
    ``--unlisted review`` (given) reviews both sides."""
    ops = [{"category": "business.operations"}]
    d = eng.decide(t(origin="CN", destination="SG", data=ops))
    (unlisted,) = [r for r in d.reasons if r.kind == "no_catalogue"]
    assert (unlisted.jurisdiction, unlisted.side, unlisted.verdict) == ("SG", "inbound", Verdict.ALLOW)
    assert d.verdict is Verdict.ALLOW
    (said,) = [a for a in d.assumptions if a.fact == "SG inbound"]
    assert said.sentence == "No catalogue for SG: taken to place no conditions on receiving data."
    assert said.override == "--unlisted review to ask"
    # An origin without a catalogue: its outbound law was not checked.
    d = eng.decide(t(origin="SG", destination="CN", data=ops))
    assert [(r.jurisdiction, r.verdict) for r in d.reasons if r.kind == "no_catalogue"] == [
        ("SG", Verdict.REVIEW)
    ]
    assert d.verdict is Verdict.REVIEW and not [a for a in d.assumptions if a.fact.endswith(" inbound")]
    # Given explicitly, --unlisted review applies to the destination too, with no assumption.
    asked = Engine(eng.policies, unlisted=Verdict.REVIEW).decide(t(origin="CN", destination="SG", data=ops))
    assert asked.verdict is Verdict.REVIEW
    assert not [a for a in asked.assumptions if a.fact.endswith(" inbound")]
    # A restriction found on the origin's side stands whatever the destination.
    assert eng.decide(t(origin="CN", destination="SG", data=[health(20_000)])).verdict is Verdict.RESTRICT


def test_nothing_matches_is_allow_with_default_reasons(eng: Engine) -> None:
    d = eng.decide(t(data=[{"category": "economic.statistics"}]))
    assert d.verdict is Verdict.ALLOW
    assert [(r.jurisdiction, r.side, r.kind) for r in d.reasons] == [
        ("CN", "outbound", "default"),
        ("US", "inbound", "default"),
    ]


def test_reason_order_is_strictest_first_and_stable(eng: Engine) -> None:
    d = eng.decide(
        t(
            destination="RU",
            data=[{"category": "research.climate"}, health(20_000), {"category": "state.important"}],
        )
    )
    ranks = [r.verdict.rank for r in d.reasons]
    assert ranks == sorted(ranks, reverse=True)
    again = eng.decide(
        t(
            destination="RU",
            data=[{"category": "research.climate"}, health(20_000), {"category": "state.important"}],
        )
    )
    assert d.model_dump_json() == again.model_dump_json()
    assert eng.stored_facts() == 0


def test_collecting_an_engine_inside_the_engine_lock_does_not_hang() -> None:
    """RuleSet.__del__ must never wait for the lock: the collector can run inside a locked
    section of the same thread. Freed handles are released by the next locked call."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import gc
        import dataflow_rules.engine.durable as durable
        from dataflow_rules import Engine, load_policies, Transfer

        policies = load_policies()
        gc.disable()
        engine = Engine(policies)
        t = Transfer.model_validate({"id": "t", "origin": "CN", "destination": "US",
                                     "data": [{"category": "personal.health", "individuals": 5}]})
        engine.decide(t)
        cycle = [engine]
        cycle.append(cycle)
        del engine, cycle
        with durable._LOCK:
            gc.collect()
        assert durable._RETIRED, "the collected rulesets are waiting to be freed"
        fresh = Engine(policies)
        fresh.decide(t)
        assert not durable._RETIRED
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
