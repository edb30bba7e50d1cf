"""The match memo and the quantised facts behind it (engine/durable.py, engine/engine.py).

``RuleSet.match_body`` remembers which rules a fact's text fires, and the engine writes the
ordered properties of a fact (the as-of day, count totals) as the least value of their
interval among the ruleset's bounds, so that transfers differing only within intervals
share an answer. Both are only sound if the quantised, memoised answer is always the one
durable-rules gives the real fact: that is what these properties check, on every ruleset
the shipped catalogues and generated catalogues compile to.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import Engine, Transfer
from dataflow_rules.catalogues import default_policy_dir, load_policies
from dataflow_rules.engine import durable
from dataflow_rules.engine.engine import _Payload, breakpoints
from dataflow_rules.engine.facts import item_properties, side_base

from .strategies import scenarios


@pytest.fixture(scope="module")
def shipped() -> Any:
    engine = Engine(load_policies(default_policy_dir()))
    yield engine
    engine.close()


def _targets(engine: Engine) -> list[tuple[Any, Any, Any]]:
    """(plan, ruleset, payload) of every ruleset of the engine."""
    out = []
    for key, sets in engine._rulesets.items():
        for ruleset, _ in sets:
            out.append((engine._plans[key], ruleset, engine._payloads[id(ruleset)]))
    return out


def _raw(ruleset: durable.RuleSet, fact: dict[str, int]) -> str:
    """The fact's text as written without quantising: every property as it is."""
    return ",".join(f'"{k}":{fact[k]}' for k in ruleset.reads if k in fact)


def _value(points: tuple[int, ...]) -> st.SearchStrategy[int]:
    """Values at, around and between a property's breakpoints, and far from them."""
    near = st.sampled_from(points).flatmap(lambda b: st.integers(b - 2, b + 2))
    return st.one_of(near, st.integers(-5, 10**10), st.integers(700_000, 760_000))


@st.composite
def _facts(draw: st.DrawFn, payload: _Payload, item_keys: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    points = dict((payload.side_keys[n], p) for n, p in payload.ordered)
    base = {k: draw(_value(points[k])) if k in points else draw(st.integers(0, 5)) for k in payload.side_keys}
    own = {k: draw(st.integers(0, 2)) for k in item_keys if draw(st.booleans())}
    return base, own


def test_breakpoints_cover_every_ordered_comparison(shipped: Engine) -> None:
    """Every property compared by order in a ruleset is quantised by the bounds of every
    condition on it (a property compared by order and by equality keeps both)."""
    for plan, ruleset, payload in _targets(shipped):
        rules = [plan.rules[name] for name in ruleset.rules]
        points = breakpoints(rules)
        for rule in rules:
            for c in rule.conditions:
                if c.op in (">=", "between"):
                    assert c.bound in points[c.fact]
                if c.op == "<=":
                    assert c.bound + 1 in points[c.fact]
        quantised = {payload.side_keys[n] for n, _ in payload.ordered}
        assert quantised <= set(points)
        assert "day" in quantised or not any(c.fact == "day" for r in rules for c in r.conditions)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_quantised_memoised_match_is_the_direct_match(shipped: Engine, data: st.DataObject) -> None:
    """Random facts on a random shipped ruleset: the memoised answer to the quantised text is
    durable-rules' answer to the real fact, asked afresh."""
    targets = [t for t in _targets(shipped) if t[2].side_keys]
    _plan, ruleset, payload = data.draw(st.sampled_from(targets))
    base, own = data.draw(_facts(payload, sorted(payload.item_keys)))
    direct = ruleset.match_direct(_raw(ruleset, {**base, **own}))
    memoised = ruleset.match_body(payload.body(payload.head(base), own))
    assert memoised == direct
    # asked again (now from the memo) it is still the same
    assert ruleset.match_body(payload.body(payload.head(base), own)) == direct


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_generated_catalogues_memoised_facts_fire_as_the_real_ones(scenario: Any) -> None:
    """On generated catalogues and transfers, each item's real fact (unquantised) fires in
    durable-rules exactly the rules the engine's quantised, memoised text fires."""
    policies = scenario.policies()
    engine = Engine(policies)
    try:
        for transfer in scenario.transfers:
            for day in (scenario.as_of, transfer.date or scenario.as_of):
                for key, plan in engine._plans.items():
                    if not plan.rules:
                        continue
                    base, _ = side_base(plan, policies.taxonomy, transfer, day)
                    for item in transfer.data:
                        own = item_properties(plan, policies.taxonomy, item)
                        for ruleset in engine._rulesets_for(key, plan, item.category):
                            payload = engine._payloads[id(ruleset)]
                            text = payload.body(payload.head(base), own)
                            fact = {**base, **own}
                            assert ruleset.match_body(text) == ruleset.match_direct(_raw(ruleset, fact))
    finally:
        engine.close()


def test_memo_is_bounded_and_counts_hits(shipped: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo keeps at most MEMO_SIZE facts (least recently used dropped first) and counts
    what it answered; a dropped fact is asked of the core again, with the same answer."""
    monkeypatch.setattr(durable, "MEMO_SIZE", 3)
    _plan, ruleset, payload = next(t for t in _targets(shipped) if t[2].side_keys)
    ruleset.clear_memo()
    hits, misses = ruleset.hits, ruleset.misses
    base = {k: 0 for k in payload.side_keys}
    texts = []
    for day in (700_000, 730_000, 740_000, 760_000, 800_000):
        base["day"] = day
        texts.append(payload.head(base))
    distinct = list(dict.fromkeys(texts))
    answers = [ruleset.match_body(t) for t in distinct]
    assert len(ruleset._memo) == min(3, len(distinct))
    assert ruleset.misses - misses == len(distinct) and ruleset.hits == hits
    assert ruleset.match_body(distinct[-1]) == answers[-1]
    assert ruleset.hits == hits + 1
    assert [ruleset.match_direct(t) for t in distinct] == answers


def test_memo_keeps_decisions_and_leaves_no_fact(shipped: Engine) -> None:
    """Deciding the same transfers with a warm memo and with every memo emptied gives the
    same decisions, and the core holds no fact afterwards."""
    transfer = Transfer.model_validate(
        {
            "id": "memo",
            "origin": "CN",
            "destination": "US",
            "date": "2026-06-01",
            "purpose": "marketing",
            "exporter": {"ciio": False},
            "recipient": {"type": "company", "controlled_by": "US"},
            "data": [{"category": "personal.contact", "individuals": 150_000, "anonymised": False}],
        }
    )
    first = shipped.decide(transfer)
    for other in (120_000, 150_001, 999_999):
        changed = transfer.model_copy(
            update={"data": [transfer.data[0].model_copy(update={"individuals": other})]}
        )
        warm = shipped.decide(changed)
        for rs in shipped._all():
            rs.clear_memo()
        assert shipped.decide(changed) == warm
    assert shipped.decide(transfer) == first
    assert shipped.stored_facts() == 0


def test_shared_reasons_and_references_follow_their_own_catalogues(tmp_path: Any) -> None:
    """What the engine builds once and shares (default reasons, catalogue references, the
    no-ledger assumption) is kept per loaded catalogue: two versions of the same catalogue
    decided side by side each name their own version and default."""
    import shutil

    changed = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), changed)
    sg = changed / "sg.yaml"
    text = sg.read_text(encoding="utf-8")
    shipped = yaml.safe_load(text)["version"]  # (whatever the shipped catalogue's version is)
    edited = text.replace(f'version: "{shipped}"', 'version: "2099.1"', 1).replace(
        "\ndefault: allow", "\ndefault: review", 1
    )
    assert edited != text
    sg.write_text(edited, encoding="utf-8")
    transfer = Transfer.model_validate(
        {
            "id": "shared",
            "origin": "CN",
            "destination": "SG",
            "date": "2026-06-01",
            "exporter": {"ciio": False},
            "recipient": {"type": "company"},
            "data": [{"category": "research.climate", "individuals": 0}],
        }
    )
    old, new = Engine(load_policies(default_policy_dir())), Engine(load_policies(changed))
    try:
        for _ in range(2):  # the second time from what was shared
            a, b = old.decide(transfer), new.decide(transfer)
            ref_a = next(r for r in a.catalogues if r.jurisdiction == "SG")
            ref_b = next(r for r in b.catalogues if r.jurisdiction == "SG")
            assert (ref_a.version, ref_b.version) == (shipped, "2099.1")
            assert ref_a.digest != ref_b.digest
            default_a = next(r for r in a.reasons if r.kind == "default" and r.jurisdiction == "SG")
            default_b = next(r for r in b.reasons if r.kind == "default" and r.jurisdiction == "SG")
            assert (default_a.verdict.value, default_b.verdict.value) == ("allow", "review")
            assert default_b.sentence.endswith("is review.")
    finally:
        old.close()
        new.close()
