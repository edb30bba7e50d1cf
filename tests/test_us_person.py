"""``recipient.us_person``: a U.S. person is matched by the DSP entries only as designated
(28 CFR 202.256(a), 202.211(a)(1)-(5)); the claim is the recipient's own, never a leg's
inheritance; a government body cannot make it; the old context fact is an error.

The law's verdicts are in tests/law_cases/cases.yaml.txt and policies-tests/us_person_test.yaml;
these hold the mechanism: the counterparty flag's values, the scope on each recipient, the
moved fact's message, and that a transfer not claiming to be a U.S. person decides exactly
as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataflow_rules import Engine, Policies, Transfer, read_transfers
from dataflow_rules.engine.compile import compile_plan
from dataflow_rules.engine.facts import side_base
from dataflow_rules.engine.scope import apply_scopes, scope_warnings
from dataflow_rules.errors import InputError
from dataflow_rules.workbench.corpus import generate_corpus

DAY = dt.date(2026, 3, 2)

BASE: dict[str, Any] = {
    "id": "usp",
    "origin": "US",
    "destination": "CN",
    "date": "2026-03-02",
    "exporter": {"id": "us-exp", "name": "Example US Co."},
    "recipient": {"id": "r", "name": "Example recipient in Shanghai", "type": "individual"},
    "purpose": "hr_management",
    "transaction": "employment_agreement",
    "context": {"exporter_is_data_broker": False},
    "data": [{"category": "personal.biometric", "individuals": 5000, "anonymised": False}],
}


def _transfer(**recipient: Any) -> Transfer:
    return Transfer.model_validate({**BASE, "recipient": {**BASE["recipient"], **recipient}})


def _flag(policies: Policies, transfer: Transfer, entry_id: str) -> int:
    """The counterparty flag value the US outbound plan computes for ``entry_id``."""
    plan = compile_plan(policies, ("US", "outbound", None))
    assert plan is not None
    rule = next(r for r in plan.rules.values() if r.entry_id == entry_id and r.kind == "entry")
    (cond,) = [c for c in rule.conditions if c.name == "counterparty"]
    base, _ = side_base(plan, policies.taxonomy, transfer, DAY)
    return int(base[cond.fact])


@pytest.mark.parametrize(
    ("us_person", "designated", "flag"),
    [
        (None, None, 1),  # matched by location, as before the field existed
        (False, None, 1),
        (False, True, 1),
        (True, None, 4),  # open on the designation only (the US presumption fills it)
        (True, False, 0),  # a U.S. person no one designated: no covered person
        (True, True, 1),  # designated: a covered person wherever located (202.211(a)(5))
    ],
)
def test_a_us_person_is_matched_only_as_designated(
    policies: Policies, us_person: bool | None, designated: bool | None, flag: int
) -> None:
    t = _transfer(us_person=us_person, designated=designated, controlled_by="CN")
    assert _flag(policies, t, "us.dsp.restricted.coc.biometric") == flag


def test_an_onward_brokerage_entry_never_matches_a_us_person(policies: Policies) -> None:
    """§ 202.302 concerns foreign persons; it names no designation, so a stated U.S. person
    is never matched (a designated one is matched by § 202.301's entry instead)."""
    fr = {**BASE, "destination": "FR", "transaction": "data_brokerage"}
    for designated in (None, False, True):
        t = Transfer.model_validate({**fr, "recipient": {**BASE["recipient"], "designated": designated}})
        assert _flag(policies, t, "us.dsp.brokerage.onward.biometric") == 1
        claimed = t.model_copy(update={"recipient": t.recipient.model_copy(update={"us_person": True})})
        assert _flag(policies, claimed, "us.dsp.brokerage.onward.biometric") == 0


def test_padfa_still_matches_by_control(policies: Policies) -> None:
    """Whether a U.S. person can be 'controlled by a foreign adversary' (15 U.S.C. 9901) was
    not confirmed: the PADFA entry does not read the field."""
    t = _transfer(us_person=True, designated=False, controlled_by="CN")
    assert _flag(policies, t, "us.padfa.data_broker") >= 1


def test_a_government_body_cannot_claim_to_be_a_us_person(policies: Policies) -> None:
    t = _transfer(type="government", us_person=True)
    changed, made = apply_scopes(policies, t)
    assert changed.recipient.us_person is False
    assert [a.fact for a in made] == ["recipient.us_person"]
    assert made[0].source == "scope US"
    (warning,) = scope_warnings(made)
    assert "recipient_scopes" in warning and "§ 202.256(a)" in warning


def test_each_recipient_is_checked_on_its_own_claim(policies: Policies) -> None:
    """The first recipient's claim is neither inherited by a leg nor checked against the
    leg's type; a leg's own claim is checked against the leg's own type."""
    leg = {
        "destination": "CN",
        "recipient": {"name": "Example CN bureau", "type": "government", "us_person": True},
    }
    t = Transfer.model_validate(
        {**BASE, "recipient": {**BASE["recipient"], "us_person": True}, "destination": "SG", "onward": [leg]}
    )
    changed, made = apply_scopes(policies, t)
    assert changed.recipient.us_person is True  # an individual may be a U.S. person
    assert changed.onward[0].recipient.us_person is False
    assert [a.fact for a in made] == ["onward[0].recipient.us_person"]
    plain = {**leg, "recipient": {"name": "Example CN Co.", "type": "company"}}
    t2 = t.model_copy(update={"onward": [Transfer.model_validate({**BASE, "onward": [plain]}).onward[0]]})
    kept, none = apply_scopes(policies, t2)
    assert none == [] and kept.onward[0].recipient.us_person is None


def test_an_unstated_type_contradicts_nothing(policies: Policies) -> None:
    t = _transfer(type=None, us_person=True)
    assert apply_scopes(policies, t) == (t, [])


def test_the_old_context_fact_is_an_error_naming_the_field(policies: Policies, tmp_path: Path) -> None:
    doc = {
        **BASE,
        "context": {"exporter_is_data_broker": False, "recipient_us_person": True},
        "destination": "SG",
        "onward": [{"destination": "CN", "context": {"recipient_us_person": True}}],
    }
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_transfers(path, policies)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert (
        "context.recipient_us_person: 'recipient_us_person' is no longer a context fact: state recipient.us_person"
        in text
    )
    assert "state onward[0].recipient.us_person" in text
    assert "unknown context fact" not in text


def test_stating_us_person_false_decides_as_leaving_it_unstated(engine: Engine, policies: Policies) -> None:
    """``false`` and unstated compute every flag alike, so decisions are the same (goldens
    of transfers not stating the field are byte-identical; this holds it for ``false``)."""
    corpus = [Transfer.model_validate_json(line) for line in generate_corpus(policies.taxonomy, 60, seed=9)]
    assert any(t.origin == "US" for t in corpus)
    for t in corpus:
        stated = t.model_copy(update={"recipient": t.recipient.model_copy(update={"us_person": False})})
        a, b = engine.decide(t, as_of=DAY), engine.decide(stated, as_of=DAY)
        assert a.model_dump_json() == b.model_dump_json(), t.id


def test_the_trace_says_a_us_person_matches_only_as_designated(engine: Engine) -> None:
    t = _transfer(us_person=True, designated=False)
    decision = engine.decide(t, as_of=DAY)
    assert decision.verdict.value == "allow"
    checks = [
        check
        for side in engine.trace(t, as_of=DAY).sides
        for attempt in side.attempts
        if attempt.id == "us.dsp.restricted.coc.biometric"
        for check in attempt.checks
        if check.condition == "counterparty"
    ]
    assert checks
    for check in checks:
        assert (check.fact, check.value, check.status) == ("recipient.us_person", "true", "failed")
        assert "a recipient stated a U.S. person only if designated" in check.expected


def test_an_unknown_context_fact_of_an_onward_leg_is_an_error(policies: Policies, tmp_path: Path) -> None:
    """A leg's context overrides the transfer's: a misspelt override would silently leave
    the inherited value standing, so it is an error on its own line, like the transfer's."""
    doc = {
        **BASE,
        "destination": "SG",
        "onward": [{"destination": "CN", "context": {"exporter_is_data_brokr": True}}],
    }
    path = tmp_path / "leg.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"onward\[0\]\.context\.exporter_is_data_brokr: unknown context fact"
    ) as caught:
        read_transfers(path, policies)
    assert "did you mean 'exporter_is_data_broker'" in str(caught.value)


def test_a_facts_file_cannot_claim_its_recipients_are_us_persons(tmp_path: Path) -> None:
    """A facts file's recipient is every transfer's; a U.S. person is one recipient's own
    status (202.256(a)), and the claim only permits: each statement of it (the field, and
    the context fact it replaced, which the file took as an assumption that did nothing)
    is an error on its own line saying why, with the file's other errors."""
    from dataflow_rules.errors import InputErrors
    from dataflow_rules.facts_file import read_facts

    path = tmp_path / "dataflow-rules.yaml"
    path.write_text(
        "facts:\n  recipient:\n    type: company\n    us_person: true\n    typo: 1\n"
        "  context:\n    recipient_us_person: true\n",
        encoding="utf-8",
    )
    with pytest.raises(InputErrors) as caught:
        read_facts(path)
    lines = [str(e) for e in caught.value.problems]
    assert len(lines) == 3, lines
    claim, typo, context = lines
    assert ":4:" in claim and "facts.recipient.us_person: a facts file cannot state" in claim
    assert "202.256(a)" in claim and "state recipient.us_person in the transfer" in claim
    assert ":5:" in typo and "unknown field 'typo'" in typo
    assert ":7:" in context and "context.recipient_us_person: no longer a context fact" in context
    path.write_text("facts:\n  recipient:\n    us_person: false\n", encoding="utf-8")
    with pytest.raises(InputErrors):  # false says nothing (it decides as unstated): refused alike
        read_facts(path)


def test_the_facts_model_refuses_the_old_context_fact() -> None:
    from pydantic import ValidationError

    from dataflow_rules.models.facts import Facts

    with pytest.raises(ValidationError, match=r"202\.256"):
        Facts.model_validate({"context": {"recipient_us_person": True}})
    with pytest.raises(ValidationError, match="us_person"):
        Facts.model_validate({"recipient": {"us_person": True}})


def test_at_home_an_entity_controlled_from_a_country_of_concern_is_presumed_a_us_person_and_said() -> None:
    """Inside the United States a company controlled from China may be a U.S. person (a
    U.S.-organised subsidiary, 28 CFR 202.256(b) Example 8) or not (the U.S. branch of a
    Chinese company, Example 7). Unstated, it was decided a U.S. person with nothing said;
    now the US catalogue's presumption (202.256(a): "any person in the United States")
    fills it and the decision lists it, with how to override it. Stated false, restrict."""
    from dataflow_rules import Engine, Transfer
    from dataflow_rules.catalogues import load_policies

    engine = Engine(load_policies())

    def home(**recipient: object) -> Transfer:
        return Transfer.model_validate(
            {
                "id": "home",
                "origin": "US",
                "destination": "US",
                "date": "2026-06-01",
                "exporter": {"id": "us-lab"},
                "recipient": {"id": "cn-co-us", "type": "company", "controlled_by": "CN", **recipient},
                "purpose": "scientific_research",
                "transaction": "vendor_agreement",
                "context": {"exporter_is_data_broker": False},
                "data": [{"category": "personal.omic.genomic", "individuals": 5000, "anonymised": False}],
            }
        )

    unstated = engine.decide(home())
    assert unstated.verdict.value == "allow"
    (assumed,) = [a for a in unstated.assumptions if a.fact == "recipient.us_person"]
    assert assumed.value is True and assumed.source == "presumption US"
    assert engine.decide(home(us_person=False)).verdict.value == "restrict"
    assert not [a for a in engine.decide(home(us_person=True)).assumptions if a.fact == "recipient.us_person"]
