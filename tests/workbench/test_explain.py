"""The trace agrees with the engine: the entries explain says apply are its findings,
with the same fate (standing with the same verdict and missing facts, safeguarded,
cleared by the same exemption or lane), on every example and on generated transfers.

The trace is the engine's own (Engine.trace), so these tests check that the explicit
condition form describes what durable-rules decided: each rule's described conditions
let it fire exactly when durable-rules fired it, the trace's findings are the decision's
reasons, and explain's verdict is decide's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from dataflow_rules import Engine, Policies, read_transfers
from dataflow_rules.cli import app
from dataflow_rules.engine.trace import Trace
from dataflow_rules.workbench.explain import trace

from ..conftest import EXAMPLES
from ..strategies import Scenario, aimed_scenarios, scenarios
from .agreement import from_decision, from_trace

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "max_examples": 60,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
# examples/scan and examples/realistic hold manifests, not transfers.
FILES = sorted(p for p in EXAMPLES.rglob("*.yaml") if not {"scan", "realistic"} & set(p.parts))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_trace_agrees_with_the_engine_on_examples(path: Path, policies: Policies, engine: Engine) -> None:
    for located in read_transfers(path, policies):
        decision = engine.decide(located.transfer, resolve=False)
        t = trace(engine, located.transfer, decision.as_of)
        _consistent(t)
        assert t.decision == decision
        assert from_trace(t) == from_decision(decision)


def _consistent(t: Trace) -> None:
    """Every rule asked fired exactly when its described conditions say it should; no rule
    that was not asked fired; the side verdicts compose the decision's verdict."""
    assert t.decision is not None
    for side in t.sides:
        for a in side.attempts:
            assert a.fires() == (a.evaluated and a.derived_fires()), (side.jurisdiction, a)
            if not a.evaluated:
                assert a.checks[0].condition in ("category", "not national security")
    if len(t.legs) == 1 and not t.domestic:
        verdicts = [s.verdict for s in t.sides if s.loaded]
        if all(s.loaded for s in t.sides):
            strictest = max(verdicts, key=["allow", "review", "restrict"].index)
            assert strictest == t.decision.verdict.value


def _agree(scenario: Scenario) -> None:
    policies = scenario.policies()
    engine = Engine(policies)
    try:
        for t in scenario.transfers:
            decision = engine.decide(t, scenario.as_of, resolve=False)
            traced = trace(engine, t, scenario.as_of)
            _consistent(traced)
            assert traced.decision == decision
            assert from_trace(traced) == from_decision(decision)
    finally:
        engine.close()


@settings(**SETTINGS)
@given(scenarios())
def test_trace_agrees_with_the_engine_on_generated_transfers(scenario: Scenario) -> None:
    _agree(scenario)


@settings(**SETTINGS)
@given(aimed_scenarios())
def test_trace_agrees_on_transfers_aimed_at_entries_and_lanes(scenario: Scenario) -> None:
    _agree(scenario)


def test_explain_names_the_failing_condition_with_fact_value_and_bound() -> None:
    result = CliRunner().invoke(app, ["explain", str(EXAMPLES / "cn-us-pi-100000.yaml")])
    assert result.exit_code == 4
    assert "FAILED  individuals: data[0].individuals = 100,000; needs at least 1,000,000" in result.output
    assert "=> cn.pi.general.contract applies to data[0]: stands" in result.output
    flat = " ".join(result.output.split())
    assert (
        "reduce data[0] (personal.contact) to at most 99,999 individuals: the verdict would be allow" in flat
    )


def test_explain_json_has_trace_and_remediations() -> None:
    result = CliRunner().invoke(
        app, ["explain", str(EXAMPLES / "us-cn-genomic-101.yaml"), "--format", "json"]
    )
    assert result.exit_code == 4
    (one,) = json.loads(result.output)["explanations"]
    assert one["decision"]["remediations"]
    attempts = [
        a for s in one["trace"]["sides"] for a in s["attempts"] if a["id"] == "us.dsp.omic.coc.genomic"
    ]
    assert attempts and attempts[0]["status"] == "held"
    checks = {c["condition"]: c for c in attempts[0]["checks"]}
    assert checks["individuals"] == {
        "condition": "individuals",
        "fact": "data[0].individuals",
        "value": "101",
        "expected": "more than 100",
        "status": "held",
    }
