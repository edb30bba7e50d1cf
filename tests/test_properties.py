"""Properties of decisions on generated catalogues and transfers (docs/semantics.md).

The central property is agreement with :mod:`tests.reference`, a plain-Python reading of
the specification; the others state consequences of the specification that hold
whatever the catalogues say, and are checked on the engine directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dataflow_rules import Decision, Engine, Policies, Reason, Transfer, Verdict
from dataflow_rules.errors import CatalogueError
from dataflow_rules.models.catalogue import Entry, LocalisationEntry
from dataflow_rules.models.common import MAX_BOUND

from .reference import SAFEGUARDED_FINDINGS_STAND, project, reference_decide, unexpected_reliance
from .strategies import (
    CITATION,
    TAXONOMY,
    Scenario,
    aimed_scenarios,
    chance,
    entries,
    policies_from,
    scenarios,
)

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

_KIND_ORDER = [
    "localisation",
    "entry",
    "missing_fact",
    "no_catalogue",
    "safeguarded",
    "exemption",
    "green_lane",
    "default",
    "domestic",
]


@contextmanager
def engine_for(
    policies: Policies, unlisted: Verdict | None = None, resolve: bool = False
) -> Iterator[Engine]:
    """An engine over ``policies``. The properties below are about the rules themselves
    (sections 2-8), so by default its decisions stop there (``resolve=False``); the
    properties of presumptions and case analysis (sections 4a, 4b) ask for ``resolve``."""
    engine = Engine(policies, unlisted)
    if not resolve:
        plain = engine.decide
        engine.decide = functools.partial(plain, resolve=False)  # type: ignore[method-assign]
    try:
        yield engine
    finally:
        engine.close()


def _position(policies: Policies, reason: Reason) -> tuple[str, int] | None:
    """(catalogue section, index) of the entry, lane or exemption a reason is about."""
    if reason.entry_id is None:
        return None
    cat = policies.catalogues[reason.jurisdiction].catalogue
    sections: list[tuple[str, list[Any]]] = [
        ("entries", list(cat.entries)),
        ("localisation", list(cat.localisation)),
        ("exemptions", list(cat.exemptions)),
        ("green_lanes", list(cat.green_lanes)),
    ]
    for name, items in sections:
        for i, item in enumerate(items):
            if item.id == reason.entry_id:
                return name, i
    raise AssertionError(f"{reason.entry_id} is not in {reason.jurisdiction}'s catalogue")


def check_invariants(decision: Decision, policies: Policies) -> None:
    """What every decision satisfies, whatever the catalogues (sections 4, 7, 8)."""
    active = [r.verdict for r in decision.reasons if r.kind not in ("exemption", "green_lane")]
    assert active, "a decision always has a standing, default, no_catalogue or domestic reason"
    assert decision.verdict == Verdict.strictest(active)
    for r in decision.reasons:
        if r.kind == "missing_fact":
            assert r.verdict == Verdict.REVIEW and r.missing
        elif r.kind in ("entry", "localisation"):
            assert r.verdict in (Verdict.REVIEW, Verdict.RESTRICT) and not r.missing
        elif r.kind in ("exemption", "green_lane", "safeguarded"):
            assert r.verdict == Verdict.ALLOW
        if r.kind == "safeguarded":
            assert r.safeguards and all(c.status == "met" for c in r.safeguards)
            lasts = [c.expires for c in r.safeguards if c.expires is not None]
            assert r.expires == min(lasts, default=None)
        if r.kind == "exemption":
            assert r.cleared, "an exemption is only reported when it cleared something"
    keys = [
        (-r.verdict.rank, r.side != "outbound", r.jurisdiction, _KIND_ORDER.index(r.kind))
        for r in decision.reasons
    ]
    assert keys == sorted(keys), "reasons are ordered by verdict, side, jurisdiction, kind"
    # ... then by position in the catalogue and items (compared within one section).
    for (k1, r1), (k2, r2) in itertools.pairwise(zip(keys, decision.reasons, strict=True)):
        p1, p2 = _position(policies, r1), _position(policies, r2)
        if k1 == k2 and p1 and p2 and p1[0] == p2[0]:
            assert (p1[1], r1.items) <= (p2[1], r2.items)


def strictness(verdict: Verdict) -> int:
    return verdict.rank


def without_safeguards_while_they_stand(scenario: Scenario) -> Scenario:
    """The scenario's transfers without safeguards, while the engine lets safeguarded
    findings displace a side's default reason (reference.SAFEGUARDED_FINDINGS_STAND): that
    reading breaks the monotonicity properties below, as
    test_adding_an_entry_a_safeguard_meets_never_makes_a_verdict_more_permissive shows."""
    if not SAFEGUARDED_FINDINGS_STAND:
        return scenario
    return replace(
        scenario, transfers=tuple(t.model_copy(update={"safeguards": []}) for t in scenario.transfers)
    )


# -- agreement with the specification ----------------------------------------------------


@pytest.mark.slow  # 250 hypothesis scenarios, about 15 s
@settings(max_examples=250, **SETTINGS)
@given(
    scenario=scenarios(max_transfers=4) | aimed_scenarios(max_transfers=4),
    unlisted=st.sampled_from([None, Verdict.REVIEW, Verdict.ALLOW]),
)
def test_engine_agrees_with_the_reference_evaluator(scenario: Scenario, unlisted: Verdict | None) -> None:
    policies = scenario.policies()
    with engine_for(policies, unlisted) as engine:
        for transfer in scenario.transfers:
            decision = engine.decide(transfer, scenario.as_of)
            expected = reference_decide(policies, transfer, scenario.as_of, unlisted)
            assert project(decision) == expected.comparable(), transfer.id
            assert not unexpected_reliance(decision, expected)
            check_invariants(decision, policies)
            event(f"verdict {decision.verdict.value}")
            for kind in sorted({r.kind for r in decision.reasons}):
                event(f"reason {kind}")
        assert engine.stored_facts() == 0


@settings(max_examples=30, **SETTINGS)
@given(scenario=scenarios(max_transfers=2))
def test_as_of_defaults_to_the_transfers_date(scenario: Scenario) -> None:
    policies = scenario.policies()
    with engine_for(policies) as engine:
        for transfer in scenario.transfers:
            dated = transfer.model_copy(update={"date": scenario.as_of})
            decision = engine.decide(dated)
            assert decision.as_of == scenario.as_of
            assert project(decision) == reference_decide(policies, dated).comparable()
            assert decision.model_dump_json() == engine.decide(transfer, scenario.as_of).model_dump_json()
            # An explicit as-of date wins over the transfer's own.
            other = dated.model_copy(update={"date": dt.date(2019, 1, 1)})
            assert engine.decide(other, scenario.as_of) == engine.decide(dated, scenario.as_of).model_copy(
                update={"transfer_id": other.id}
            )


# -- determinism and no state left behind -------------------------------------------------


@settings(max_examples=30, **SETTINGS)
@given(scenario=scenarios(max_transfers=4))
def test_decisions_are_deterministic(scenario: Scenario) -> None:
    policies = scenario.policies()
    with engine_for(policies) as first:
        once = [first.decide(t, scenario.as_of).model_dump_json() for t in scenario.transfers]
        again = [first.decide(t, scenario.as_of).model_dump_json() for t in reversed(scenario.transfers)]
        assert once == list(reversed(again))
        assert first.stored_facts() == 0
        # A second engine on freshly loaded copies of the same catalogues, alive at the
        # same time (ruleset names are global to the process).
        with engine_for(scenario.policies()) as fresh:
            assert [fresh.decide(t, scenario.as_of).model_dump_json() for t in scenario.transfers] == once
            assert [first.decide(t, scenario.as_of).model_dump_json() for t in scenario.transfers] == once


# -- monotonicity --------------------------------------------------------------------------


@st.composite
def scenarios_with_an_added_entry(draw: Any) -> tuple[Scenario, Scenario]:
    """A scenario and the same with one more restricted entry somewhere in one catalogue."""
    scenario = draw(aimed_scenarios(max_transfers=4))
    which = draw(st.integers(0, len(scenario.catalogues) - 1))
    target = scenario.catalogues[which]
    added = draw(
        entries(
            "added",
            list(target["groups"]),
            list(target["context_facts"]),
            outcome="restrict",
        )
    )
    if chance(draw, 70):  # aim it at the transfers' data
        items = sorted({item.category for t in scenario.transfers for item in t.data})
        added["categories"] = sorted(set(draw(st.lists(st.sampled_from(items), min_size=1, max_size=2))))
        added["direction"] = "both"
    changed = dict(target)
    position = draw(st.integers(0, len(target["entries"])))
    changed["entries"] = [*target["entries"][:position], added, *target["entries"][position:]]
    catalogues = list(scenario.catalogues)
    catalogues[which] = changed
    return scenario, scenario.with_catalogues(catalogues)


def standing(decision: Decision) -> set[tuple[str, str, str, int]]:
    """(jurisdiction, side, designation, item) of every standing finding."""
    return {
        (r.jurisdiction, r.side, r.entry_id or "", i)
        for r in decision.reasons
        if r.kind in ("entry", "localisation", "missing_fact")
        for i in r.items
    }


@pytest.mark.slow  # a fresh engine per example, about 8 s
@settings(max_examples=60, **SETTINGS)
@given(pair=scenarios_with_an_added_entry())
def test_adding_a_restricted_entry_never_makes_a_verdict_more_permissive(
    pair: tuple[Scenario, Scenario],
) -> None:
    before, after = (without_safeguards_while_they_stand(s) for s in pair)
    with engine_for(before.policies()) as old, engine_for(after.policies()) as new:
        for transfer in before.transfers:
            was = old.decide(transfer, before.as_of)
            now = new.decide(transfer, before.as_of)
            assert strictness(now.verdict) >= strictness(was.verdict)
            event("stricter" if now.verdict != was.verdict else "same verdict")
            event("more findings" if standing(now) != standing(was) else "same findings")
            # Sections 3-7: findings of the other designations do not depend on the new one.
            assert standing(was) <= standing(now)


def without_anonymisation_traps(catalogue: dict[str, Any]) -> dict[str, Any]:
    """The catalogue without the conditions that make anonymising stricter.

    Per the specification, anonymising a data item can make a verdict stricter in
    exactly three ways: a designation requiring ``anonymised: true`` starts to apply
    (or stops being a missing-fact review and becomes its outcome, restrict), and an
    exemption or a green lane requiring ``anonymised: false`` stops firing. Everything
    else anonymising does is permissive: designations requiring ``anonymised: false``
    stop applying, exemptions and lanes requiring ``anonymised: true`` may fire, and
    anonymised personal data meets the green lanes' proviso.
    """

    def drop(block: dict[str, Any], value: bool) -> dict[str, Any]:
        when = dict(block.get("when") or {})
        if when.get("anonymised") is value:
            del when["anonymised"]
        out = {k: v for k, v in block.items() if k != "when"}
        if when:
            out["when"] = when
        return out

    out = dict(catalogue)
    out["entries"] = [drop(e, True) for e in catalogue["entries"]]
    out["localisation"] = [drop(e, True) for e in catalogue["localisation"]]
    out["green_lanes"] = [drop(g, False) for g in catalogue["green_lanes"]]
    out["exemptions"] = [x for x in (drop(x, False) for x in catalogue["exemptions"]) if x.get("when")]
    return out


@settings(max_examples=60, **SETTINGS)
@given(scenario=aimed_scenarios(max_transfers=3), data=st.data())
def test_anonymising_a_data_item_never_makes_the_verdict_stricter(scenario: Scenario, data: Any) -> None:
    scenario = scenario.with_catalogues([without_anonymisation_traps(c) for c in scenario.catalogues])
    scenario = without_safeguards_while_they_stand(scenario)
    policies = scenario.policies()
    with engine_for(policies) as engine:
        for transfer in scenario.transfers:
            raw = [n for n, item in enumerate(transfer.data) if item.anonymised is not True]
            i = data.draw(st.sampled_from(raw or range(len(transfer.data))), label="item")
            items = list(transfer.data)
            items[i] = items[i].model_copy(update={"anonymised": True})
            anonymised = transfer.model_copy(update={"data": items})
            was = engine.decide(transfer, scenario.as_of)
            now = engine.decide(anonymised, scenario.as_of)
            assert strictness(now.verdict) <= strictness(was.verdict)
            assert standing(now) <= standing(was)
            event("more permissive" if now.verdict != was.verdict else "same verdict")
            event("fewer findings" if standing(now) != standing(was) else "same findings")


def test_anonymising_can_be_stricter_when_a_designation_requires_anonymised_data() -> None:
    """Why the property above excludes ``anonymised: true`` designations: the specification
    lets such an entry turn a missing-fact review (or nothing) into its outcome."""
    entry = {
        "id": "anon.only",
        "title": "Anonymised data too",
        "categories": ["personal.health"],
        "direction": "outbound",
        "when": {"anonymised": True},
        "outcome": "restrict",
        "requirement": "prohibited",
        "citations": [CITATION],
    }
    policies = policies_from([_catalogue("CN", [entry])])
    base = Transfer.model_validate(
        {"id": "t", "origin": "CN", "destination": "DE", "data": [{"category": "personal.health"}]}
    )
    day = dt.date(2025, 1, 1)
    with engine_for(policies, Verdict.ALLOW) as engine:
        for before, expected_before in ((None, Verdict.REVIEW), (False, Verdict.ALLOW)):
            t0 = base.model_copy(update={"data": [base.data[0].model_copy(update={"anonymised": before})]})
            t1 = base.model_copy(update={"data": [base.data[0].model_copy(update={"anonymised": True})]})
            assert engine.decide(t0, day).verdict == expected_before
            assert engine.decide(t1, day).verdict == Verdict.RESTRICT
            for t in (t0, t1):
                assert (
                    reference_decide(policies, t, day, Verdict.ALLOW).verdict == engine.decide(t, day).verdict
                )


# -- green lanes -----------------------------------------------------------------------------


@settings(max_examples=60, **SETTINGS)
@given(scenario=aimed_scenarios(max_transfers=4, max_lanes=3))
def test_a_green_lane_never_clears_national_security_or_raw_personal_data(scenario: Scenario) -> None:
    policies = scenario.policies()
    with engine_for(policies) as engine:
        for transfer in scenario.transfers:
            decision = engine.decide(transfer, scenario.as_of)
            for reason in decision.reasons:
                if reason.kind != "green_lane":
                    continue
                catalogue = policies.catalogues[reason.jurisdiction].catalogue
                lane = next(g for g in catalogue.green_lanes if g.id == reason.entry_id)
                assert lane.direction in (reason.side, "both")
                if transfer.purpose is not None:
                    assert transfer.purpose in lane.purposes
                elif decision.cases is None:
                    # A purpose bound the transfer carries stands for its purpose (an
                    # assumption says so): every purpose it allows is one of the lane's.
                    assert transfer.purpose_bound is not None
                    assert set(transfer.purpose_bound.purposes) <= set(lane.purposes)
                    assert any(a.fact == "purpose" for a in decision.assumptions)
                else:
                    # The purpose is open: the lane fired on case-analysis branches that set
                    # it (docs/semantics.md 4b), so a branch's purpose is one of the lane's.
                    branch_purposes = {b.values.get("purpose") for b in decision.cases.branches}
                    assert branch_purposes & set(lane.purposes), (branch_purposes, lane.purposes)
                designations: dict[str, Entry | LocalisationEntry] = {
                    e.id: e for e in [*catalogue.entries, *catalogue.localisation]
                }
                for cleared in reason.cleared:
                    # Only its own catalogue's designations on this side, never protected ones.
                    entry = designations[cleared]
                    assert not entry.national_security and not entry.overrides_green_lanes
                    if isinstance(entry, Entry):
                        assert entry.direction in (reason.side, "both")
                    else:
                        assert reason.side == "outbound"
                for i in reason.items:
                    item = transfer.data[i]
                    category = TAXONOMY.get(item.category)
                    assert not category.national_security
                    assert not category.personal or item.anonymised is True
                event("lane cleared" if reason.cleared else "lane fired")


# -- missing facts ---------------------------------------------------------------------------

_STRIPPABLE = [
    "exporter.ciio",
    "recipient.type",
    "recipient.affiliate",
    "recipient.controlled_by",
    "purpose",
    "transaction",
    "context",
    "data.individuals",
    "data.records",
    "data.devices",
    "data.anonymised",
]


def strip(transfer: Transfer, facts: set[str]) -> Transfer:
    """The transfer with the named facts unstated (for every data item)."""
    exporter = transfer.exporter.model_copy(update={"ciio": None} if "exporter.ciio" in facts else {})
    recipient = transfer.recipient.model_copy(
        update={name: None for name in ("type", "affiliate", "controlled_by") if f"recipient.{name}" in facts}
    )
    item_update = {
        name: None for name in ("individuals", "records", "devices", "anonymised") if f"data.{name}" in facts
    }
    update: dict[str, Any] = {
        "exporter": exporter,
        "recipient": recipient,
        "data": [item.model_copy(update=item_update) for item in transfer.data],
    }
    for name in ("purpose", "transaction"):
        if name in facts:
            update[name] = None
    if "context" in facts:
        update["context"] = {}
    return transfer.model_copy(update=update)


@settings(max_examples=80, **SETTINGS)
@given(
    scenario=scenarios(max_transfers=3),
    facts=st.sets(st.sampled_from(_STRIPPABLE), min_size=1, max_size=4),
)
def test_a_missing_fact_never_turns_a_finding_into_allow(scenario: Scenario, facts: set[str]) -> None:
    """Unstating facts keeps every standing finding standing (as review at least): an
    unstated fact leaves a designation's condition open but never satisfies an
    exemption's or a lane's, so nothing new is cleared (sections 3-6)."""
    policies = scenario.policies()
    with engine_for(policies) as engine:
        for transfer in scenario.transfers:
            was = engine.decide(transfer, scenario.as_of)
            now = engine.decide(strip(transfer, facts), scenario.as_of)
            assert standing(was) <= standing(now)
            event(f"{was.verdict.value} -> {now.verdict.value}")
            if was.verdict != Verdict.ALLOW:
                assert now.verdict != Verdict.ALLOW
            assert now == engine.decide(strip(transfer, facts), scenario.as_of)
        assert engine.stored_facts() == 0


# -- engine and specification disagree -----------------------------------------------------


def _catalogue(code: str, entries_: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "jurisdiction": code,
        "title": f"Catalogue {code}",
        "version": "1",
        "effective": "2020-01-01",
        "sources": [CITATION],
        "entries": entries_,
    }


@pytest.mark.parametrize(
    "bound", [{"at_least": MAX_BOUND}, {"more_than": MAX_BOUND}, {"at_least": 10**10 + 1}]
)
def test_an_unstated_count_is_a_missing_fact_whatever_the_threshold(bound: dict[str, int]) -> None:
    """Section 4: "A missing fact never yields allow", up to the largest bound a catalogue
    may state. (An earlier engine encoded an unstated count as 10**15 while catalogues
    could state any bound, so a larger lower bound was silently never met.)"""
    entry = {
        "id": "huge",
        "title": "A very large threshold",
        "categories": ["personal"],
        "direction": "outbound",
        "when": {"individuals": bound},
        "outcome": "restrict",
        "requirement": "security_assessment",
        "citations": [CITATION],
    }
    policies = policies_from([_catalogue("CN", [entry])])
    transfer = Transfer.model_validate(
        {"id": "t", "origin": "CN", "destination": "US", "data": [{"category": "personal"}]}
    )
    day = dt.date(2025, 1, 1)
    expected = reference_decide(policies, transfer, day, Verdict.ALLOW)
    assert expected.verdict == Verdict.REVIEW
    with engine_for(policies, Verdict.ALLOW) as engine:
        decision = engine.decide(transfer, day)
        assert project(decision) == expected.comparable()


@pytest.mark.parametrize("bound", [{"at_least": MAX_BOUND + 1}, {"more_than": 10**15}, {"less_than": 10**18}])
def test_a_bound_above_the_largest_is_a_catalogue_error(bound: dict[str, int]) -> None:
    entry = {
        "id": "huge",
        "title": "Too large a threshold",
        "categories": ["personal"],
        "direction": "outbound",
        "when": {"individuals": bound},
        "outcome": "restrict",
        "requirement": "security_assessment",
        "citations": [CITATION],
    }
    with pytest.raises(CatalogueError):
        policies_from([_catalogue("CN", [entry])])


def test_adding_an_entry_a_safeguard_meets_never_makes_a_verdict_more_permissive() -> None:
    """Sections 5-7 and 6a: a finding that "becomes a safeguarded reason" no longer stands,
    like one that "becomes an exemption reason", so its side keeps the catalogue's default.
    Otherwise designating data makes its transfer more permissive than leaving it
    undesignated."""

    def de(entries_: list[dict[str, Any]]) -> dict[str, Any]:
        return {**_catalogue("DE", entries_), "default": "review"}

    scc = {
        "id": "scc",
        "title": "Personal data needs standard contractual clauses",
        "categories": ["personal"],
        "direction": "outbound",
        "outcome": "restrict",
        "requirement": "contract_terms",
        "mechanisms": ["eu.scc"],
        "citations": [CITATION],
    }
    transfer = Transfer.model_validate(
        {
            "id": "t",
            "origin": "DE",
            "destination": "US",
            "data": [{"category": "personal.contact"}],
            "safeguards": [{"mechanism": "eu.scc", "reference": "SCC-1", "obtained": "2024-01-01"}],
        }
    )
    day = dt.date(2025, 1, 1)
    with engine_for(policies_from([de([])]), Verdict.ALLOW) as without:
        assert without.decide(transfer, day).verdict == Verdict.REVIEW  # DE's default
    with engine_for(policies_from([de([scc])]), Verdict.ALLOW) as with_entry:
        assert with_entry.decide(transfer, day).verdict == Verdict.REVIEW  # engine: allow
