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
from dataflow_rules.engine.cases import open_facts
from dataflow_rules.facts_file import read_facts
from dataflow_rules.models.decision import Verdict
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


def _worlds(engine: Engine, transfer: Transfer) -> list[Transfer]:
    """The transfer, and each of its open yes/no or choice facts set to every value: the
    branches presumptions and case analysis decide."""
    from dataflow_rules.engine.cases import domain
    from dataflow_rules.engine.presume import set_fact

    out = [transfer]
    first = engine.decide(transfer, resolve=False)
    for fact in open_facts(first):
        for value, _ in domain(engine.policies.taxonomy, fact, transfer) or []:
            out.append(set_fact(transfer, fact, value))
    return out


def test_outline_is_the_written_decisions(policies: Policies, transfers: list[Transfer]) -> None:
    """Case analysis compares its branches by ``_verdict_once`` (no reason written) and
    writes the branches' reasons only when they agree; a decision a presumption replaces
    is read only through its outline (``Engine._resolve``). Each outline must be what the
    written decision says, on every branch, domestic and onward transfers included: the
    verdict, the floor (the strictest reason naming no missing fact and clearing nothing),
    and the missing-fact reasons' jurisdictions and facts in the decision's order."""
    from dataflow_rules import read_transfers

    examples = []
    for path in sorted((ROOT / "examples").glob("**/*.yaml")):
        try:
            examples += [x.transfer for x in read_transfers(path, policies)]
        except Exception:  # not a transfer description (a manifest, a config file)
            continue
    assert any(x.onward for x in examples)
    # Domestic hops: the same country (who-not-where rules read there), and two countries
    # one catalogue covers.
    domestic = [t.model_copy(update={"destination": t.origin}) for t in transfers[:60]]
    domestic += [t.model_copy(update={"origin": "DE", "destination": "FR"}) for t in transfers[60:90]]
    # Before a catalogue's earliest entry: a side's default gives way to review.
    early = [t.model_copy(update={"date": engine_module.dt.date(2021, 6, 1)}) for t in transfers[90:150]]
    engine = Engine(policies)
    try:
        compared = lacked = several = 0
        for transfer in [*transfers, *examples, *domestic, *early]:
            day = transfer.date or engine_module.dt.date.today()
            for world in _worlds(engine, transfer):
                written = engine._decide_once(world, day, ())
                assert engine._verdict_once(world, day, ()) is written.verdict, world.id
                shape = engine._outline(world, day, engine._hops(world, day, (), None, None))
                assert shape.verdict is written.verdict, world.id
                assert shape.floor is Verdict.strictest(
                    [
                        r.verdict
                        for r in written.reasons
                        if r.kind not in ("missing_fact", "exemption", "green_lane")
                    ]
                ), world.id
                assert list(shape.lacking) == [
                    (r.jurisdiction, tuple(r.missing)) for r in written.reasons if r.kind == "missing_fact"
                ], world.id
                assert shape.open_facts == open_facts(written), world.id
                compared += 1
                lacked += bool(shape.lacking)
                several += len(shape.lacking) > 1
    finally:
        engine.close()
    assert compared > len(transfers) + len(examples)  # branches were compared too
    assert lacked and several  # missing facts were compared, and their order


def test_a_side_key_holds_the_counts_key(policies: Policies, transfers: list[Transfer]) -> None:
    """facts.side_key writes counts_key's members out (it is made once per plan a branch
    evaluates): a member added to one and not the other would let a branch share a side
    whose totals it changed."""
    engine = Engine(policies)
    try:
        day = engine_module.dt.date(2026, 6, 1)
        checked = 0
        for transfer in transfers[:50]:
            for plan in engine._relevant_plans(transfer):
                key = facts_module.side_key(plan, transfer, day, ())
                assert key[:8] == facts_module.counts_key(transfer, day, ()), transfer.id
                checked += 1
    finally:
        engine.close()
    assert checked
