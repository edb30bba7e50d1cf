"""models/decision.built makes the same object pydantic's validation would, and refuses a
wrong shape: the engine writes its reasons and decisions through it without validation,
so these are what its byte-identical output rests on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dataflow_rules.models.decision import Decision, Reason, SafeguardCheck, Verdict, built


def _reason_values() -> dict[str, Any]:
    return {
        "jurisdiction": "CN",
        "side": "outbound",
        "kind": "missing_fact",
        "verdict": Verdict.REVIEW,
        "entry_id": "cn.x",
        "title": "An entry",
        "items": [0, 2],
        "categories": ["personal.contact", "personal.health"],
        "sentence": "Under the CN outbound rules, ...",
        "missing": ["data[0].individuals"],
    }


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Reason, _reason_values()),
        (
            Reason,
            {
                "jurisdiction": "US",
                "side": "inbound",
                "kind": "default",
                "verdict": Verdict.ALLOW,
                "sentence": "s",
            },
        ),
        (
            SafeguardCheck,
            {
                "mechanism": "cn.standard_contract",
                "reference": "SC-1",
                "obtained": dt.date(2025, 1, 2),
                "expires": None,
                "status": "met",
                "detail": "obtained 2025-01-02, no expiry",
            },
        ),
        (
            Decision,
            {
                "transfer_id": "t1",
                "origin": "CN",
                "destination": "US",
                "verdict": Verdict.REVIEW,
                "as_of": dt.date(2026, 6, 1),
                "reasons": [Reason(**_reason_values())],
                "catalogues": [],
                "conditions": [],
                "expires": None,
                "warnings": [],
            },
        ),
    ],
)
def test_built_is_the_validated_model(model: type[Any], values: dict[str, Any]) -> None:
    made, validated = built(model, dict(values)), model(**values)
    assert made == validated
    assert list(made.__dict__) == list(validated.__dict__)  # field order: repr, dumps
    assert made.model_fields_set == validated.model_fields_set
    assert made.model_dump_json() == validated.model_dump_json()
    assert made.model_dump_json(exclude_unset=True) == validated.model_dump_json(exclude_unset=True)
    if model is SafeguardCheck:  # (a key of the engine's findings; the others hold lists)
        assert hash(made) == hash(validated)


def test_defaults_are_new_lists() -> None:
    """A default list is the field's factory's, one per object, as validation gives."""
    values = {
        "jurisdiction": "US",
        "side": "inbound",
        "kind": "default",
        "verdict": Verdict.ALLOW,
        "sentence": "s",
    }
    a, b = built(Reason, dict(values)), built(Reason, dict(values))
    assert a.items == [] and a.items is not b.items


def test_a_wrong_shape_is_refused() -> None:
    values = _reason_values()
    with pytest.raises(TypeError, match="unknown \\['colour'\\]"):
        built(Reason, {**values, "colour": "red"})
    del values["sentence"]
    with pytest.raises(TypeError, match="missing \\['sentence'\\]"):
        built(Reason, values)
