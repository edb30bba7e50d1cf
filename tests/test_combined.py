"""US combined data, 28 CFR 202.205(g): a set holding more than one of the categories of
§ 202.205(a)-(f) is bulk where any one category meets the lowest threshold among them
(us.yaml ``combined``; engine/combined.py, counting.combined_set). Edges: one below and at
the lowest threshold ("more than": exactly the number is not bulk)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer, Verdict
from dataflow_rules.catalogues import load_policies
from dataflow_rules.models.catalogue import Catalogue

DAY = dt.date(2026, 6, 1)


def us_genomic(items: list[dict[str, Any]], transaction: str = "vendor_agreement") -> Transfer:
    """A US biobank's data to a CN-controlled lab, the exporter stated not a data broker."""
    return Transfer.model_validate(
        {
            "id": "combined",
            "origin": "US",
            "destination": "CN",
            "exporter": {"id": "us-biobank"},
            "recipient": {"id": "cn-lab", "type": "company", "controlled_by": "CN"},
            "purpose": "scientific_research",
            "transaction": transaction,
            "context": {"exporter_is_data_broker": False},
            "data": items,
        }
    )


def decide(engine: Engine, items: list[dict[str, Any]], **kw: Any) -> Any:
    return engine.decide(us_genomic(items, **kw), DAY)


def standing(decision: Any) -> set[str]:
    return {r.entry_id for r in decision.reasons if r.kind in ("entry", "missing_fact")}


@pytest.mark.parametrize(("health", "verdict"), [(100, Verdict.ALLOW), (101, Verdict.RESTRICT)])
def test_health_beside_genomic_data_is_bulk_above_the_genomic_threshold(
    engine: Engine, health: int, verdict: Verdict
) -> None:
    d = decide(
        engine,
        [
            {"category": "personal.health", "individuals": health},
            {"category": "personal.omic.genomic", "individuals": 50},
        ],
    )
    assert d.verdict is verdict
    if verdict is Verdict.RESTRICT:
        (reason,) = [r for r in d.reasons if r.entry_id == "us.dsp.restricted.coc.health"]
        assert "202.205(g)" in reason.sentence and "personal.omic.genomic" in reason.sentence
        assert reason.items == [0]


@pytest.mark.parametrize(("health", "verdict"), [(1_000, Verdict.ALLOW), (1_001, Verdict.RESTRICT)])
def test_health_beside_geolocation_is_bulk_above_the_devices_threshold(
    engine: Engine, health: int, verdict: Verdict
) -> None:
    d = decide(
        engine,
        [
            {"category": "personal.location.precise", "devices": 10},
            {"category": "personal.health", "individuals": health},
        ],
    )
    assert d.verdict is verdict
    assert ("us.dsp.restricted.coc.health" in standing(d)) is (verdict is Verdict.RESTRICT)
    assert "us.dsp.restricted.coc.geolocation" not in standing(d)  # 10 devices: below even the lowest


def test_health_alone_keeps_its_own_threshold(engine: Engine) -> None:
    assert decide(engine, [{"category": "personal.health", "individuals": 10_000}]).verdict is Verdict.ALLOW
    assert (
        decide(engine, [{"category": "personal.health", "individuals": 10_001}]).verdict is Verdict.RESTRICT
    )
    two = [
        {"category": "personal.health", "individuals": 5_000},
        {"category": "personal.health", "individuals": 4_000},
    ]
    assert decide(engine, two).verdict is Verdict.ALLOW  # one category twice is not combined


def test_two_kinds_of_omic_data_are_one_category(engine: Engine) -> None:
    # Genomic and proteomic data are both human 'omic data, § 202.205(a): not "more than one
    # of the categories"; the 'omic threshold (more than 1,000) stands for the proteomic data.
    d = decide(
        engine,
        [
            {"category": "personal.omic.other", "individuals": 900},
            {"category": "personal.omic.genomic", "individuals": 50},
        ],
    )
    assert d.verdict is Verdict.ALLOW


def test_identifiers_linked_to_financial_data_count_at_the_financial_threshold(engine: Engine) -> None:
    items = [
        {"category": "personal.financial", "individuals": 10},
        {"category": "personal.identifiers", "individuals": 10_001},
    ]
    assert "us.dsp.restricted.coc.identifiers" in standing(decide(engine, items))
    items[1]["individuals"] = 10_000
    assert decide(engine, items).verdict is Verdict.ALLOW


def test_an_unstated_count_in_a_combined_set_is_review_naming_it(engine: Engine) -> None:
    d = engine.decide(
        us_genomic(
            [{"category": "personal.health"}, {"category": "personal.omic.genomic", "individuals": 50}]
        ),
        DAY,
        resolve=False,
    )
    assert d.verdict is Verdict.REVIEW
    assert any("data[0].individuals" in r.missing for r in d.reasons)


def test_brokerage_of_a_combined_set_is_prohibited(engine: Engine) -> None:
    d = decide(
        engine,
        [
            {"category": "personal.financial", "individuals": 500},
            {"category": "personal.omic.genomic", "individuals": 20},
        ],
        transaction="data_brokerage",
    )
    assert "us.dsp.brokerage.coc.financial" in standing(d) and d.verdict is Verdict.RESTRICT


def test_the_declaration_is_law_shaped() -> None:
    us: Catalogue = load_policies(None).catalogues["US"].catalogue
    (combined,) = us.combined
    assert "202.205(g)" in combined.citations[0].article
    assert {c: t.more_than for c, t in combined.thresholds.items()}["personal.omic.genomic"] == 100
