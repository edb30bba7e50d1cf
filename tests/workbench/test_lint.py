"""Every lint code: a catalogue that triggers it, and the clean catalogue that does not."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dataflow_rules.cli import app
from dataflow_rules.models.problems import CODES
from dataflow_rules.workbench.lint import lint_directory
from dataflow_rules.workbench.validate import validate_directory

from .helpers import CITE, base_catalogue, dump, write_policies

AS_OF = dt.date(2026, 3, 2)
Mutation = Callable[[dict[str, Any]], dict[str, Any] | str]


def _entry(c: dict[str, Any], **changes: Any) -> dict[str, Any]:
    c["entries"][0].update(changes)
    return c


def _add(c: dict[str, Any], section: str, item: dict[str, Any]) -> dict[str, Any]:
    c.setdefault(section, []).append(item)
    return c


def _review(ident: str, categories: list[str], when: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ident,
        "title": ident,
        "categories": categories,
        "direction": "outbound",
        "when": when,
        "outcome": "review",
        "requirement": "determination",
        "citations": [CITE],
    }


TRIGGERS: dict[str, Mutation] = {
    "DFR001": lambda c: _entry(c, colour="red"),
    "DFR002": lambda c: "jurisdiction: NZ\nentries: [\n",
    "DFR010": lambda c: _entry(c, counterparties={"groups": ["nope"]}),
    "DFR011": lambda c: _entry(c, categories=["personal.heath"]),
    "DFR012": lambda c: _entry(c, counterparties={"countries": ["XX"]}),
    "DFR013": lambda c: _add(
        c,
        "exemptions",
        {
            "id": "x",
            "title": "x",
            "applies_to": ["no.such"],
            "when": {"anonymised": True},
            "citations": [CITE],
        },
    ),
    "DFR014": lambda c: _entry(c, when={"purposes": ["not_a_purpose"]}),
    "DFR015": lambda c: _add(c, "entries", {**c["entries"][0]}),
    "DFR017": lambda c: _entry(c, counterparties={"include_controlled": True}),
    "DFR020": lambda c: _entry(c, citations=[]),
    "DFR021": lambda c: _entry(c, citations=[{**CITE, "article": "TODO"}]),
    "DFR030": lambda c: _entry(c, expires="2021-01-01"),
    "DFR040": lambda c: _entry(c, when={"individuals": {"at_least": 10, "less_than": 5}}),
    "DFR041": lambda c: _entry(c, effective="2022-01-01", expires="2021-01-01"),
    "DFR050": lambda c: _add(
        c,
        "entries",
        _review("nz.clinical", ["personal.health.clinical"], {"individuals": {"at_least": 5000}}),
    ),
    "DFR051": lambda c: _add(
        c, "entries", _review("nz.personal", ["personal"], {"individuals": {"at_most": 2000}})
    ),
    "DFR052": lambda c: _add(
        c,
        "green_lanes",
        {
            "id": "nz.lane",
            "title": "lane",
            "purposes": ["scientific_research"],
            "categories": ["state.important"],
            "citations": [CITE],
        },
    ),
}


def codes(directory: Path) -> list[str]:
    return [p.code for p in lint_directory(directory, AS_OF)]


def test_every_code_has_a_trigger() -> None:
    # Layer codes (DFR06x) have their triggers in test_lint_layers.py, which checks them all.
    layer_codes = {c for c in CODES if c.startswith("DFR06")}
    assert set(TRIGGERS) | {"DFR016"} | layer_codes == set(CODES)


def test_the_clean_catalogue_has_no_problem(tmp_path: Path) -> None:
    assert codes(write_policies(tmp_path, {"nz.yaml": base_catalogue()})) == []


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_code_is_triggered(code: str, tmp_path: Path) -> None:
    found = codes(write_policies(tmp_path, {"nz.yaml": TRIGGERS[code](base_catalogue())}))
    assert code in found, found


def test_duplicate_jurisdiction(tmp_path: Path) -> None:
    found = codes(write_policies(tmp_path, {"a.yaml": base_catalogue(), "b.yaml": base_catalogue()}))
    assert found == ["DFR016"]


def test_shadowing_needs_the_stronger_entry_to_stay_whenever_the_weaker_does(tmp_path: Path) -> None:
    """A lane may clear the broader entry but not the narrower national-security one: not shadowed."""
    c = TRIGGERS["DFR050"](base_catalogue())
    assert isinstance(c, dict)
    c["entries"][-1]["national_security"] = True
    assert "DFR050" not in codes(write_policies(tmp_path, {"nz.yaml": c}))


def test_an_entry_superseded_the_next_day_is_not_expired(tmp_path: Path) -> None:
    """A catalogue encoding a change of the law (China's rules before and from 22 March
    2024): the earlier rule expires the day before a later one takes effect, and still
    decides its own period, so DFR030 is not reported; a gap of a day is."""
    c = _entry(base_catalogue(), expires="2021-01-01")
    c["entries"][1]["effective"] = "2021-01-02"
    assert "DFR030" not in codes(write_policies(tmp_path / "next", {"nz.yaml": c}))
    c["entries"][1]["effective"] = "2021-01-03"
    assert "DFR030" in codes(write_policies(tmp_path / "gap", {"nz.yaml": c}))


def test_validate_reports_every_error_at_once_with_lines(tmp_path: Path) -> None:
    c = base_catalogue()
    c["entries"][0]["categories"] = ["personal.heath"]
    c["entries"][1]["counterparties"] = {"groups": ["nope"]}
    c["entries"][1]["colour"] = "red"  # schema error in the second entry, references in the first
    write_policies(tmp_path, {"nz.yaml": c})
    problems = validate_directory(tmp_path).problems
    assert [p.code for p in problems] == ["DFR001"]  # a schema error stops that file's reference checks
    c["entries"][1].pop("colour")
    write_policies(tmp_path, {"nz.yaml": c})
    problems = validate_directory(tmp_path).problems
    assert sorted(p.code for p in problems) == ["DFR010", "DFR011"]
    text = dump(c).splitlines()
    for p in problems:
        assert p.file.endswith("nz.yaml")
        assert ("personal.heath" if p.code == "DFR011" else "nope") in text[p.line - 1]


def test_validate_cli_exit_codes_and_format(tmp_path: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(
        app, ["validate", str(write_policies(tmp_path / "ok", {"nz.yaml": base_catalogue()}))]
    )
    assert clean.exit_code == 0
    bad = base_catalogue()
    bad["entries"][0]["categories"] = ["personal.heath"]
    bad["entries"][1]["when"] = {"purposes": ["nope"]}
    result = runner.invoke(app, ["validate", str(write_policies(tmp_path / "bad", {"nz.yaml": bad}))])
    assert result.exit_code == 6
    lines = result.output.splitlines()
    assert len(lines) == 3 and "2 error(s)" in lines[-1]
    assert lines[0].split(":")[1].isdigit() and "entries[0].categories[0]" in lines[0]


def test_lint_cli_formats(tmp_path: Path) -> None:
    directory = write_policies(tmp_path, {"nz.yaml": TRIGGERS["DFR030"](base_catalogue())})
    runner = CliRunner()
    result = runner.invoke(app, ["lint", str(directory), "--format", "json", "--as-of", "2026-03-02"])
    assert result.exit_code == 10  # warnings only
    body = json.loads(result.output)
    assert [p["code"] for p in body["problems"]] == ["DFR030"]
    sarif = json.loads(
        runner.invoke(app, ["lint", str(directory), "--format", "sarif", "--as-of", "2026-03-02"]).output
    )
    (res,) = sarif["runs"][0]["results"]
    assert res["ruleId"] == "DFR030" and res["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
    broken = write_policies(tmp_path / "b", {"nz.yaml": TRIGGERS["DFR011"](base_catalogue())})
    assert runner.invoke(app, ["lint", str(broken)]).exit_code == 6


def test_validate_passing_means_the_loader_loads(tmp_path: Path) -> None:
    from dataflow_rules import load_policies

    directory = write_policies(tmp_path, {"nz.yaml": base_catalogue()})
    assert validate_directory(directory).problems == []
    load_policies(directory)


def test_an_overlap_marked_in_the_catalogue_is_not_reported(tmp_path: Path) -> None:
    # The DFR051 trigger, with the added review entry naming the entry it overlaps.
    c = TRIGGERS["DFR051"](base_catalogue())
    assert isinstance(c, dict)
    first = c["entries"][0]["id"]
    c["entries"][-1]["overlaps"] = [first]
    assert "DFR051" not in codes(write_policies(tmp_path / "marked", {"nz.yaml": c}))
    c["entries"][-1]["overlaps"] = ["no.such"]
    found = codes(write_policies(tmp_path / "unknown", {"nz.yaml": c}))
    assert "DFR013" in found and "DFR051" in found
