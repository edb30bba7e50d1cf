"""``test --format text|json``: the writers of a :class:`SuiteRun` (workbench/suites.py runs
the suites; this module only reports what they found: failures with what differs, coverage)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the result's shape only: a writer never runs the capability
    from ..workbench.suites import SuiteRun


def render_text(run: SuiteRun, threshold: float | None = None, verbose: bool = False) -> str:
    """Each failing case (each case with ``verbose``), the tally, and the coverage."""
    lines: list[str] = []
    for r in run.results:
        if r.passed:
            if verbose:
                lines.append(f"PASS {r.location.file}:{r.location.line}: {r.name}")
            continue
        lines.append(f"FAIL {r.location.file}:{r.location.line}: {r.name}")
        if r.decision.verdict is not r.expect.verdict:
            lines.append(f"  verdict: expected {r.expect.verdict.value}, got {r.decision.verdict.value}")
        if r.expect.entries is not None:
            expected, actual = set(r.expect.entries), set(r.actual_entries)
            if expected != actual:
                lines.append(f"  entries: expected {', '.join(sorted(expected)) or '(none)'}")
                lines.append(f"           actual   {', '.join(sorted(actual)) or '(none)'}")
                for e in sorted(expected - actual):
                    lines.append(f"  - {e}  (expected, not among the reasons)")
                for e in sorted(actual - expected):
                    lines.append(f"  + {e}  (among the reasons, not expected)")
        lines.append("  actual reasons:")
        for reason in r.decision.reasons:
            ident = f" [{reason.entry_id}]" if reason.entry_id else ""
            lines.append(
                f"    {reason.verdict.value:<8} {reason.jurisdiction} {reason.side} {reason.kind}{ident}"
            )
    passed = len(run.results) - len(run.failed)
    lines.append(f"{passed}/{len(run.results)} tests passed, {len(run.failed)} failed")
    cov = run.coverage
    lines.append(f"coverage: {len(cov.covered & set(cov.targets))}/{len(cov.targets)} = {cov.percent:.1f}%")
    for target in cov.missed():
        lines.append(f"  not exercised: {target.label()}")
    if threshold is not None and cov.percent < threshold:
        lines.append(f"coverage {cov.percent:.1f}% is below the threshold {threshold:g}%")
    return "\n".join(lines) + "\n"


def render_json(run: SuiteRun, threshold: float | None = None, verbose: bool = False) -> str:
    """The JSON report (:func:`to_json`), indented; ``verbose`` changes nothing (every case is in it)."""
    return json.dumps(to_json(run, threshold), indent=2) + "\n"


def to_json(run: SuiteRun, threshold: float | None) -> dict[str, Any]:
    cov = run.coverage
    return {
        "schema_version": 1,
        "passed": len(run.results) - len(run.failed),
        "failed": len(run.failed),
        "tests": [
            {
                "suite": r.suite,
                "name": r.name,
                "file": r.location.file,
                "line": r.location.line,
                "passed": r.passed,
                "expected": {"verdict": r.expect.verdict.value, "entries": r.expect.entries},
                "actual": {"verdict": r.decision.verdict.value, "entries": r.actual_entries},
            }
            for r in run.results
        ],
        "coverage": {
            "percent": round(cov.percent, 2),
            "threshold": threshold,
            "covered": len(cov.covered & set(cov.targets)),
            "total": len(cov.targets),
            "not_exercised": [
                {"jurisdiction": t.jurisdiction, "kind": t.kind, "id": t.id, "branch": t.branch or None}
                for t in cov.missed()
            ],
        },
    }
