"""Issue 18: whether a flow is a transfer at all, supplementary measures, the DPF question.

The regulators' worked examples are cases in policies-tests/eu_regulators_test.yaml and
gb_regulators_test.yaml (run by tests/workbench/test_suites.py); this file states the rules
behind them over every combination, so a catalogue edit that lets one slip fails here.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules import Engine, Policies, Transfer, Verdict, read_transfers
from dataflow_rules.errors import InputError

SAFEGUARDS = {"EU": ("DE", "eu.scc", "eu.bcr"), "GB": ("GB", "uk.idta", "uk.bcr")}
OUTCOMES = (None, "not_impinged", "impinged")
MEASURE = (None, False, True)


def _t(origin: str, destination: str, **extra: Any) -> Transfer:
    body: dict[str, Any] = {
        "id": f"{origin}-{destination}",
        "origin": origin,
        "destination": destination,
        "date": "2026-03-02",
        "purpose": "business_operations",
        "recipient": {"type": "company"},
        "data": [{"category": "personal.contact", "individuals": 5000, "anonymised": False}],
    }
    body.update(extra)
    return Transfer.model_validate(body)


def _origin_reasons(engine: Engine, t: Transfer) -> list[Any]:
    return [r for r in engine.decide(t).reasons if r.side == "outbound"]


@pytest.mark.parametrize("jurisdiction", sorted(SAFEGUARDS))
@pytest.mark.parametrize("destination", ["CN", "SG", "US"])
def test_a_safeguard_is_relied_on_only_with_an_assessment(
    engine: Engine, jurisdiction: str, destination: str
) -> None:
    """Allow exactly when the assessment found nothing impinging or an effective measure is
    in place; restrict when it found the law impinges and both measures are absent; every
    other combination is review. Never allow on an unstated or failed assessment."""
    origin, *mechanisms = SAFEGUARDS[jurisdiction]
    cert = "recipient_eu_us_dpf_certified" if jurisdiction == "EU" else "recipient_uk_extension_certified"
    for mechanism, outcome, keys, pseudo in itertools.product(mechanisms, OUTCOMES, MEASURE, MEASURE):
        security = {
            k: v
            for k, v in (("encryption_exporter_held_keys", keys), ("pseudonymisation_key_retained", pseudo))
            if v is not None
        }
        t = _t(
            origin,
            destination,
            safeguards=[{"mechanism": mechanism, "reference": "S-1", "obtained": "2025-01-01"}],
            impact_assessment={"outcome": outcome} if outcome else {},
            security=security,
            context={cert: False} if destination == "US" else {},
            # Binding corporate rules bind the group's members only (Art 4(20), 47(1)(a)).
            recipient={"type": "company", "affiliate": mechanism.endswith(".bcr")},
        )
        verdict = engine.decide(t).verdict
        effective = keys is True or pseudo is True
        if outcome == "not_impinged" or effective:
            expected = Verdict.ALLOW
        elif outcome == "impinged" and keys is False and pseudo is False:
            expected = Verdict.RESTRICT
        else:
            expected = Verdict.REVIEW
        assert verdict is expected, (mechanism, outcome, keys, pseudo, verdict)


@pytest.mark.parametrize("origin", ["DE", "GB"])
def test_unstated_assessment_is_review_naming_it(engine: Engine, origin: str) -> None:
    mechanism = "eu.scc" if origin == "DE" else "uk.idta"
    t = _t(origin, "CN", safeguards=[{"mechanism": mechanism, "reference": "S-1", "obtained": "2025-01-01"}])
    decision = engine.decide(t)
    assert decision.verdict is Verdict.REVIEW
    (reason,) = [r for r in decision.reasons if r.kind == "missing_fact"]
    assert reason.entry_id.endswith(".transfer.supplementary_measures")
    assert "impact_assessment.outcome" in reason.missing


def test_eu_and_uk_differ_on_a_processor_returning_data_to_its_controller(engine: Engine) -> None:
    roles = {"discloser": "processor", "recipient": "exporters_controller"}
    eu = engine.decide(_t("IE", "SG", roles=roles))
    uk = engine.decide(_t("GB", "SG", roles=roles))
    assert eu.verdict is Verdict.RESTRICT  # EDPB Guidelines 05/2021 v1.0, Example 3
    assert uk.verdict is Verdict.ALLOW  # ICO guidance, January 2026
    assert [r.entry_id for r in uk.reasons if r.kind == "exemption"] == [
        "uk.exempt.not_restricted.processor_to_controller"
    ]
    # The same roles the other way round are no exemption in either: a controller sending
    # to a processor abroad is a transfer.
    other = {"discloser": "controller", "recipient": "other_party"}
    for origin in ("IE", "GB"):
        assert engine.decide(_t(origin, "SG", roles=other)).verdict is Verdict.RESTRICT


@pytest.mark.parametrize("origin", ["FR", "GB"])
@pytest.mark.parametrize(
    "roles",
    [
        {"discloser": "data_subject"},
        {"discloser": "controller", "recipient": "exporters_employee"},
        {"recipient": "same_entity"},
    ],
)
def test_not_a_transfer_clears_chapter_v_but_only_when_stated(
    engine: Engine, origin: str, roles: dict[str, str]
) -> None:
    assert engine.decide(_t(origin, "SG")).verdict is Verdict.RESTRICT
    decision = engine.decide(_t(origin, "SG", roles=roles))
    assert decision.verdict is Verdict.ALLOW
    # Nothing stands on the origin's side: one exemption cleared it all and decides it
    # (no "nothing restricts this data" default beside it).
    assert [r.kind for r in _origin_reasons(engine, _t(origin, "SG", roles=roles))] == ["exemption"]


def test_not_a_transfer_leaves_the_art9_question(engine: Engine) -> None:
    t = _t(
        "DE",
        "SG",
        roles={"discloser": "data_subject"},
        data=[{"category": "personal.health", "individuals": 1, "anonymised": False}],
    )
    decision = engine.decide(t)
    assert decision.verdict is Verdict.REVIEW
    assert "eu.special_categories" in [r.entry_id for r in decision.reasons if r.kind == "entry"]


@pytest.mark.parametrize(
    ("origin", "fact"),
    [("DE", "context.recipient_eu_us_dpf_certified"), ("GB", "context.recipient_uk_extension_certified")],
)
def test_the_certification_question_is_asked_only_of_organisations(
    engine: Engine, origin: str, fact: str
) -> None:
    person = engine.decide(_t(origin, "US", recipient={"type": "individual"}))
    assert person.verdict is Verdict.RESTRICT
    assert all(fact not in r.missing for r in person.reasons)
    company = engine.decide(_t(origin, "US", recipient={"type": "company"}))
    assert company.verdict is Verdict.REVIEW
    assert any(fact in r.missing for r in company.reasons)
    certified = engine.decide(_t(origin, "US", context={fact.split(".", 1)[1]: True}, recipient={}))
    assert certified.verdict is Verdict.ALLOW


def test_ordinary_personal_data_asks_no_art9_question(engine: Engine) -> None:
    broad = engine.decide(_t("DE", "JP", data=[{"category": "personal", "anonymised": False}]))
    assert broad.verdict is Verdict.REVIEW
    # Art 9 and Art 10 each ask (eu.special_categories, eu.criminal_offence_data since s10).
    asked = [(r.entry_id, r.missing) for r in broad.reasons if r.kind == "missing_fact"]
    assert asked == [
        ("eu.special_categories", ["data[0].category"]),
        ("eu.criminal_offence_data", ["data[0].category"]),
    ]
    ordinary = engine.decide(_t("DE", "JP", data=[{"category": "personal.ordinary", "anonymised": False}]))
    assert ordinary.verdict is Verdict.ALLOW
    # Chapter V still applies to it: ordinary personal data is personal data.
    assert engine.decide(
        _t("DE", "CN", data=[{"category": "personal.ordinary", "anonymised": False}])
    ).verdict is (Verdict.RESTRICT)


def test_an_onward_legs_roles_are_unknown(engine: Engine) -> None:
    """The data subject's own disclosure to SG is no transfer; the SG recipient's sending
    it on to CN is, as far as the tool knows: the EU's rules following the data are not
    cleared by the first hop's roles."""
    t = _t(
        "DE",
        "SG",
        roles={"discloser": "data_subject"},
        onward=[{"destination": "CN", "recipient": {"type": "company"}}],
    )
    decision = engine.decide(t)
    assert decision.verdict is Verdict.RESTRICT
    onward_eu = [r for r in decision.reasons if r.jurisdiction == "EU" and r.sentence.startswith("Onward")]
    assert "eu.transfer.no_adequacy" in [r.entry_id for r in onward_eu]


@pytest.mark.parametrize(
    ("line", "field", "allowed"),
    [
        ("roles: {discloser: employee}", "roles.discloser", "'data_subject'"),
        ("roles: {recipient: affiliate}", "roles.recipient", "'exporters_employee'"),
        ("impact_assessment: {outcome: failed}", "impact_assessment.outcome", "'impinged'"),
    ],
)
def test_a_bad_role_or_outcome_is_an_input_error_naming_the_field(
    tmp_path: Path, policies: Policies, line: str, field: str, allowed: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(f"id: x\norigin: DE\ndestination: SG\n{line}\ndata: [{{category: personal.contact}}]\n")
    with pytest.raises(InputError) as caught:
        read_transfers(path, policies)
    assert caught.value.exit_code == 5
    assert "t.yaml:4:" in str(caught.value) and field in str(caught.value) and allowed in str(caught.value)
