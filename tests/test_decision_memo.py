"""The per-decision memo (engine/engine.py ``_Memo``): branches of one decision share what
they do not change.

Presumptions, case analysis and the purposes of a bound re-decide a transfer with one fact
set; a side whose plan does not read that fact keeps its evaluation (and its reasons), and
a total whose items did not change keeps its tally. That is only sound if the keys
(:func:`facts.side_key`, :func:`facts.counts_key`) cover everything a side and a total
read: every decision must be the one made with no sharing at all. A key that leaves out
something read must be caught (the last test plants one).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer
from dataflow_rules.engine import engine as engine_module
from dataflow_rules.engine import facts as facts_module
from dataflow_rules.facts_file import read_facts
from dataflow_rules.models.facts import Facts
from dataflow_rules.models.policies import Policies
from dataflow_rules.workbench.corpus import generate_corpus

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "examples" / "realistic" / "cn-shop" / "dataflow-rules.yaml"
"""A facts file stating a volume and excluded purposes: bounds, presumptions, totals."""


@pytest.fixture(scope="module")
def transfers(policies: Policies) -> list[Transfer]:
    return [Transfer.model_validate_json(line) for line in generate_corpus(policies.taxonomy, 400, seed=11)]


@pytest.fixture(scope="module")
def facts(policies: Policies) -> Facts:
    found = read_facts(FACTS, categories=set(policies.taxonomy.categories))
    assert found is not None and found.volume
    return found


def _decisions(engine: Engine, transfers: list[Transfer], facts: Facts | None) -> list[str]:
    return [engine.decide(t, facts=facts).model_dump_json() for t in transfers]


def _unshared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys that never match: every branch evaluates every side and counts every total."""
    fresh: Iterator[int] = count()
    monkeypatch.setattr(engine_module, "side_key", lambda *a: (next(fresh),))
    monkeypatch.setattr(facts_module, "counts_key", lambda *a: (next(fresh),))


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the sides evaluated from their facts (side_base calls)."""
    seen = [0]
    real = engine_module.side_base

    def counted(*args: Any) -> Any:
        seen[0] += 1
        return real(*args)

    monkeypatch.setattr(engine_module, "side_base", counted)
    return seen


@pytest.mark.parametrize("with_facts", [False, True], ids=["stated", "facts-file"])
def test_shared_branches_decide_as_unshared(
    policies: Policies,
    transfers: list[Transfer],
    facts: Facts,
    with_facts: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = facts if with_facts else None
    engine = Engine(policies)
    try:
        shared_calls = _calls(monkeypatch)
        shared = _decisions(engine, transfers, given)
        monkeypatch.undo()
        _unshared(monkeypatch)
        unshared_calls = _calls(monkeypatch)
        unshared = _decisions(engine, transfers, given)
    finally:
        engine.close()
    assert shared == unshared
    # Not vacuous: the corpus has branches, and some of them shared a side.
    assert shared_calls[0] < unshared_calls[0]


def test_a_key_missing_a_read_fact_is_caught(
    policies: Policies, transfers: list[Transfer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A side key leaving out the context facts (which the CN presumption and case analysis
    set) shares a side a branch changed: the comparison above must see it."""
    engine = Engine(policies)
    try:
        expected = _decisions(engine, transfers, None)
        real = facts_module.side_key

        def forgetful(plan: Any, transfer: Transfer, *rest: Any) -> tuple[Any, ...]:
            return real(plan, transfer.model_copy(update={"context": {}}), *rest)

        monkeypatch.setattr(engine_module, "side_key", forgetful)
        wrong = _decisions(engine, transfers, None)
    finally:
        engine.close()
    assert wrong != expected
