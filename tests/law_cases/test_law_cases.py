"""Legal cases written from the laws' own texts (tests/law_cases/cases.yaml.txt; not a .yaml, so a scan of the repository does not read it as an undecidable transfer file): each asserts the
verdict the LAW gives, not the tool's. A case the shipped tool gets wrong, whose fix lies in
files outside this test's owner's reach, is marked ``xfail(strict=True)`` with the tool's
answer, so it turns into a failure the day it is fixed and its mark must go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dataflow_rules import Engine, Policies, read_transfers

CASES_FILE = Path(__file__).with_name("cases.yaml.txt")
DOC: dict[str, Any] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))

# Cases the shipped tool decides against the law, with what it answers and why.
WRONG: dict[str, str] = {
    "eu_to_international_organisation_in_ch": (
        "tool: allow (the Swiss adequacy group covers the destination whatever the recipient); "
        "fix: engine (a condition on a stated recipient.type, or a presumption that a recipient "
        "is not an international organisation, so that an unstated type does not make every "
        "adequate-country transfer review); docs/catalogue-sources.md, s10"
    ),
    "gb_to_international_organisation_in_ch": (
        "tool: allow (UK adequacy regulations for Switzerland); fix: engine, as "
        "eu_to_international_organisation_in_ch"
    ),
}


def _transfer(case: dict[str, Any]) -> dict[str, Any]:
    """The case's transfer: its base with the case's keys laid over it."""
    return {**DOC["bases"][case["base"]], **case["transfer"]}


def _params() -> list[Any]:
    params = []
    for case in DOC["cases"]:
        marks = []
        if case["name"] in WRONG:
            marks.append(pytest.mark.xfail(strict=True, reason=WRONG[case["name"]]))
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def test_cases_are_well_formed() -> None:
    """Every case names an article and a verdict, names are unique, and every marked case exists."""
    names = [c["name"] for c in DOC["cases"]]
    assert len(names) == len(set(names)) >= 30
    for case in DOC["cases"]:
        assert case["expected"] in ("allow", "review", "restrict"), case["name"]
        assert case["article"].strip(), case["name"]
    assert set(WRONG) <= set(names)


@pytest.mark.parametrize("case", _params())
def test_law_case(case: dict[str, Any], policies: Policies, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / f"{case['name']}.yaml"
    path.write_text(yaml.safe_dump(_transfer(case), sort_keys=False), encoding="utf-8")
    (located,) = read_transfers(path, policies)
    decision = engine.decide(located.transfer)
    standing = [(r.entry_id, r.verdict.value) for r in decision.reasons]
    assert decision.verdict.value == case["expected"], f"{case['article']}: tool said {standing}"
