"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; one rule per catalogue entry (or synthetic id) that has a finding; one result per
finding at the line of the data item it is about (other items as related locations).
Waived findings stay in the log with an accepted external suppression naming approver,
expiry and ticket. Input errors are results of the rule ``input-error`` and tool
notifications, so code scanning shows them at their line too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from ..models.decision import Verdict
from ..scan.result import Finding, Place, Problem, ScanResult, TransferResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INPUT_ERROR = "input-error"
_LEVEL = {Verdict.RESTRICT: "error", Verdict.REVIEW: "warning", Verdict.ALLOW: "note"}
FINGERPRINT_KEY = "dataflowRulesFinding/v1"


def uri(file: str) -> str:
    """A relative URI for a repository path; a file: URI for an absolute one."""
    if file.startswith("/"):
        return "file://" + quote(file, safe="/")
    return quote(file, safe="/")


def _location(place: Place, message: str | None = None, ident: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri(place.file)}}
    if place.line is not None:
        region: dict[str, Any] = {"startLine": place.line}
        if place.column is not None:
            region["startColumn"] = place.column
        physical["region"] = region
    out: dict[str, Any] = {}
    if ident is not None:
        out["id"] = ident
    out["physicalLocation"] = physical
    if message:
        out["message"] = {"text": message}
    return out


def _rule(finding: Finding) -> dict[str, Any]:
    if finding.kind in ("entry", "localisation"):
        short = finding.title or finding.rule_id
        full = f"{short}. Requirement: {finding.requirement}." if finding.requirement else short
    elif finding.kind == "missing_fact":
        short = f"A fact that entry {finding.rule_id.split('/', 1)[1]} needs is not stated"
        full = f"{short}: {finding.title}." if finding.title else short
    elif finding.kind == "no_catalogue":
        short = f"No catalogue is loaded for {finding.jurisdiction}: its rules were not checked"
        full = short
    elif finding.kind == "unmapped_label":
        short = "A data label names no category the tool can map"
        full = short + "; the data's category must be stated before the transfer can be decided."
    else:
        short = "The manifest labels no data with a category"
        full = short + "; the tool cannot tell what data crosses the border."
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": _LEVEL[finding.verdict]},
    }
    cites = [c.short() for c in finding.citations]
    urls = [c.url for c in finding.citations if c.url]
    if urls:
        rule["helpUri"] = urls[0]
    if cites:
        rule["help"] = {
            "text": "Cites: " + "; ".join(cites),
            "markdown": "Cites:\n\n" + "\n".join(f"- {c}" for c in cites),
        }
    properties: dict[str, Any] = {"tags": ["cross-border-data", finding.kind.replace("_", "-")]}
    if finding.jurisdiction:
        properties["jurisdiction"] = finding.jurisdiction
    if finding.requirement:
        properties["requirement"] = finding.requirement
    rule["properties"] = properties
    return rule


def _result(t: TransferResult, x: Finding, index: int) -> dict[str, Any]:
    text = f"{t.id} ({t.origin} -> {t.destination}): {x.message}"
    if x.requirement:
        text += f" Requirement: {x.requirement}."
    result: dict[str, Any] = {
        "ruleId": x.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[x.verdict],
        "message": {"text": text},
        "locations": [_location(x.place)],
    }
    if x.related:
        result["relatedLocations"] = [
            _location(p, "the same data is also declared here", n) for n, p in enumerate(x.related, 1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: x.fingerprint}
    if x.waiver is not None:
        w = x.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{w.reason} (approved by {w.approved_by}, ticket {w.ticket}, expires {w.expires.isoformat()})",
                "location": _location(w.place),
                "properties": {
                    "approved_by": w.approved_by,
                    "ticket": w.ticket,
                    "expires": w.expires.isoformat(),
                    **({"waiver_id": w.id} if w.id else {}),
                },
            }
        ]
    result["properties"] = {
        "transfer": t.id,
        "origin": t.origin,
        "destination": t.destination,
        "verdict": x.verdict.value,
        "side": x.side,
        "categories": x.categories,
        "missing": x.missing,
        "waived": x.waived,
    }
    return result


def _error_result(problem: Problem, index: int) -> dict[str, Any]:
    return {
        "ruleId": INPUT_ERROR,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": problem.one_line()},
        "locations": [_location(problem.place)],
    }


def render(result: ScanResult) -> str:
    pairs = [(t, x) for t in result.transfers() for x in t.findings]
    rules: dict[str, dict[str, Any]] = {}
    for _, x in sorted(pairs, key=lambda p: p[1].rule_id):
        rules.setdefault(x.rule_id, _rule(x))
    problems = result.problems()
    if problems:
        rules[INPUT_ERROR] = {
            "id": INPUT_ERROR,
            "shortDescription": {"text": "An input file could not be read; nothing in it was decided"},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["cross-border-data", "input-error"]},
        }
    ids = sorted(rules)
    index = {rule_id: n for n, rule_id in enumerate(ids)}
    results = [_result(t, x, index[x.rule_id]) for t, x in pairs]
    results += [_error_result(p, index[INPUT_ERROR]) for p in problems]
    invocation: dict[str, Any] = {
        "executionSuccessful": not problems,
        "exitCode": result.exit_code(),
    }
    if problems:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": p.one_line()}, "locations": [_location(p.place)]}
            for p in problems
        ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": result.tool["name"],
                        "version": result.tool["version"],
                        "semanticVersion": result.tool["version"],
                        "rules": [rules[r] for r in ids],
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
