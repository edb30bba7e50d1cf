"""diff on crafted catalogue pairs with known changes, on git revisions, and on itself."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from dataflow_rules import Verdict
from dataflow_rules.cli import app
from dataflow_rules.render.diff_report import to_json
from dataflow_rules.workbench.diff import DiffResult, run_diff
from dataflow_rules.workbench.revisions import policy_directory

from ..strategies import Scenario, scenarios, to_yaml
from .helpers import CITE, base_catalogue, transfer, write_policies

CORPUS = [
    transfer("health-999", "US", "personal.health", individuals=999, anonymised=False),
    transfer("health-500", "US", "personal.health", individuals=500, anonymised=False),
    transfer("health-499", "US", "personal.health", individuals=499, anonymised=False),
    transfer("health-5000", "US", "personal.health", individuals=5000, anonymised=False),
    transfer("climate-cn", "CN", "research.climate", purpose="climate_research"),
    transfer("climate-ru", "RU", "research.climate", purpose="climate_research"),
    transfer("climate-us", "US", "research.climate", purpose="climate_research"),
    transfer("finance-cn", "CN", "personal.financial", individuals=10, anonymised=False),
]


def diff(tmp: Path, new: dict[str, Any], old: dict[str, Any] | None = None) -> DiffResult:
    a = write_policies(tmp / "old", {"nz.yaml": old or base_catalogue()})
    b = write_policies(tmp / "new", {"nz.yaml": new})
    raws = [("corpus.jsonl", n + 1, json.dumps(t)) for n, t in enumerate(CORPUS)]
    return run_diff(a, b, raws, ("old", "new"), unlisted=Verdict.ALLOW)


def summary(result: DiffResult) -> dict[tuple[str, ...], dict[str, str]]:
    return {key: {c.transfer_id: f"{c.old}->{c.new}" for c in items} for key, items in result.groups()}


def test_add_entry(tmp_path: Path) -> None:
    new = base_catalogue()
    new["entries"].append(
        {
            "id": "nz.financial",
            "title": "Financial data to countries of concern",
            "categories": ["personal.financial"],
            "direction": "outbound",
            "counterparties": {"groups": ["concern"]},
            "outcome": "review",
            "requirement": "determination",
            "citations": [CITE],
        }
    )
    result = diff(tmp_path, new)
    assert summary(result) == {("NZ nz.financial",): {"finance-cn": "allow->review"}}
    assert result.total == len(CORPUS)
    assert result.catalogue_changes == ["NZ: entry nz.financial added"]


def test_tighten_threshold(tmp_path: Path) -> None:
    new = base_catalogue()
    new["entries"][0]["when"] = {"individuals": {"at_least": 500}}
    result = diff(tmp_path, new)
    assert summary(result) == {
        ("NZ nz.health",): {"health-999": "allow->restrict", "health-500": "allow->restrict"}
    }
    assert result.catalogue_changes == ["NZ: entry nz.health modified (when)"]


def test_add_green_lane(tmp_path: Path) -> None:
    new = base_catalogue()
    new["green_lanes"] = [
        {
            "id": "nz.lane.climate",
            "title": "Climate research",
            "purposes": ["climate_research"],
            "citations": [CITE],
        }
    ]
    result = diff(tmp_path, new)
    groups = summary(result)
    # The lane clears climate data to CN and RU (restrict -> allow), and is reported on
    # the US transfer too (a new green_lane reason: allow -> allow, reasons changed).
    assert groups[("NZ nz.climate", "NZ nz.lane.climate")] == {
        "climate-cn": "restrict->allow",
        "climate-ru": "restrict->allow",
    }
    assert groups[("NZ nz.lane.climate",)] == {"climate-us": "allow->allow"}
    assert dict(result.changed_transitions()) == {("restrict", "allow"): 2, ("allow", "allow"): 1}


def test_remove_country_from_group(tmp_path: Path) -> None:
    new = base_catalogue()
    new["groups"]["concern"]["countries"] = ["CN"]
    result = diff(tmp_path, new)
    assert summary(result) == {("NZ nz.climate",): {"climate-ru": "restrict->allow"}}
    assert result.catalogue_changes == ["NZ: group concern modified (countries)"]


def test_retitling_changes_no_transfer(tmp_path: Path) -> None:
    new = base_catalogue()
    new["entries"][0]["title"] = "Renamed"
    result = diff(tmp_path, new)
    assert result.changed == [] and result.total == len(CORPUS)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    write_policies(repo / "policies", {"nz.yaml": base_catalogue()})
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    tighter = base_catalogue()
    tighter["entries"][0]["when"] = {"individuals": {"at_least": 500}}
    write_policies(repo / "policies", {"nz.yaml": tighter})
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qam", "two")
    with policy_directory("HEAD~1:policies", repo) as old, policy_directory("HEAD:policies", repo) as new:
        assert (old / "nz.yaml").read_text() != (new / "nz.yaml").read_text()
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(t) + "\n" for t in CORPUS))
    monkeypatch.chdir(repo)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "diff",
            "HEAD~1:policies",
            "HEAD:policies",
            "--corpus",
            str(corpus),
            "-f",
            "json",
            "-j",
            "1",
            "--unlisted",
            "allow",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["changed"] == 2 and body["transitions"] == [
        {"from": "allow", "to": "restrict", "transfers": 2}
    ]
    md = runner.invoke(
        app,
        [
            "diff",
            "HEAD~1:policies",
            "HEAD:policies",
            "--corpus",
            str(corpus),
            "-f",
            "markdown",
            "-j",
            "2",
            "--unlisted",
            "allow",
        ],
    )
    assert "| allow -> restrict | 2 |" in md.output and "#### `NZ nz.health`: 2 transfers" in md.output
    fail = runner.invoke(
        app,
        ["diff", "HEAD~1:policies", "HEAD:policies", "--corpus", str(corpus), "--fail-on-change", "-j", "1"],
    )
    assert fail.exit_code == 13
    bad = runner.invoke(app, ["diff", "nope~9:policies", "HEAD:policies", "--corpus", str(corpus)])
    assert bad.exit_code == 6 and bad.output.startswith(
        "error: nope~9:policies: git cannot read this revision"
    )


def test_corpus_errors_are_reported_not_decided(tmp_path: Path) -> None:
    a = write_policies(tmp_path / "a", {"nz.yaml": base_catalogue()})
    raws = [("c.jsonl", 1, json.dumps(CORPUS[0])), ("c.jsonl", 2, '{"id": "x"}'), ("c.jsonl", 3, "not json")]
    result = run_diff(a, a, raws, ("a", "a"))
    assert result.total == 1 and len(result.errors) == 2
    assert result.errors[0].startswith("c.jsonl:2:1: ") and "required field" in result.errors[0]
    assert result.errors[1].startswith("c.jsonl:3: not a JSON transfer")


@settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(scenarios())
def test_a_catalogue_diffed_with_itself_is_empty(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = write_policies(
            Path(tmp), {f"{c['jurisdiction'].lower()}.yaml": to_yaml(c) for c in scenario.catalogues}
        )
        raws = [
            ("gen", n, t.model_dump(mode="json", exclude_none=True)) for n, t in enumerate(scenario.transfers)
        ]
        result = run_diff(directory, directory, raws, ("a", "a"), scenario.as_of)
    # Transfers the reader rejects (generated models can skip its checks) are not decided.
    assert result.total + len(result.errors) == len(scenario.transfers)
    assert result.changed == [] and to_json(result)["groups"] == []
