"""Every remediation offered gets the verdict it claims, checked by applying its changes
independently of the code that found it and deciding the result."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from dataflow_rules import Decision, Engine, Transfer, Verdict
from dataflow_rules.cli import app
from dataflow_rules.models.decision import Change
from dataflow_rules.workbench.remediate import remediate

from ..conftest import EXAMPLES
from ..strategies import Scenario, aimed_scenarios

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "max_examples": 40,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def changed(transfer: Transfer, changes: list[Change]) -> Transfer:
    """The test's own reading of a change list (not remediate.apply)."""
    body = transfer.model_dump(mode="json", exclude_none=True)
    drop = []
    for c in changes:
        m = re.fullmatch(r"data\[(\d+)\](?:\.(\w+))?", c.path)
        if m and not m.group(2):
            assert c.op == "remove"
            drop.append(int(m.group(1)))
        elif m:
            body["data"][int(m.group(1))][m.group(2)] = c.value
        elif c.path == "destination":
            body["destination"] = c.value
        elif c.path.startswith("recipient."):
            body.setdefault("recipient", {})[c.path.split(".", 1)[1]] = c.value
        else:
            raise AssertionError(f"unexpected path {c.path}")
    body["data"] = [d for i, d in enumerate(body["data"]) if i not in drop]
    return Transfer.model_validate(body)


def check(engine: Engine, transfer: Transfer, decision: Decision) -> int:
    offered = remediate(engine, transfer, decision)
    if decision.verdict is Verdict.ALLOW:
        assert offered == []
    for r in offered:
        assert r.verdict.rank < decision.verdict.rank
        assert engine.decide(changed(transfer, r.changes), decision.as_of).verdict is r.verdict, r
    return len(offered)


@settings(**SETTINGS)
@given(aimed_scenarios())
def test_every_remediation_gets_the_verdict_it_claims(scenario: Scenario) -> None:
    engine = Engine(scenario.policies())
    try:
        for t in scenario.transfers:
            check(engine, t, engine.decide(t, scenario.as_of))
    finally:
        engine.close()


def test_remediations_on_examples(engine: Engine, policies: Any) -> None:
    from dataflow_rules import read_transfers

    offered = 0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for located in read_transfers(path, policies):
            offered += check(engine, located.transfer, engine.decide(located.transfer))
    assert offered >= 10


def test_check_remediate_adds_them_to_json_and_plain_check_does_not() -> None:
    runner = CliRunner()
    path = str(EXAMPLES / "cn-us-pi-1000000.yaml")
    plain = json.loads(runner.invoke(app, ["check", path, "--format", "json"]).output)
    assert plain["decisions"][0]["remediations"] == []
    asked = json.loads(runner.invoke(app, ["check", path, "--format", "json", "--remediate"]).output)
    rems = asked["decisions"][0]["remediations"]
    assert {
        "changes": [
            {
                "op": "set",
                "path": "data[0].individuals",
                "value": 99999,
                "sentence": "reduce data[0] (personal.contact) to at most 99,999 individuals",
            }
        ],
        "verdict": "allow",
        "sentence": "reduce data[0] (personal.contact) to at most 99,999 individuals: the verdict would be allow.",
    } in rems
