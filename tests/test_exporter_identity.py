"""Whom a count is per (engine/counting.py): a prior is the same exporter when the ids are
equal or, where either lacks an id, the normalised names are equal. Keyed by id-else-name,
a transfer with ``exporter.id`` and one with only the same ``exporter.name`` were two
exporters, and China's 100,000 a year (2024 Provisions Arts 5(4), 8) split in two."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer, Verdict
from dataflow_rules.engine.counting import Ledger

DAY = dt.date(2026, 3, 2)


def cn_contacts(ident: str, exporter: dict[str, Any]) -> Transfer:
    """60,000 people's contact data to a US company: exempt alone (2024 Provisions Art
    5(4)), 120,000 with another in the year needs a standard contract (Art 8)."""
    return Transfer.model_validate(
        {
            "id": ident,
            "origin": "CN",
            "destination": "US",
            "date": DAY.isoformat(),
            "exporter": {**exporter, "ciio": False},
            "recipient": {"name": "Example US Co.", "type": "company", "controlled_by": "US"},
            "purpose": "marketing",
            "transaction": "vendor_agreement",
            "context": {"exporter_automotive_data_processor": False},
            "data": [{"category": "personal.contact", "individuals": 60_000, "anonymised": False}],
        }
    )


def _second(engine: Engine, first: dict[str, Any], second: dict[str, Any]) -> Verdict:
    """The second transfer's verdict, counted with the first (60,000 + 60,000 people)."""
    ledger = Ledger()
    ledger.add_transfer(cn_contacts("t1", first), "t1", DAY)
    later = cn_contacts("t2", second)
    return engine.decide(later, DAY, prior=ledger.prior(later)).verdict


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"id": "cn-exp", "name": "Example CN Retailer"}, {"name": "example  CN retailer"}),
        ({"name": "Example CN Retailer"}, {"id": "cn-exp", "name": "Example CN Retailer"}),
        ({"id": "cn-exp", "name": "Example CN Retailer"}, {"id": "CN-EXP", "name": "Another Name"}),
        ({"name": "Example CN Retailer"}, {"name": "EXAMPLE CN RETAILER"}),
    ],
    ids=["id_then_name_only", "name_only_then_id", "same_id_other_name", "names_only"],
)
def test_the_same_exporter_is_counted_together(
    engine: Engine, first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert _second(engine, first, second) is Verdict.RESTRICT


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            {"id": "cn-exp-1", "name": "Example CN Retailer"},
            {"id": "cn-exp-2", "name": "Example CN Retailer"},
        ),
        ({"id": "cn-exp", "name": "Example CN Retailer"}, {"name": "Another Retailer"}),
    ],
    ids=["two_ids_one_name", "id_and_another_name"],
)
def test_different_exporters_are_not(engine: Engine, first: dict[str, Any], second: dict[str, Any]) -> None:
    """Two ids are two exporters whatever their names; a name-only transfer of another name
    is another exporter: each 60,000 alone is under 100,000."""
    assert _second(engine, first, second) is Verdict.ALLOW


def test_the_reason_names_the_prior_counted(engine: Engine) -> None:
    ledger = Ledger()
    ledger.add_transfer(cn_contacts("t1", {"id": "cn-exp", "name": "Example CN Retailer"}), "record 1", DAY)
    later = cn_contacts("t2", {"name": "Example CN Retailer"})
    decision = engine.decide(later, DAY, prior=ledger.prior(later))
    (reason,) = [r for r in decision.reasons if r.entry_id == "cn.pi.general.contract"]
    assert reason.counted_with == ["record 1"]
