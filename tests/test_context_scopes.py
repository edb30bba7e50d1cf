"""Stated facts the law makes impossible together (``context_scopes``, docs/semantics.md 4a).

A government or law-enforcement body cannot be on the Data Privacy Framework List, so a
description saying one is certified must not be allowed on its word; a recipient whose
type is left unstated (most manifests) must be decided exactly as before, because the case
analysis over the type does not read scopes. Checked against the same shipped policies with
the scopes taken out: the scopes change a decision only where a stated type is outside a
scope, and never lower a verdict.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest

from dataflow_rules import CatalogueError, Engine, Policies
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.engine.scope import apply_scopes
from dataflow_rules.models.decision import Verdict
from dataflow_rules.models.transfer import Transfer
from dataflow_rules.taxonomy import load_taxonomy

DAY = dt.date(2026, 3, 2)
FACT = {"DE": "recipient_eu_us_dpf_certified", "GB": "recipient_uk_extension_certified"}
OUT_OF_SCOPE = ("government", "law_enforcement", "international_organisation")
IN_SCOPE = ("company", "research_institution", "individual")


def _transfer(origin: str, kind: str | None, certified: bool | None, **more: Any) -> Transfer:
    recipient: dict[str, Any] = {"name": "Example US recipient"}
    if kind is not None:
        recipient["type"] = kind
    doc: dict[str, Any] = {
        "id": "t",
        "origin": origin,
        "destination": "US",
        "exporter": {"name": "Example exporter"},
        "recipient": recipient,
        "purpose": "business_operations",
        "transaction": "vendor_agreement",
        "data": [{"category": "personal.contact", "individuals": 500, "anonymised": False}],
        **more,
    }
    if certified is not None:
        doc["context"] = {FACT[origin]: certified}
    return Transfer.model_validate(doc)


@pytest.fixture(scope="module")
def unscoped(policies: Policies) -> Engine:
    """The shipped policies with every ``context_scopes`` removed: the behaviour before."""
    catalogues = {
        code: dataclasses.replace(lc, catalogue=lc.catalogue.model_copy(update={"context_scopes": {}}))
        for code, lc in policies.catalogues.items()
    }
    assert any(lc.catalogue.context_scopes for lc in policies.catalogues.values())
    return Engine(dataclasses.replace(policies, catalogues=catalogues), lazy=True)


@pytest.mark.parametrize("origin", ["DE", "GB"])
def test_scopes_change_only_stated_out_of_scope_types_and_never_lower(
    origin: str, engine: Engine, unscoped: Engine
) -> None:
    kinds: list[str | None] = [None, *IN_SCOPE, *OUT_OF_SCOPE]
    for kind, certified, day in itertools.product(kinds, [None, True, False], [DAY, dt.date(2022, 6, 1)]):
        t = _transfer(origin, kind, certified)
        new, old = engine.decide(t, day, today=day), unscoped.decide(t, day, today=day)
        where = f"{origin} type={kind} certified={certified} {day}"
        assert new.verdict.rank >= old.verdict.rank, where
        if kind in OUT_OF_SCOPE and certified is not False:
            assert new.verdict is Verdict.RESTRICT, where
            assert [a.fact for a in new.assumptions if a.source.startswith("scope ")] == [
                f"context.{FACT[origin]}"
            ], where
            said = [w for w in new.warnings if w.startswith("Stated facts contradict each other")]
            assert len(said) == (1 if certified else 0), where
            if certified:
                assert f"recipient.type {kind}" in said[0] and f"context.{FACT[origin]} true" in said[0]
        else:
            assert new.model_dump_json() == old.model_dump_json(), where


def test_a_claimed_certification_of_a_government_body_restricts(engine: Engine) -> None:
    decision = engine.decide(_transfer("DE", "government", True), DAY, today=DAY)
    assert decision.verdict is Verdict.RESTRICT
    assert "eu.transfer.us_not_dpf" in {r.entry_id for r in decision.reasons if r.verdict is Verdict.RESTRICT}
    (assumed,) = [a for a in decision.assumptions if a.source == "scope EU"]
    assert assumed.value is False
    assert "recipient.type government" in assumed.sentence
    assert "context.recipient_eu_us_dpf_certified true" in assumed.sentence
    assert assumed.citations and "2023/1795" in assumed.citations[0].instrument
    assert "recipient.type" in assumed.override


def test_unstated_type_with_certification_is_allowed_as_before(engine: Engine) -> None:
    """The case analysis tries every recipient type, government included: those are
    hypotheses, not statements, so no scope fires and the certification clears every one."""
    decision = engine.decide(_transfer("DE", None, True), DAY, today=DAY)
    assert decision.verdict is Verdict.ALLOW
    assert not [a for a in decision.assumptions if a.source.startswith("scope ")]
    assert not [w for w in decision.warnings if "contradict" in w]


def test_the_trace_explains_it(engine: Engine) -> None:
    """``explain`` reads Engine.trace: the same transfer as decided, the same assumption."""
    trace = engine.trace(_transfer("GB", "law_enforcement", True), DAY, today=DAY)
    assert trace.decision.verdict is Verdict.RESTRICT
    assert [a.fact for a in trace.decision.assumptions if a.source == "scope GB"] == [
        "context.recipient_uk_extension_certified"
    ]


def test_onward_legs_keep_what_they_inherit(policies: Policies) -> None:
    """The fact set false for the transfer's own (government) recipient is restated for a
    leg that inherits it, and a leg's own stated recipient is checked against it."""
    t = _transfer(
        "DE",
        "government",
        True,
        onward=[
            {"destination": "CA", "recipient": {"name": "Example CA Inc.", "type": "company"}},
            {"destination": "JP", "recipient": {"name": "Example JP Police", "type": "law_enforcement"}},
            {"destination": "SG", "context": {"recipient_eu_us_dpf_certified": False}},
        ],
    )
    scoped, assumed = apply_scopes(policies, t)
    assert scoped.context == {"recipient_eu_us_dpf_certified": False}
    assert [leg.context for leg in scoped.onward] == [
        {"recipient_eu_us_dpf_certified": True},
        {"recipient_eu_us_dpf_certified": False},
        {"recipient_eu_us_dpf_certified": False},
    ]
    assert [a.fact for a in assumed] == [
        "context.recipient_eu_us_dpf_certified",
        "onward[1].context.recipient_eu_us_dpf_certified",
    ]
    assert t.context == {"recipient_eu_us_dpf_certified": True}  # the stated transfer is untouched


def test_nothing_stated_nothing_changed(policies: Policies) -> None:
    for t in (_transfer("DE", "government", None), _transfer("DE", "company", True)):
        scoped, assumed = apply_scopes(policies, t)
        assert scoped is t and assumed == []


def test_a_facts_file_type_is_a_statement(engine: Engine) -> None:
    """The facts file states the organisation's facts: its recipient type contradicts a
    certification the transfer states just as the transfer's own would."""
    from dataflow_rules.models.facts import Facts

    facts = Facts.model_validate({"recipient": {"type": "government"}})
    decision = engine.decide(_transfer("DE", None, True), DAY, facts=facts, today=DAY)
    assert decision.verdict is Verdict.RESTRICT
    assert any(a.source == "scope EU" for a in decision.assumptions)


# -- the catalogue model -------------------------------------------------------------------

BASE = """\
jurisdiction: CN
title: Test catalogue
version: "1"
effective: 2024-03-22
sources:
  - {instrument: Test Law, article: Art 1, date: 2024-03-22}
context_facts:
  listed: The recipient is on the list.
"""
SCOPE = """\
context_scopes:
  {fact}:
    recipient_types: [{kind}]
    sentence: Only companies can be listed.
    citations: [{{instrument: Test Law, article: Art 2, date: 2024-03-22}}]
"""


@pytest.fixture(scope="module")
def taxonomy() -> Any:
    return load_taxonomy(default_policy_dir() / "taxonomy.yaml")


def test_a_catalogue_without_scopes_loads_unchanged(taxonomy: Any) -> None:
    policies = build_policies(taxonomy, [("cat.yaml", BASE)])
    assert policies.catalogues["CN"].catalogue.context_scopes == {}


def test_a_scope_loads(taxonomy: Any) -> None:
    policies = build_policies(taxonomy, [("cat.yaml", BASE + SCOPE.format(fact="listed", kind="company"))])
    scope = policies.catalogues["CN"].catalogue.context_scopes["listed"]
    assert scope.recipient_types == ["company"]


@pytest.mark.parametrize(
    ("fact", "kind", "expected"),
    [
        (
            "unlisted",
            "company",
            r"cat.yaml:10:\d+: context_scopes.unlisted: context_scopes names context fact 'unlisted'",
        ),
        (
            "listed",
            "firm",
            r"cat.yaml:11:\d+: context_scopes.listed.recipient_types\[0\]: unknown recipient type 'firm'",
        ),
    ],
)
def test_a_bad_scope_names_file_line_and_field(taxonomy: Any, fact: str, kind: str, expected: str) -> None:
    with pytest.raises(CatalogueError, match=expected):
        build_policies(taxonomy, [("cat.yaml", BASE + SCOPE.format(fact=fact, kind=kind))])


def test_a_scope_needs_a_type_and_a_citation(taxonomy: Any) -> None:
    text = BASE + "context_scopes:\n  listed: {recipient_types: [], sentence: Why., citations: []}\n"
    with pytest.raises(CatalogueError, match=r"context_scopes.listed.recipient_types"):
        build_policies(taxonomy, [("cat.yaml", text)])


def test_diff_reaches_what_a_scope_changes(policies: Policies, unscoped: Engine, engine: Engine) -> None:
    """``diff`` decides twice only the transfers a change can reach (workbench/reach.py): a
    scope is read from the catalogues of the transfer's own hop, so removing one reaches
    the transfers whose decision it changes."""
    from dataflow_rules.workbench.reach import Reach

    reach = Reach(policies, unscoped.policies)
    for origin, kind, certified in itertools.product(["DE", "GB"], OUT_OF_SCOPE, [True, None]):
        t = _transfer(origin, kind, certified)
        assert engine.decide(t, DAY, today=DAY).verdict is not unscoped.decide(t, DAY, today=DAY).verdict
        assert reach.reaches(t), (origin, kind, certified)


def test_the_reference_evaluator_agrees(policies: Policies, engine: Engine) -> None:
    """tests/reference.py reads the scopes again from docs/semantics.md: on a stated
    contradiction (where no presumption or case analysis runs: the verdict is restrict)
    its findings are the engine's."""
    from .reference import project, reference_decide

    for origin, kind in itertools.product(["DE", "GB"], OUT_OF_SCOPE):
        t = _transfer(origin, kind, True)
        decision = engine.decide(t, DAY, today=DAY)
        assert project(decision) == reference_decide(policies, t, DAY).comparable(), (origin, kind)


LISTED_BASE = (
    BASE
    + """\
entries:
  - id: e1
    title: Contact data to an unlisted recipient
    categories: [personal.contact]
    direction: outbound
    when: {context: {listed: false}}
    outcome: restrict
    requirement: security_assessment
    citations: [{instrument: Test Law, article: Art 3, date: 2024-03-22}]
"""
)
LAYER = """\
jurisdiction: CN
zone: z1
title: Test zone
version: "1"
effective: 2024-03-22
sources:
  - {instrument: Test Zone Rules, article: Art 1, date: 2024-03-22}
""" + SCOPE.format(fact="listed", kind="company")


def test_a_zone_layers_scope_is_read_for_its_zone_only(taxonomy: Any) -> None:
    policies = build_policies(taxonomy, [("cn.yaml", LISTED_BASE), ("z1.yaml", LAYER)])
    engine = Engine(policies, lazy=True)
    for zone, certified, scoped in ((None, True, False), ("z1", True, True), ("z1", None, True)):
        doc: dict[str, Any] = {
            "id": "z",
            "origin": "CN",
            "destination": "US",
            "exporter": {"name": "Example exporter", **({"zone": zone} if zone else {})},
            "recipient": {"name": "Example agency", "type": "government"},
            "data": [{"category": "personal.contact", "individuals": 10, "anonymised": False}],
        }
        if certified is not None:
            doc["context"] = {"listed": certified}
        decision = engine.decide(Transfer.model_validate(doc), DAY, today=DAY)
        assert any(a.source == "scope CN" for a in decision.assumptions) is scoped, (zone, certified)
        assert decision.verdict is (Verdict.RESTRICT if scoped else Verdict.ALLOW), (zone, certified)
