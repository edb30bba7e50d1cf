"""Presumptions the laws make, each listed in the decision with how to override it
(docs/semantics.md, 4a): personal data is identifiable unless anonymisation is claimed (EU,
UK, Japan, Singapore, as China); Chinese data is important data only once notified."""

from __future__ import annotations

import datetime as dt

import pytest

from dataflow_rules import Engine, Policies, Transfer, Verdict

DAY = dt.date(2026, 6, 1)


def _presumed(decision: object) -> dict[str, object]:
    return {a.fact: a for a in decision.assumptions if a.source.startswith("presumption")}  # type: ignore[attr-defined]


def test_data_never_notified_as_important_is_presumed_not_important(engine: Engine) -> None:
    base = {
        "id": "infra",
        "origin": "CN",
        "destination": "US",
        "exporter": {"name": "Example", "ciio": False},
        "recipient": {"name": "R", "type": "company", "controlled_by": "US"},
        "purpose": "economic_analysis",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False},
        "data": [{"category": "infrastructure.operations"}],
    }
    d = engine.decide(Transfer.model_validate(base), DAY)
    assert d.verdict is Verdict.ALLOW
    a = _presumed(d)["context.important_data_identified"]
    assert "Art 2" in a.citations[0].article and "true" in a.override  # type: ignore[attr-defined]
    base["context"] = {**base["context"], "important_data_identified": True}  # type: ignore[dict-item]
    stated = engine.decide(Transfer.model_validate(base), DAY)
    assert stated.verdict is Verdict.RESTRICT and "context.important_data_identified" not in _presumed(stated)


@pytest.mark.parametrize(
    ("origin", "destination", "article"),
    [
        ("DE", "IN", "Recital 26"),
        ("GB", "IN", "Recital 26"),
        ("JP", "US", "Art 2(1)"),
        ("SG", "US", "s.2(1)"),
    ],
)
def test_personal_data_is_presumed_identifiable(
    engine: Engine, origin: str, destination: str, article: str
) -> None:
    t = Transfer.model_validate(
        {
            "id": "p",
            "origin": origin,
            "destination": destination,
            "recipient": {"type": "company"},
            "data": [{"category": "personal.contact"}],
        }
    )
    d = engine.decide(t, DAY)
    a = _presumed(d)["data[0].anonymised"]
    assert a.value is False and article in a.citations[0].article  # type: ignore[attr-defined]
    claimed = t.model_copy(update={"data": [t.data[0].model_copy(update={"anonymised": True})]})
    assert "data[0].anonymised" not in _presumed(engine.decide(claimed, DAY))
    assert engine.decide(claimed, DAY).verdict.rank <= d.verdict.rank


LEG_TRANSFER = {
    "id": "leg",
    "origin": "US",
    "destination": "SG",
    "exporter": {"id": "us-exp", "name": "Example US Co."},
    "recipient": {"id": "sg-co", "type": "company", "controlled_by": "SG", "designated": False},
    "purpose": "business_operations",
    "transaction": "vendor_agreement",
    "data": [{"category": "personal.health", "individuals": 20000, "anonymised": False}],
    "onward": [
        {
            "destination": "CN",
            "recipient": {"id": "us-citizen-cn", "type": "individual", "us_person": True},
            "safeguards": [{"mechanism": "sg.contract", "reference": "SG-TC-2", "obtained": "2025-03-01"}],
        }
    ],
}


def test_the_recipient_presumption_fills_an_onward_legs_own_recipient(engine: Engine) -> None:
    """28 CFR 202.211(a)(5): the leg's U.S. citizen in China, whose designation is unstated,
    is presumed undesignated as the first recipient would be; the assumption names the
    leg's path (the first recipient's designation is stated and presumes nothing)."""
    d = engine.decide(Transfer.model_validate(LEG_TRANSFER), DAY)
    presumed = _presumed(d)
    assert d.verdict is Verdict.ALLOW, [(r.entry_id, r.missing) for r in d.reasons]
    a = presumed["onward[0].recipient.designated"]
    assert a.value is False and "onward[0].recipient.designated: true" in a.override  # type: ignore[attr-defined]
    assert "recipient.designated" not in presumed
    leg = {**LEG_TRANSFER["onward"][0]}  # type: ignore[index]
    leg["recipient"] = {**leg["recipient"], "designated": True}
    stated = engine.decide(Transfer.model_validate({**LEG_TRANSFER, "onward": [leg]}), DAY)
    assert stated.verdict is Verdict.RESTRICT and not any("designated" in f for f in _presumed(stated))


def test_set_fact_sets_an_onward_legs_own_recipient_only() -> None:
    from dataflow_rules.engine.presume import set_fact

    t = Transfer.model_validate({**LEG_TRANSFER, "recipient": {"id": "sg-co", "type": "company"}})
    done = set_fact(t, "onward[0].recipient.designated", False)
    assert done.onward[0].recipient.designated is False
    assert done.recipient.designated is None and t.onward[0].recipient.designated is None
    assert set_fact(t, "onward[0].exporter.ciio", True).onward[0].exporter.ciio is True


def test_a_hop_names_only_the_legs_own_facts_by_the_legs_path(policies: Policies) -> None:
    """The leg's recipient is its own on both of its hops; its exporter only on its own hop
    (the origin's export rules read the origin's exporter); inherited facts keep their path."""
    from dataflow_rules.engine.legs import onward_hops

    own, reach = onward_hops(policies, Transfer.model_validate(LEG_TRANSFER))
    assert not own.outbound_only and reach.outbound_only
    assert (
        own.path("recipient.designated")
        == reach.path("recipient.designated")
        == "onward[0].recipient.designated"
    )
    assert (
        own.path("exporter.ciio") == "onward[0].exporter.ciio"
        and reach.path("exporter.ciio") == "exporter.ciio"
    )
    for inherited in ("context.onward_brokerage_barred", "transaction", "purpose", "data[0].anonymised"):
        assert own.path(inherited) == reach.path(inherited) == inherited
