"""The side key (engine/facts.py ``side_key``) is complete: two transfers with the same key
for a plan evaluate that side alike.

The per-decision memo (engine/engine.py ``_Memo``) gives a branch an earlier branch's side
evaluation (firings, tallies, and the reasons written from them) when their keys are equal;
a cache of side evaluations shared across decisions would rest on the same key. Each
transfer below is perturbed in every field a side can read, one at a time, and each side
whose key stays the same must give the same firings, tallies and reasons
(tests/test_decision_memo.py holds whole decisions with and without sharing equal; this
holds each side, field by field). A key that leaves out a fact a rule reads must be caught
(the last test plants seven).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from dataflow_rules import Engine, Transfer
from dataflow_rules.engine import facts as facts_module
from dataflow_rules.engine.decide import SideResult, _side_reasons
from dataflow_rules.engine.facts import side_key
from dataflow_rules.models.policies import Policies
from dataflow_rules.models.transfer import Safeguard
from dataflow_rules.workbench.corpus import generate_corpus

DAY = dt.date(2026, 6, 1)


def _copy(model: Any, **update: Any) -> Any:
    return model.model_copy(update=update)


def _item(t: Transfer, i: int, **update: Any) -> Transfer:
    data = list(t.data)
    data[i] = _copy(data[i], **update)
    return _copy(t, data=data)


def _perturbations(policies: Policies, t: Transfer) -> Iterator[tuple[str, Transfer]]:
    """The transfer with one field changed, for every field a side can read (and a few it
    cannot: pseudonymised, description)."""
    tax = policies.taxonomy
    for name, values in {
        "id": ["X1", None],
        "name": ["Example Exporter", None],
        "ciio": [True, False, None],
        "zone": [None],
    }.items():
        for v in values:
            yield f"exporter.{name}={v}", _copy(t, exporter=_copy(t.exporter, **{name: v}))
    for name, values in {
        "id": ["R1", None],
        "name": ["Example Recipient", None],
        "type": [None, *sorted(tax.recipient_types)[:4]],
        "affiliate": [True, False, None],
        "controlled_by": [None, "CN", "US", "DE"],
        "designated": [True, False, None],
        "us_person": [True, False, None],
    }.items():
        for v in values:
            yield f"recipient.{name}={v}", _copy(t, recipient=_copy(t.recipient, **{name: v}))
    for v in [None, *sorted(tax.purposes)[:5]]:
        yield f"purpose={v}", _copy(t, purpose=v)
    for v in [None, *sorted(tax.transactions)[:3]]:
        yield f"transaction={v}", _copy(t, transaction=v)
    for v in [None, "controller", "processor", "data_subject"]:
        yield f"roles.discloser={v}", _copy(t, roles=_copy(t.roles, discloser=v))
    for v in [None, "other_party", "same_entity"]:
        yield f"roles.recipient={v}", _copy(t, roles=_copy(t.roles, recipient=v))
    for v in [None, "impinged", "not_impinged"]:
        yield f"tia={v}", _copy(t, impact_assessment=_copy(t.impact_assessment, outcome=v))
    facts = sorted({f for loaded in policies.catalogues.values() for f in loaded.catalogue.context_facts})
    for f in facts:
        for b in (True, False):
            yield f"context.{f}={b}", _copy(t, context={**t.context, f: b})
        yield f"context.{f} unset", _copy(t, context={k: v for k, v in t.context.items() if k != f})
    for m in sorted(tax.security_measures):
        for b in (True, False):
            yield f"security.{m}={b}", _copy(t, security={**t.security, m: b})
    yield (
        "safeguard",
        _copy(
            t,
            safeguards=[
                *t.safeguards,
                Safeguard(mechanism=sorted(tax.mechanisms)[0], reference="S-1", obtained=dt.date(2025, 1, 1)),
            ],
        ),
    )
    for i, item in enumerate(t.data):
        for v in [True, False, None]:
            yield f"data[{i}].anonymised={v}", _item(t, i, anonymised=v)
        for unit in ("individuals", "records", "devices"):
            for n in [None, 0, 1, 9_999, 10_000, 100_000, 1_000_001]:
                yield f"data[{i}].{unit}={n}", _item(t, i, **{unit: n})
        for b in [True, False, None]:
            yield f"data[{i}].bulk={b}", _item(t, i, bulk=b)
        for p in ["people", None]:
            yield f"data[{i}].population={p}", _item(t, i, population=p)
        yield f"data[{i}].pseudonymised", _item(t, i, pseudonymised=not item.pseudonymised)
        yield f"data[{i}].description", _item(t, i, description="changed")
        for c in ("personal", "personal.health", "personal.financial", "business"):
            if c in tax.categories:
                yield f"data[{i}].category={c}", _item(t, i, category=c)
    yield "origin", _copy(t, origin="JP" if t.origin != "JP" else "SG")
    yield "destination", _copy(t, destination="IN" if t.destination != "IN" else "SG")


def _evaluation(engine: Engine, plan: Any, key: Any, t: Transfer, day: dt.date) -> Any:
    """A side evaluated afresh (no memo), as far as the engine reads it afterwards: which
    rule fired on which item with which missing facts, each total, and the reasons."""
    result: SideResult = engine._evaluate(plan, key, t, day, ())
    firings = sorted(
        (f.rule.kind, f.rule.index, f.rule.category or "", f.item, f.missing(result.tallies))
        for f in result.firings
    )
    tallies = sorted((prefix, repr(tally)) for prefix, tally in result.tallies.items())
    reasons = [(pos, r.model_dump_json()) for pos, r in _side_reasons(engine.policies, t, result, day)]
    return firings, tallies, reasons


def _violations(engine: Engine, transfers: list[Transfer], first: bool = False) -> tuple[list[str], int, int]:
    """Perturbations that kept a side's key but changed its evaluation (``first``: stop at
    the first); how many kept the key, how many changed it."""
    policies = engine.policies
    wrong: list[str] = []
    same = changed = 0
    for t in transfers:
        for day in (DAY, dt.date(2024, 3, 1)):
            for label, other in [("as_of", t), *_perturbations(policies, t)]:
                other_day = day + dt.timedelta(days=200) if label == "as_of" else day
                stops_a = engine._route(t.origin, t.destination, t.exporter.zone, False)[1]
                stops_b = engine._route(other.origin, other.destination, other.exporter.zone, False)[1]
                for (_, _, read_a), (_, _, read_b) in zip(stops_a, stops_b, strict=False):
                    if read_a is None or read_b is None or read_a[0] != read_b[0]:
                        continue
                    plan_key, plan = read_a
                    if side_key(plan, t, day, ()) != side_key(plan, other, other_day, ()):
                        changed += 1
                        continue
                    same += 1
                    if _evaluation(engine, plan, plan_key, t, day) != _evaluation(
                        engine, plan, plan_key, other, other_day
                    ):
                        wrong.append(f"{t.id} {plan_key} {label} as of {day}")
                        if first:
                            return wrong, same, changed
    return wrong, same, changed


@pytest.fixture(scope="module")
def transfers(policies: Policies) -> list[Transfer]:
    return [Transfer.model_validate_json(line) for line in generate_corpus(policies.taxonomy, 40, seed=5)]


def test_an_unchanged_side_key_means_an_unchanged_side(engine: Engine, transfers: list[Transfer]) -> None:
    wrong, same, changed = _violations(engine, transfers)
    assert not wrong, wrong[:20]
    # Not vacuous: many perturbations keep a side's key (the plan does not read the field),
    # many change it.
    assert same > 500 and changed > 500, (same, changed)


_FORGOTTEN = {
    "exporter.ciio": lambda t: t.model_copy(
        update={"exporter": t.exporter.model_copy(update={"ciio": None})}
    ),
    "recipient.affiliate": lambda t: t.model_copy(
        update={"recipient": t.recipient.model_copy(update={"affiliate": None})}
    ),
    "recipient.designated": lambda t: t.model_copy(
        update={"recipient": t.recipient.model_copy(update={"designated": None})}
    ),
    "recipient.us_person": lambda t: t.model_copy(
        update={"recipient": t.recipient.model_copy(update={"us_person": None})}
    ),
    "context": lambda t: t.model_copy(update={"context": {}}),
    "security": lambda t: t.model_copy(update={"security": {}}),
    "purpose": lambda t: t.model_copy(update={"purpose": None}),
}
"""Planted omissions: a key made as if the transfer did not state one fact."""


@pytest.mark.parametrize("left_out", sorted(_FORGOTTEN))
def test_a_key_leaving_out_a_read_fact_is_caught(
    engine: Engine, transfers: list[Transfer], monkeypatch: pytest.MonkeyPatch, left_out: str
) -> None:
    """Planted: a side key that leaves out one fact some shipped plan reads; the check
    above must find sides it wrongly equates."""
    real = facts_module.side_key
    forget = _FORGOTTEN[left_out]

    def forgetful(plan: Any, transfer: Transfer, *rest: Any) -> tuple[Any, ...]:
        return real(plan, forget(transfer), *rest)

    monkeypatch.setattr(sys.modules[__name__], "side_key", forgetful)
    wrong, _, _ = _violations(engine, transfers, first=True)
    assert wrong
