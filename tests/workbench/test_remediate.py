"""Every remediation offered gets the verdict it claims, checked by applying its changes
independently of the code that found it and deciding the result."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from dataflow_rules import Decision, Engine, Transfer, Verdict, read_transfers
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


def changed(transfer: Transfer, changes: list[Change], day: dt.date) -> Transfer:
    """The test's own reading of a change list (not remediate.apply): an added safeguard is
    one obtained on the decision's date, with no limit of scope, as docs/workbench.md says."""
    body = transfer.model_dump(mode="json", exclude_none=True)
    drop = []
    for c in changes:
        if c.op == "add":
            assert c.path == "safeguards" and isinstance(c.value, str)
            body.setdefault("safeguards", []).append(
                {"mechanism": c.value, "reference": "planned", "obtained": day.isoformat()}
            )
            continue
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
        assert (
            engine.decide(changed(transfer, r.changes, decision.as_of), decision.as_of).verdict is r.verdict
        ), r
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


def _transfer(body: dict[str, Any]) -> Transfer:
    # From China, a company recipient and a non-automotive exporter are stated: unstated, the
    # foreign-request (DSL Art 36) and automotive (Art 3) rules would ask for them.
    china = {"recipient": {"type": "company"}, "context": {"exporter_automotive_data_processor": False}}
    return Transfer.model_validate(
        {
            "id": "t",
            "date": "2026-03-02",
            "exporter": {"ciio": False},
            "purpose": "business_operations",
            **(china if body.get("origin") == "CN" else {}),
            **body,
        }
    )


def test_a_safeguard_the_entry_names_is_offered_and_decided(engine: Engine) -> None:
    """150,000 people's contacts CN -> US need a standard contract or certification: each
    is offered on its own, and with it in place the engine allows the transfer with the
    safeguard as its condition."""
    t = _transfer(
        {
            "origin": "CN",
            "destination": "US",
            "data": [{"category": "personal.contact", "individuals": 150_000, "anonymised": False}],
        }
    )
    decision = engine.decide(t)
    assert decision.verdict is Verdict.RESTRICT
    offered = {
        tuple((c.op, c.path, c.value) for c in r.changes): r.verdict for r in remediate(engine, t, decision)
    }
    for mechanism in ("cn.standard_contract", "cn.certification"):
        assert offered[(("add", "safeguards", mechanism),)] is Verdict.ALLOW
    after = engine.decide(
        changed(
            t,
            [Change(op="add", path="safeguards", value="cn.standard_contract", sentence="")],
            decision.as_of,
        )
    )
    assert after.verdict is Verdict.ALLOW and any("cn.standard_contract" in c for c in after.conditions)


def test_no_safeguard_is_offered_for_a_prohibition(engine: Engine, policies: Any) -> None:
    """A brokerage of bulk health data to a country of concern is prohibited (28 CFR
    202.301): its entries name no mechanism, so no safeguard is suggested."""
    (located,) = read_transfers(EXAMPLES / "us-hk-health-brokerage.yaml", policies)
    decision = engine.decide(located.transfer)
    assert decision.verdict is Verdict.RESTRICT
    assert all(not r.mechanisms for r in decision.reasons)
    offered = remediate(engine, located.transfer, decision)
    assert offered and all(c.op != "add" for r in offered for c in r.changes)


def test_only_mechanisms_a_standing_reason_names_are_added(engine: Engine, policies: Any) -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for located in read_transfers(path, policies):
            decision = engine.decide(located.transfer)
            named = {m for r in decision.reasons for alt in r.mechanisms for m in alt}
            for r in remediate(engine, located.transfer, decision):
                assert {c.value for c in r.changes if c.op == "add"} <= named, (path, r)


def test_count_remediations_come_from_the_bounds_the_engine_compared(policies: Any, engine: Engine) -> None:
    """A count to stay under is one the engine's trace shows a rule compared for the item, or
    a safeguard's cap: the HGR approval granted for 150 individuals covers 150, not fewer,
    and no bound of a rule that is not about this item is offered."""
    (located,) = [
        x
        for x in read_transfers(EXAMPLES / "safeguards" / "cn.hgr_approval.yaml", policies)
        if x.transfer.id == "cn.hgr_approval-out_of_scope"
    ]
    day = dt.date(2026, 12, 6)
    decision = engine.decide(located.transfer, day)
    assert decision.verdict is Verdict.RESTRICT
    counts = [
        c.value
        for r in remediate(engine, located.transfer, decision)
        for c in r.changes
        if c.path == "data[0].individuals"
    ]
    assert counts == [150]
    traced = engine.trace(located.transfer, day)
    compared = {
        th.lower
        for s in traced.sides
        for a in s.attempts
        if a.item == 0 and a.checks[0].status != "failed"
        for th in a.thresholds
        if th.unit == "individuals"
    }
    assert 101 not in compared
