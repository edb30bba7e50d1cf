"""Waivers (valid, expired, malformed) and baselines, through the API and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dataflow_rules.render import github, junit, sarif
from dataflow_rules.render import scan_json as json_report
from dataflow_rules.render import scan_text as text
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import run

FLOW = """\
id: crm-export
origin: CN
destination: US
date: 2026-03-02
exporter: {ciio: false}
recipient: {type: company, controlled_by: US}
purpose: marketing
context: {exporter_automotive_data_processor: false}
data:
  - category: personal.contact
    individuals: 150000
    anonymised: false
"""

WAIVER = """\
waivers:
  - id: W-1
    transfer: crm-export
    entry: cn.pi.general.contract
    approved_by: Li Wei (DPO)
    reason: Standard contract filed with the CAC, receipt pending.
    expires: {expires}
    ticket: PRIV-7
"""

TODAY = dt.date(2026, 5, 1)


def setup(tmp_path: Path, waiver: str | None = None) -> ScanOptions:
    (tmp_path / "flows").mkdir(exist_ok=True)
    (tmp_path / "flows" / "crm.yaml").write_text(FLOW)
    waivers = None
    if waiver is not None:
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(waiver)
    return ScanOptions(paths=[tmp_path / "flows"], waivers=waivers, cwd=tmp_path, today=TODAY)


def test_a_valid_waiver_keeps_the_finding_visible_but_not_failing(tmp_path: Path) -> None:
    unwaived = scan(setup(tmp_path))
    assert unwaived.exit_code() == 4
    result = scan(setup(tmp_path, WAIVER.format(expires="2026-05-01")))  # the last day it holds
    assert result.exit_code() == 0
    ((t,),) = [f.transfers for f in result.files]
    (x,) = t.findings
    assert x.rule_id == "cn.pi.general.contract" and x.waiver is not None
    assert (x.waiver.approved_by, x.waiver.ticket, x.waiver.expires) == ("Li Wei (DPO)", "PRIV-7", TODAY)
    assert t.verdict.value == "restrict"  # the law's verdict is unchanged; only the failing is
    # visible in every format
    assert "WAIVED" in text.render(result) and "waived by Li Wei (DPO) until 2026-05-01" in text.render(
        result
    )
    assert (
        json.loads(json_report.render(result))["files"][0]["transfers"][0]["findings"][0]["waiver"]["ticket"]
        == "PRIV-7"
    )
    (res,) = json.loads(sarif.render(result))["runs"][0]["results"]
    assert res["suppressions"][0]["properties"] == {
        "approved_by": "Li Wei (DPO)",
        "ticket": "PRIV-7",
        "expires": "2026-05-01",
        "waiver_id": "W-1",
    }
    assert "waived by Li Wei (DPO)" in junit.render(result) and "<failure" not in junit.render(result)
    assert github.render(result).startswith("::notice ")


def test_an_expired_waiver_fails_the_scan_with_a_clear_message(tmp_path: Path) -> None:
    result = scan(setup(tmp_path, WAIVER.format(expires="2026-04-30")))
    assert result.exit_code() == 5
    (problem,) = result.errors
    assert problem.one_line() == (
        "waivers.yaml:7:5: waivers[0].expires: waiver for transfer 'crm-export', entry 'cn.pi.general.contract'"
        " expired on 2026-04-30 (approved by Li Wei (DPO), ticket PRIV-7): renew it or remove it"
    )
    ((t,),) = [f.transfers for f in result.files]
    assert t.findings[0].waiver is None  # the finding is reported, open, as if unwaived


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda w: w.replace("    approved_by: Li Wei (DPO)\n", ""),
            "waivers[0].approved_by: malformed waiver: required field 'waivers[0].approved_by' is missing",
        ),
        (
            lambda w: w.replace("expires: 2026-12-31", "expires: soon"),
            "waivers[0].expires: malformed waiver:",
        ),
        (
            lambda w: w.replace("Standard contract filed with the CAC, receipt pending.", "ok"),
            "waivers[0].reason: malformed waiver:",
        ),
        (
            lambda w: w.replace("    ticket: PRIV-7\n", "    ticket: PRIV-7\n    owner: me\n"),
            "malformed waiver: unknown field 'owner'",
        ),
        (lambda w: w + w.replace("waivers:\n", ""), "a second waiver for transfer 'crm-export'"),
        (lambda w: "waivers: [unclosed\n", "invalid YAML"),
        (lambda w: "- transfer: x\n", "a waiver file is a mapping 'waivers: [...]'"),
    ],
)
def test_malformed_waivers(tmp_path: Path, edit: object, expected: str) -> None:
    waiver = edit(WAIVER.format(expires="2026-12-31"))  # type: ignore[operator]
    result = scan(setup(tmp_path, waiver))
    assert result.exit_code() == 5
    assert any(expected in p.one_line() for p in result.errors), [p.one_line() for p in result.errors]
    assert result.files[0].transfers  # the scan still reports the files


def test_unused_waivers_are_listed(tmp_path: Path) -> None:
    waiver = WAIVER.format(expires="2026-12-31").replace(
        "entry: cn.pi.general.contract", "entry: cn.pi.sensitive.contract"
    )
    result = scan(setup(tmp_path, waiver))
    assert [p.line for p in result.unused_waivers] == [2]
    assert result.exit_code() == 4
    assert "Waivers that matched no finding (1):" in text.render(result)


def test_waivers_via_the_cli(tmp_path: Path) -> None:
    setup(tmp_path, WAIVER.format(expires="2099-12-31"))
    assert run("scan", "flows", "--waivers", "waivers.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / "waivers.yaml").write_text(WAIVER.format(expires="2000-01-01"))
    result = run("scan", "flows", "--waivers", "waivers.yaml", "--no-colour", cwd=tmp_path)
    assert result.returncode == 5
    assert (
        "error: waivers.yaml:7:5: waivers[0].expires: waiver for transfer 'crm-export'"
        in result.stdout.decode()
    )


def test_baseline_reports_only_new_findings(tmp_path: Path) -> None:
    setup(tmp_path)
    created = run("scan", "flows", "--create-baseline", "baseline.json", "-f", "json", cwd=tmp_path)
    assert created.returncode == 0  # creating a baseline is adoption, not failure
    baseline = json.loads((tmp_path / "baseline.json").read_text())
    assert [f["rule_id"] for f in baseline["findings"]] == ["cn.pi.general.contract"]
    assert json.loads(created.stdout)["exit_code"] == 4
    # Unchanged estate: nothing new, passes, and says how much the baseline hid.
    again = run("scan", "flows", "--baseline", "baseline.json", "-f", "json", cwd=tmp_path)
    body = json.loads(again.stdout)
    assert again.returncode == 0 and body["baselined"] == 1 and body["summary"]["findings_open"] == 0
    # Lines moved by an edit elsewhere in the file: still the same finding.
    flow = tmp_path / "flows" / "crm.yaml"
    flow.write_text("# a new comment\n# and another\n" + flow.read_text())
    assert run("scan", "flows", "--baseline", "baseline.json", cwd=tmp_path).returncode == 0
    # A new restricted flow is reported and fails.
    (tmp_path / "flows" / "new.yaml").write_text(FLOW.replace("crm-export", "new-export"))
    new = run("scan", "flows", "--baseline", "baseline.json", "-f", "json", cwd=tmp_path)
    body = json.loads(new.stdout)
    assert new.returncode == 4 and body["baselined"] == 1
    assert [t["id"] for f in body["files"] for t in f["transfers"] if t["findings"]] == ["new-export"]
    # The same flow with more data is a new finding, not hidden by the baseline.
    flow.write_text(flow.read_text().replace("personal.contact", "personal.health"))
    assert run("scan", "flows", "--baseline", "baseline.json", cwd=tmp_path).returncode == 4


def test_baseline_is_deterministic_and_malformed_ones_fail(tmp_path: Path) -> None:
    setup(tmp_path)
    run("scan", "flows", "--create-baseline", "a.json", cwd=tmp_path)
    run("scan", "flows", "--create-baseline", "b.json", cwd=tmp_path)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    (tmp_path / "bad.json").write_text('{"baseline_version": 1, "findings": [}')
    result = run("scan", "flows", "--baseline", "bad.json", "--no-colour", cwd=tmp_path)
    assert result.returncode == 5 and "error: bad.json:1:" in result.stdout.decode()
    (tmp_path / "other.json").write_text('{"version": 2}')
    result = run("scan", "flows", "--baseline", "other.json", "--no-colour", cwd=tmp_path)
    assert result.returncode == 5 and "not a dataflow-rules baseline" in result.stdout.decode()


def test_waived_findings_stay_out_of_a_new_baseline(tmp_path: Path) -> None:
    setup(tmp_path, WAIVER.format(expires="2099-12-31"))
    run("scan", "flows", "--waivers", "waivers.yaml", "--create-baseline", "base.json", cwd=tmp_path)
    assert json.loads((tmp_path / "base.json").read_text())["findings"] == []
