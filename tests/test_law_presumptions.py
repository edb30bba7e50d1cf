"""Presumptions the laws make, each listed in the decision with how to override it
(docs/semantics.md, 4a): personal data is identifiable unless anonymisation is claimed (EU,
UK, Japan, Singapore, as China); Chinese data is important data only once notified."""

from __future__ import annotations

import datetime as dt

import pytest

from dataflow_rules import Engine, Transfer, Verdict

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
