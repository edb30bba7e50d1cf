"""The catalogue test runner: pass, fail with a diff, coverage and its threshold."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dataflow_rules import load_policies
from dataflow_rules.cli import app
from dataflow_rules.workbench.corpus import generate_corpus
from dataflow_rules.workbench.suites import discover, run_suites

from ..conftest import ROOT
from .helpers import base_catalogue, write_policies

SUITE = """suite: NZ health threshold
tests:
  - name: 999 people are below the threshold (US has no catalogue here, taken to restrict nothing inbound)
    transfer: {id: h999, origin: NZ, destination: US, date: 2026-03-02,
               data: [{category: personal.health, individuals: 999}]}
    expect: {verdict: allow, entries: []}
  - name: 1000 people are restricted
    transfer: transfers.yaml#h1000
    expect: {verdict: restrict, entries: [nz.health]}
"""
TRANSFERS = """- {id: h1000, origin: NZ, destination: US, date: 2026-03-02, data: [{category: personal.health, individuals: 1000}]}
- {id: other, origin: NZ, destination: US, date: 2026-03-02, data: [{category: research.climate}]}
"""


def setup(tmp: Path, suite: str = SUITE) -> tuple[Path, Path]:
    policies = write_policies(tmp / "policies", {"nz.yaml": base_catalogue()})
    tests = tmp / "tests"
    tests.mkdir()
    (tests / "nz_test.yaml").write_text(suite)
    (tests / "transfers.yaml").write_text(TRANSFERS)
    return policies, tests


def test_passing_suite_and_coverage(tmp_path: Path) -> None:
    policies, tests = setup(tmp_path)
    run = run_suites(discover(tests), load_policies(policies))
    assert [r.passed for r in run.results] == [True, True]
    # Targets: nz.health, its two threshold branches, nz.climate. Covered: all but nz.climate.
    labels = [t.label() for t in run.coverage.missed()]
    assert labels == ["NZ entry nz.climate"]
    assert run.coverage.percent == 75.0


def test_cli_threshold_and_failure_exit_codes(tmp_path: Path) -> None:
    policies, tests = setup(tmp_path)
    runner = CliRunner()
    ok = runner.invoke(app, ["test", str(tests), "-p", str(policies), "--threshold", "75"])
    assert ok.exit_code == 0, ok.output
    low = runner.invoke(app, ["test", str(tests), "-p", str(policies), "--threshold", "80"])
    assert low.exit_code == 12 and "coverage 75.0% is below the threshold 80%" in low.output
    (tests / "nz_test.yaml").write_text(
        SUITE.replace("{verdict: allow, entries: []}", "{verdict: review, entries: [nz.other]}")
    )
    failed = runner.invoke(app, ["test", str(tests), "-p", str(policies)])
    assert failed.exit_code == 11
    assert "FAIL " in failed.output and "nz_test.yaml:3: 999 people are below" in failed.output
    assert "verdict: expected review, got allow" in failed.output
    assert "- nz.other  (expected, not among the reasons)" in failed.output
    body = json.loads(runner.invoke(app, ["test", str(tests), "-p", str(policies), "-f", "json"]).output)
    assert body["failed"] == 1 and body["coverage"]["total"] == 4


def test_malformed_suite_is_an_input_error(tmp_path: Path) -> None:
    policies, tests = setup(tmp_path, SUITE.replace("transfers.yaml#h1000", "transfers.yaml"))
    result = CliRunner().invoke(app, ["test", str(tests), "-p", str(policies)])
    assert result.exit_code == 5
    assert "nz_test.yaml:8:5: tests[1].transfer:" in result.output and "holds 2 transfers" in result.output


def test_shipped_suites_pass() -> None:
    run = run_suites(discover(ROOT / "policies-tests"), load_policies())
    assert run.results and run.failed == []


def test_corpus_is_reproducible(policies: object) -> None:
    from dataflow_rules import Policies, parse_transfers

    assert isinstance(policies, Policies)
    a = "".join(generate_corpus(policies.taxonomy, 200, seed=3))
    assert a == "".join(generate_corpus(policies.taxonomy, 200, seed=3))
    assert a != "".join(generate_corpus(policies.taxonomy, 200, seed=4))
    lines = a.splitlines()
    assert len(lines) == 200
    parsed = parse_transfers(
        "[" + ",".join(lines) + "]", "corpus", policies
    )  # every line is a valid transfer
    assert len(parsed) == 200
