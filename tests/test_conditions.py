"""The explicit condition form (engine/compile.py) is the one description of every rule:
the durable-rules JSON is generated from it, its declared handling of an unstated fact
matches its encoding, and every rule of the shipped catalogues is one of the four roles."""

from __future__ import annotations

import pytest

from dataflow_rules import Policies
from dataflow_rules.engine.compile import UNKNOWN, Condition, compile_policies


def test_every_ruleset_condition_is_generated_from_the_explicit_form(policies: Policies) -> None:
    plans = compile_policies(policies)
    assert plans
    for plan in plans.values():
        for name, rule in plan.rules.items():
            assert plan.conditions[name] == rule.json()
            assert rule.role in ("designation", "exemption", "lane")
            assert rule.entry_id
            for c in rule.conditions:
                # Designations let an unstated fact through (missing-fact review); exemptions
                # and lanes never fire on one.
                assert c.unknown == ("holds" if rule.role == "designation" else "fails"), (rule, c)


def test_an_encoding_that_contradicts_what_an_unstated_fact_does_is_refused() -> None:
    # "!= 0" lets the unstated value 2 through: it cannot be declared to fail.
    with pytest.raises(ValueError, match="contradicts"):
        Condition("anonymised", "anon", "!=", 0, unknown="fails", open=(("anon", "x", frozenset({UNKNOWN})),))
    ok = Condition(
        "anonymised", "anon", "==", 1, unknown="fails", open=(("anon", "x", frozenset({UNKNOWN})),)
    )
    assert ok.terms() == [{"anon": 1}]
    assert not ok.compare(UNKNOWN) and ok.compare(1) and not ok.compare(None)


def test_between_is_two_terms() -> None:
    c = Condition("counterparty", "p0", "between", 1, upper=2, unknown="fails")
    assert c.terms() == [{"$gte": {"p0": 1}}, {"$lte": {"p0": 2}}]
    assert [c.compare(v) for v in range(6)] == [False, True, True, False, False, False]
