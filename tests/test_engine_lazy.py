"""A lazy engine (``Engine(..., lazy=True)``, what ``check`` builds) compiles a plan and its
rulesets on the first decision reading it, and decides exactly as the eager engine does."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dataflow_rules import Engine, Transfer
from dataflow_rules.catalogues import default_policy_dir, load_policies
from dataflow_rules.engine.compile import DOMESTIC, compile_domestic, compile_layers, compile_policies
from dataflow_rules.errors import DataflowRulesError
from dataflow_rules.transfers import read_transfers

from .conftest import ROOT
from .strategies import scenarios

DAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def policies() -> Any:
    return load_policies(default_policy_dir())


def _examples(policies: Any) -> list[Transfer]:
    """Every transfer of the examples that reads (onward legs, zones, several sides), and
    each again kept inside its origin's country (the domestic plans)."""
    found: list[Transfer] = []
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        if "scan" in path.parts:
            continue
        try:
            found += [located.transfer for located in read_transfers(path, policies)]
        except DataflowRulesError:
            continue  # not a transfer description (facts files, safeguards, CI inputs)
    home = [t.model_copy(update={"destination": t.origin, "onward": []}) for t in found]
    return found + home


def test_a_lazy_engine_decides_every_example_as_the_eager_one(policies: Any) -> None:
    transfers = _examples(policies)
    assert len(transfers) > 40
    assert any(t.onward for t in transfers) and any(t.exporter.zone for t in transfers)
    eager, lazy = Engine(policies), Engine(policies, lazy=True)
    for t in transfers:
        assert lazy.decide(t, DAY).model_dump_json() == eager.decide(t, DAY).model_dump_json(), t.id
        assert lazy.trace(t, DAY).decision == eager.trace(t, DAY).decision, t.id
    assert lazy.stored_facts() == eager.stored_facts() == 0
    eager.close()
    lazy.close()


def test_a_lazy_engine_compiles_only_the_plans_a_decision_reads(policies: Any) -> None:
    engine = Engine(policies, lazy=True)
    assert engine._rulesets == {}
    (located,) = read_transfers(Path(ROOT / "examples" / "cn-us-pi-100000.yaml"), policies)
    engine.decide(located.transfer, DAY)
    built = set(engine._rulesets)
    assert ("CN", "outbound", None) in built and ("US", "inbound", None) in built
    assert len(built) <= 3 < len(compile_policies(policies))
    engine.close()


def test_counting_rules_and_facts_sees_every_plan(policies: Any) -> None:
    eager, lazy = Engine(policies), Engine(policies, lazy=True)
    assert lazy.rule_count == eager.rule_count > 300
    assert set(lazy._rulesets) == set(eager._rulesets)
    plans = len(compile_policies(policies)) + len(compile_layers(policies)) + len(compile_domestic(policies))
    assert len(lazy._plans) == len(eager._plans) == plans
    assert list(lazy._plans) == list(eager._plans)
    assert [k for k in eager._plans if k[2] == DOMESTIC], "the shipped catalogues have a domestic plan"
    fresh = Engine(policies, lazy=True)
    assert fresh.stored_facts() == 0 and len(fresh._rulesets) == plans
    for e in (eager, lazy, fresh):
        e.close()


def test_closing_a_lazy_engine_builds_nothing(policies: Any) -> None:
    engine = Engine(policies, lazy=True)
    engine.close()
    assert engine._rulesets == {}


def test_threads_deciding_first_on_a_lazy_engine_build_each_plan_once(
    policies: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataflow_rules.engine import engine as engine_module
    from dataflow_rules.engine import plans as plans_module

    transfers = _examples(policies)[:30]
    eager = Engine(policies)
    expected = {t.id + t.destination: eager.decide(t, DAY).model_dump_json() for t in transfers}
    eager.close()
    compiled: list[Any] = []
    rulesets: list[str] = []
    real_plan, real_ruleset = plans_module.compile_plan, engine_module.RuleSet

    def compile_plan(p: Any, key: Any) -> Any:
        compiled.append(key)
        return real_plan(p, key)

    def ruleset(rules: Any, label: str, reads: Any) -> Any:
        rulesets.append(label)
        return real_ruleset(rules, label, reads)

    monkeypatch.setattr(plans_module, "compile_plan", compile_plan)
    monkeypatch.setattr(engine_module, "RuleSet", ruleset)
    engine = Engine(policies, lazy=True)
    start = threading.Barrier(6)

    def work(chunk: list[Transfer]) -> list[tuple[str, str]]:
        start.wait()
        return [(t.id + t.destination, engine.decide(t, DAY).model_dump_json()) for t in chunk]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = dict(r for part in pool.map(work, [transfers[i::6] for i in range(6)]) for r in part)
    assert results == expected
    assert len(compiled) == len(set(compiled)) > 1
    assert len(rulesets) == len(set(rulesets)) == sum(len(sets) for sets in engine._rulesets.values())
    engine.close()


def _json_reads(term: Any) -> set[str]:
    """The fact properties a durable-rules JSON condition reads, read from the JSON itself."""
    out: set[str] = set()
    if isinstance(term, list):
        for t in term:
            out |= _json_reads(t)
    elif isinstance(term, dict):
        for key, value in term.items():
            if key in ("$and", "$or"):
                out |= _json_reads(value)
            elif key.startswith("$"):
                out |= set(value)
            else:
                out.add(key)
    return out


def test_what_each_rule_reads_is_what_its_json_reads(policies: Any) -> None:
    """A plan's ``reads`` (which properties a ruleset's facts carry) come from the rule's
    conditions; they must be exactly the properties its durable-rules JSON compares."""
    from dataflow_rules.engine.compile import compile_plan, plan_keys

    checked = 0
    for key in plan_keys(policies):
        plan = compile_plan(policies, key)
        for name in plan.rules if plan is not None else ():
            assert plan is not None and plan.reads[name] == _json_reads(plan.conditions[name]), (key, name)
            checked += 1
    assert checked > 300


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_on_generated_catalogues_a_lazy_engine_decides_as_the_eager_one(scenario: Any) -> None:
    """Generated catalogues (with designations read at home) and transfers: the lazy
    engine's decisions, in whatever order its plans come to be compiled, are the eager
    engine's (zones and onward legs: the examples, above)."""
    policies = scenario.policies()
    eager, lazy = Engine(policies), Engine(policies, lazy=True)
    try:
        for transfer in scenario.transfers:
            for day in (scenario.as_of, transfer.date or scenario.as_of):
                assert (
                    lazy.decide(transfer, day).model_dump_json()
                    == eager.decide(transfer, day).model_dump_json()
                )
        assert lazy.rule_count == eager.rule_count
    finally:
        eager.close()
        lazy.close()
