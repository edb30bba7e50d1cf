"""batch/vocabulary.py's shortcut agrees with ``check_references`` on every field it reads.

``Vocabulary.clean`` may say "clean" only where ``check_references`` finds nothing: a
wrong "clean" would let a line with an unknown word be decided instead of refused.
Each reference field is set, alone and in random combinations, to a known word and to
an unknown one, and both checks must agree.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from dataflow_rules.batch.records import read_line
from dataflow_rules.batch.vocabulary import Vocabulary
from dataflow_rules.catalogues import load_policies
from dataflow_rules.errors import InputError
from dataflow_rules.loading import Document
from dataflow_rules.models.policies import Policies
from dataflow_rules.models.transfer import Transfer
from dataflow_rules.transfers import Located, check_references
from dataflow_rules.workbench.corpus import generate_corpus

Edit = Callable[[dict[str, Any], bool], None]


@pytest.fixture(scope="module")
def policies() -> Policies:
    return load_policies(None)


def _first(known: object) -> str:
    return sorted(known)[0]  # type: ignore[call-overload, no-any-return]


def _edits(p: Policies) -> dict[str, Edit]:
    """Field name -> a function setting that field to a known (False) or unknown (True) word."""
    tax = p.taxonomy
    cat, purpose = _first(tax.categories), _first(tax.purposes)
    mech, measure = _first(tax.mechanisms), _first(tax.security_measures)
    fact = _first(p.context_facts())

    def pick(known: str, bad: bool) -> str:
        return "zz_unknown_word" if bad else known

    def safeguard(bad_mech: bool, bad_scope: bool | None = None, expired: bool = False) -> dict[str, Any]:
        sg: dict[str, Any] = {
            "mechanism": pick(mech, bad_mech),
            "reference": "R-1",
            "obtained": "2026-01-10",
        }
        if expired:
            sg["expires"] = "2026-01-01"
        if bad_scope is not None:
            sg["scope"] = {"categories": [cat, pick(cat, bad_scope)]}
        return sg

    def onward(t: dict[str, Any], key: str, value: Any) -> None:
        legs = t.setdefault("onward", [{"destination": "JP"}])
        legs[0][key] = value

    return {
        "data.category": lambda t, bad: t["data"][-1].update(category=pick(cat, bad)),
        "purpose": lambda t, bad: t.update(purpose=pick(purpose, bad)),
        "purpose_bound": lambda t, bad: (
            t.pop("purpose", None),
            t.update(purpose_bound={"purposes": [purpose, pick(purpose, bad)], "source": "s"}),
        ),
        "transaction": lambda t, bad: t.update(transaction=pick(_first(tax.transactions), bad)),
        "recipient.type": lambda t, bad: t.setdefault("recipient", {}).update(
            type=pick(_first(tax.recipient_types), bad)
        ),
        "safeguards.mechanism": lambda t, bad: t.setdefault("safeguards", []).append(safeguard(bad)),
        "safeguards.scope": lambda t, bad: t.setdefault("safeguards", []).append(safeguard(False, bad)),
        "safeguards.expires": lambda t, bad: t.setdefault("safeguards", []).append(
            safeguard(False, None, expired=bad)
        ),
        "security": lambda t, bad: t.setdefault("security", {}).update({pick(measure, bad): True}),
        "context": lambda t, bad: t.setdefault("context", {}).update({pick(fact, bad): True}),
        "exporter.zone": lambda t, bad: (
            t.update(origin="CN" if not bad else t["origin"]),
            t.setdefault("exporter", {}).update(zone="cn.ftz.tianjin" if not bad else "zz.zone"),
        ),
        "exporter.zone.elsewhere": lambda t, bad: (
            t.update(origin="JP" if bad else "CN", destination="US"),
            t.setdefault("exporter", {}).update(zone="cn.ftz.tianjin"),
        ),
        "onward.purpose": lambda t, bad: onward(t, "purpose", pick(purpose, bad)),
        "onward.transaction": lambda t, bad: onward(t, "transaction", pick(_first(tax.transactions), bad)),
        "onward.recipient.type": lambda t, bad: onward(
            t, "recipient", {"type": pick(_first(tax.recipient_types), bad)}
        ),
        "onward.safeguards": lambda t, bad: onward(t, "safeguards", [safeguard(bad)]),
        "onward.context": lambda t, bad: onward(t, "context", {pick(fact, bad): True}),
    }


def _references_ok(transfer: Transfer, p: Policies) -> bool:
    try:
        check_references(Located(transfer, Document("t", None), ()), p)
    except InputError:
        return False
    return True


def _base(p: Policies, n: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in generate_corpus(p.taxonomy, n, seed=7)]


def test_each_field_alone_known_and_unknown(policies: Policies) -> None:
    vocabulary = Vocabulary.of(policies)
    for name, edit in _edits(policies).items():
        for bad in (False, True):
            value = _base(policies, 1)[0]
            edit(value, bad)
            transfer = Transfer.model_validate(value)
            ok = _references_ok(transfer, policies)
            assert ok is (not bad), f"{name} bad={bad}: the fixture does not do what it says"
            assert vocabulary.clean(transfer) is ok, f"{name} bad={bad}"


def test_random_combinations_agree(policies: Policies) -> None:
    vocabulary = Vocabulary.of(policies)
    edits = list(_edits(policies).values())
    rng = random.Random(3)
    seen = {True: 0, False: 0}
    for value in _base(policies, 600):
        value = copy.deepcopy(value)
        for edit in rng.sample(edits, rng.randint(0, 4)):
            edit(value, rng.random() < 0.2)
        transfer = Transfer.model_validate(value)
        ok = _references_ok(transfer, policies)
        seen[ok] += 1
        assert vocabulary.clean(transfer) is ok, value
    assert seen[True] > 50 and seen[False] > 50


def test_read_line_refuses_alike_with_and_without_a_vocabulary(policies: Policies) -> None:
    vocabulary = Vocabulary.of(policies)
    edits = _edits(policies)
    for name, edit in edits.items():
        value = _base(policies, 1)[0]
        edit(value, True)
        raw = json.dumps(value).encode()
        with pytest.raises(InputError) as plain:
            read_line(raw, "in.jsonl", 4, policies)
        with pytest.raises(InputError) as fast:
            read_line(raw, "in.jsonl", 4, policies, vocabulary)
        assert fast.value.one_line() == plain.value.one_line(), name


def _read_line_as_it_was(raw: bytes, source: str, line: int, p: Policies) -> Transfer:
    """read_line before the shortcuts: the document made first, validate, check_references."""
    from dataflow_rules.batch.records import parse_line
    from dataflow_rules.errors import DataflowRulesError, Location
    from dataflow_rules.validation import validate

    value = parse_line(raw, source, line)
    document = Document(source, value, {(): (line, 1)})
    try:
        transfer = validate(Transfer, document, InputError, value)
        check_references(Located(transfer, document, ()), p)
    except DataflowRulesError as exc:
        field = exc.location.field if exc.location else None
        raise type(exc)(exc.message, Location(source, line, None, field)) from None
    return transfer


SCHEMA_FAULTS: list[Callable[[dict[str, Any]], None]] = [
    lambda t: t.update(data=[]),
    lambda t: t.update(data="oops"),
    lambda t: t["data"][0].update(individuals=-1),
    lambda t: t["data"][0].update(individuals="many"),
    lambda t: t.update(origin="ZZ"),
    lambda t: t.update(date="2026-13-01"),
    lambda t: t.update(date=0),
    lambda t: t.update(id="bad id"),
    lambda t: t.pop("id"),
    lambda t: t.update(surplus=1),
    lambda t: t.setdefault("exporter", {}).update(ciio="yes"),
    lambda t: t.update(purpose="Scientific Research"),
    lambda t: t.update(safeguards=[{"mechanism": "x"}]),
]


def test_read_line_reads_and_refuses_as_it_did(policies: Policies) -> None:
    """The line path after its shortcuts (document made only on a fault, the vocabulary)
    against the path as it was, on clean lines, schema faults and unknown words."""
    vocabulary = Vocabulary.of(policies)
    rng = random.Random(5)
    edits = list(_edits(policies).values())
    cases = 0
    for value in _base(policies, 300):
        if rng.random() < 0.4:
            rng.choice(edits)(value, rng.random() < 0.5)
        if rng.random() < 0.4:
            rng.choice(SCHEMA_FAULTS)(value)
        raw = json.dumps(value).encode()
        outcomes = []
        for read, words in ((_read_line_as_it_was, None), (read_line, None), (read_line, vocabulary)):
            try:
                args = (raw, "in.jsonl", 9, policies) + ((words,) if words else ())
                outcomes.append(("ok", read(*args).model_dump_json()))
            except InputError as exc:
                outcomes.append(("error", exc.one_line()))
        assert outcomes[0] == outcomes[1] == outcomes[2], value
        cases += outcomes[0][0] == "error"
    assert 50 < cases < 250
