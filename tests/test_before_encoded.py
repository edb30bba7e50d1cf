"""A decision as of a day before a deciding catalogue's earliest entry (docs/semantics.md,
section 2): the catalogue does not encode the law then in force, so the side is review,
never allow; findings still stand, so no verdict is ever lowered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataflow_rules import Engine, Policies, Verdict, read_transfers
from dataflow_rules.engine import decide as decide_module

CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "law_cases" / "cases.yaml.txt").read_text(encoding="utf-8")
)


def _case(name: str, policies: Policies, tmp_path: Path, **over: Any) -> Any:
    case = next(c for c in CASES["cases"] if c["name"] == name)
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        yaml.safe_dump({**CASES["bases"][case["base"]], **case["transfer"], **over}), encoding="utf-8"
    )
    return read_transfers(path, policies)[0].transfer


def test_cn_before_its_earliest_entry_is_review(policies: Policies, engine: Engine, tmp_path: Path) -> None:
    # The catalogue encodes China's rules from PIPL's entry into force (1 November 2021);
    # the day before, the outbound rules then in force are not encoded.
    transfer = _case("cn_before_2024_provisions", policies, tmp_path, date="2021-10-31")
    decision = engine.decide(transfer)
    assert decision.verdict is Verdict.REVIEW
    # (The Data Security Law, in force from 1 September 2021, already asks about important
    # data: its entries are undated, so they are read that day too.)
    (early,) = [r for r in decision.reasons if r.jurisdiction == "CN" and "not encoded" in r.sentence]
    assert early.verdict is Verdict.REVIEW and early.side == "outbound"
    assert "As of 2021-10-31, before the CN catalogue's earliest entry (2021-11-01)" in early.sentence
    assert "not encoded" in early.sentence
    # From the earliest entry on, the catalogue speaks again (the same data: PIPL Art 38
    # restricts it without a mechanism; never this review).
    for day in (dt.date(2021, 11, 1), dt.date(2024, 3, 21), dt.date(2024, 3, 22)):
        later = engine.decide(transfer, as_of=day)
        assert not any("not encoded" in r.sentence for r in later.reasons), day
        assert later.verdict is Verdict.RESTRICT, day


@pytest.mark.parametrize("name", [c["name"] for c in CASES["cases"]])
@pytest.mark.parametrize("day", [dt.date(2024, 3, 21), dt.date(2020, 1, 1)])
def test_never_lowers_a_verdict(
    name: str,
    day: dt.date,
    policies: Policies,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every law case as of an early day: with the rule, the verdict is at least the one
    without it, and an allow without it is at most review with it when a deciding
    catalogue starts later."""
    transfer = _case(name, policies, tmp_path)
    with_rule = engine.decide(transfer, as_of=day)
    monkeypatch.setattr(decide_module, "_before_encoded", lambda *_: None)
    without = engine.decide(transfer, as_of=day)
    assert with_rule.verdict.rank >= without.verdict.rank
    if without.verdict is Verdict.RESTRICT:
        assert with_rule.verdict is Verdict.RESTRICT
    if any("not encoded" in r.sentence for r in with_rule.reasons):
        assert with_rule.verdict is not Verdict.ALLOW
