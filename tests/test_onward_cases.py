"""The case analysis of a transfer with onward legs branches on a leg's own recipient's fact
by the leg's path (``onward[0].recipient.type``) and sets it on that recipient
(docs/semantics.md, 4b and 8a).

The reasons name a leg's facts as the leg's rules do (``recipient.type`` after the leg's
label). Branching on that name set the FIRST recipient's type, even a stated one: the leg's
fact stayed open in every branch, so the branches said "if recipient.type were X" and showed
verdicts that were the first leg's, not the law's answer for the leg's recipient."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer, Verdict, load_policies
from dataflow_rules.engine.cases import domain

from .conftest import POLICIES
from .test_law_presumptions import LEG_TRANSFER

DAY = dt.date(2026, 6, 1)

CN_SG_US: dict[str, Any] = {
    "id": "cn-sg-us",
    "origin": "CN",
    "destination": "SG",
    "date": "2026-06-01",
    "exporter": {"id": "cn-exp", "name": "Example CN Trader", "ciio": False},
    "recipient": {"id": "sg-co", "name": "Example SG Co.", "type": "company"},
    "purpose": "business_operations",
    "transaction": "vendor_agreement",
    "context": {"important_data_identified": False},
    "data": [{"category": "business.trade"}],
    "onward": [{"destination": "US", "recipient": {"id": "us-r", "name": "A recipient in the US"}}],
}
"""Trade documents from China to a Singapore company, sent on to a US recipient of unstated
type: DSL Art 36 and PIPL Art 41 need approval for data provided to a foreign judicial or
law-enforcement body (cn.foreign_request.recipient), and China's export rules follow the
data to the leg's recipient (8a); every other type is covered by the trade green lane."""


def _branches(decision: Any) -> dict[tuple[tuple[str, Any], ...], Verdict]:
    assert decision.cases is not None
    return {tuple(sorted(b.values.items())): b.verdict for b in decision.cases.branches}


def test_an_onward_legs_open_recipient_type_is_branched_on_that_recipient(engine: Engine) -> None:
    d = engine.decide(Transfer.model_validate(CN_SG_US), DAY)
    assert d.verdict is Verdict.REVIEW
    assert d.cases is not None and d.cases.facts == ["onward[0].recipient.type"]
    assert d.cases.splits == ["onward[0].recipient.type"]
    by_type = {b.values["onward[0].recipient.type"]: b.verdict for b in d.cases.branches}
    assert by_type.pop("law_enforcement") is Verdict.RESTRICT
    assert set(by_type) == set(engine.policies.taxonomy.recipient_types) - {"law_enforcement"}
    assert set(by_type.values()) == {Verdict.ALLOW}


@pytest.mark.parametrize("kind", ["law_enforcement", "company"])
def test_each_branch_is_the_decision_with_the_legs_recipient_stated(engine: Engine, kind: str) -> None:
    """A branch's verdict is what the transfer gets when the leg's recipient states the type;
    the first recipient's stated type is never what a branch changes."""
    d = engine.decide(Transfer.model_validate(CN_SG_US), DAY)
    leg = {**CN_SG_US["onward"][0], "recipient": {**CN_SG_US["onward"][0]["recipient"], "type": kind}}
    stated = engine.decide(Transfer.model_validate({**CN_SG_US, "onward": [leg]}), DAY)
    assert _branches(d)[(("onward[0].recipient.type", kind),)] is stated.verdict
    assert stated.cases is None  # nothing left open


def test_an_open_first_recipient_type_keeps_its_path(engine: Engine) -> None:
    """The first recipient's open type is ``recipient.type`` as before; with the leg's open
    too, both are branched on, each on its own recipient."""
    first = {**CN_SG_US, "recipient": {"id": "sg-co", "name": "Example SG Co."}}
    leg = {**CN_SG_US["onward"][0], "recipient": {**CN_SG_US["onward"][0]["recipient"], "type": "company"}}
    d = engine.decide(Transfer.model_validate({**first, "onward": [leg]}), DAY)
    assert d.cases is not None and d.cases.facts == ["recipient.type"]
    assert {b.values["recipient.type"]: b.verdict for b in d.cases.branches}["law_enforcement"] is (
        Verdict.RESTRICT
    )
    both = engine.decide(Transfer.model_validate(first), DAY)
    assert both.cases is not None
    assert sorted(both.cases.facts) == ["onward[0].recipient.type", "recipient.type"]
    branches = _branches(both)
    types = sorted(engine.policies.taxonomy.recipient_types)
    assert len(branches) == len(types) ** 2
    for ((_, leg_type), (_, first_type)), verdict in branches.items():  # sorted: onward[0] first
        expected = Verdict.RESTRICT if "law_enforcement" in (leg_type, first_type) else Verdict.ALLOW
        assert verdict is expected, (leg_type, first_type)


def test_a_legs_party_facts_have_the_values_of_the_first_partys(engine: Engine) -> None:
    tax = engine.policies.taxonomy
    for fact in ("recipient.type", "recipient.designated", "recipient.affiliate", "exporter.ciio"):
        assert domain(tax, f"onward[3].{fact}") == domain(tax, fact) is not None
    assert domain(tax, "onward[0].recipient.controlled_by") is None


US_SG_CN = LEG_TRANSFER
"""A U.S. citizen in China (a U.S. person, 28 CFR 202.256(a)) receiving bulk health data
through Singapore: a covered person only if designated (202.211(a)(5)); the presumption
tests' transfer."""


@pytest.fixture(scope="module")
def unpresumed(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped policies without the US catalogue's presumption that a recipient is not
    designated, so that the designation stays open and is decided case by case."""
    where = tmp_path_factory.mktemp("policies") / "policies"
    shutil.copytree(POLICIES, where)
    us = where / "us.yaml"
    text, n = re.subn(r"\npresumptions:\n(?:  .*\n|\s*\n)*?(?=\ngroups:)", "\n", us.read_text("utf-8"))
    assert n == 1
    us.write_text(text, "utf-8")
    return Engine(load_policies(where))


def test_an_onward_legs_open_designation_is_branched_on_that_recipient(unpresumed: Engine) -> None:
    d = unpresumed.decide(Transfer.model_validate(US_SG_CN), DAY)
    assert d.verdict is Verdict.REVIEW and not any("designated" in a.fact for a in d.assumptions)
    assert d.cases is not None and d.cases.facts == ["onward[0].recipient.designated"]
    by_value = {b.values["onward[0].recipient.designated"]: b.verdict for b in d.cases.branches}
    assert by_value == {True: Verdict.RESTRICT, False: Verdict.ALLOW}
    assert d.cases.splits == ["onward[0].recipient.designated"]
