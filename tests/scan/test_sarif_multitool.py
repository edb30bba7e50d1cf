"""GitHub's own SARIF rules, checked by Microsoft's SARIF multitool.

`sarif-multitool validate --rule-kind "Sarif;Gh"` applies the SARIF spec's rules (SARIF1xxx,
SARIF2xxx) and GitHub Advanced Security's ingestion rules (GH1xxx): a rule without ``help``
(GH2012) or a driver without ``informationUri`` (SARIF2005) is reported. Our SARIF of
``examples/`` must give no error and no warning. The tool comes from npm
(``@microsoft/sarif-multitool``), installed by .ci/run into .ci-cache/ and named by
``SARIF_MULTITOOL``; tests use no network, so without it the test skips and says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules.render import sarif
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import AS_OF, ROOT

pytestmark = pytest.mark.slow

_CACHED = ROOT / ".ci-cache/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"


def _multitool() -> str:
    named = os.environ.get("SARIF_MULTITOOL")
    for candidate in (named, str(_CACHED), shutil.which("sarif-multitool")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip(
        "Microsoft's SARIF multitool is not installed: run .ci/run, or"
        " `npm install --prefix .ci-cache/sarif-multitool @microsoft/sarif-multitool`"
        " (or set SARIF_MULTITOOL to its Sarif.Multitool executable)"
    )


def _validate(log: dict[str, Any], tmp_path: Path) -> list[str]:
    """The multitool's error and warning results, as `RULE: message` lines."""
    source, report = tmp_path / "scan.sarif", tmp_path / "validation.sarif"
    source.write_text(json.dumps(log, indent=2), encoding="utf-8")
    done = subprocess.run(
        [_multitool(), "validate", "--rule-kind", "Sarif;Gh", str(source), "-o", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
    )
    assert report.is_file(), done.stdout + done.stderr
    (run,) = json.loads(report.read_text(encoding="utf-8"))["runs"]
    return [
        f"{r['ruleId']}: {r['message'].get('text') or r['message'].get('arguments')}"
        for r in run.get("results", [])
        if r.get("level", "warning") in ("error", "warning")
    ]


def _examples_log() -> dict[str, Any]:
    result = scan(ScanOptions(paths=[ROOT / "examples"], as_of=AS_OF, decided_on=AS_OF, cwd=ROOT))
    assert result.transfers() and result.exit_code() == 4
    log: dict[str, Any] = json.loads(sarif.render(result))
    return log


def test_sarif_of_the_examples_passes_githubs_rules(tmp_path: Path) -> None:
    assert _validate(_examples_log(), tmp_path) == []


def test_sarif_with_an_input_error_passes_githubs_rules(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("origin: CN\ndestination: US\ndata: [\n")
    result = scan(ScanOptions(paths=[tmp_path / "broken.yaml"], as_of=AS_OF, decided_on=AS_OF, cwd=tmp_path))
    assert result.exit_code() == 5
    out = tmp_path / "out"
    out.mkdir()
    assert _validate(json.loads(sarif.render(result)), out) == []


def test_the_validator_catches_what_the_issue_found(tmp_path: Path) -> None:
    """The check can fail: without help and informationUri, GH2012 and SARIF2005 come back."""
    log = _examples_log()
    del log["runs"][0]["tool"]["driver"]["informationUri"]
    del log["runs"][0]["tool"]["driver"]["rules"][0]["help"]
    found = {line.split(":", 1)[0] for line in _validate(log, tmp_path)}
    assert {"GH2012", "SARIF2005"} <= found
