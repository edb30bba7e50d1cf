"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One run; one rule per catalogue entry (or synthetic id) that has a finding; one result per
finding at the line of the data item it is about (other items as related locations).
Waived findings stay in the log with an accepted external suppression naming approver,
expiry and ticket. Input errors are results of the rule ``input-error`` and tool
notifications, so code scanning shows them at their line too.

``lint`` writes its problems through the same :func:`sarif_log` (:func:`render_problems`):
one rule per DFR code, one result per problem at its line and column.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any, TextIO
from urllib.parse import quote

from ..jsonio import dumps_indented
from ..models.decision import Verdict
from ..models.problems import CODES
from ..models.problems import Problem as CatalogueProblem
from ..models.scan import Finding, Place, Problem, ScanReport, TransferResult
from .scan_json import indented

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INPUT_ERROR = "input-error"
_LEVEL = {Verdict.RESTRICT: "error", Verdict.REVIEW: "warning", Verdict.ALLOW: "note"}
FINGERPRINT_KEY = "dataflowRulesFinding/v1"
AUTOMATION_ID = "dataflow-rules/scan/"
"""The run's category for code scanning (matches upload-sarif's ``category: dataflow-rules``)."""


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


INFORMATION_URI = "https://example.com/your-org/dataflow-rules"
"""The tool's home page (the placeholder the README and pre-commit docs use for this
repository's URL): set it where the project is published."""
DOCS_URI = INFORMATION_URI + "/blob/main/docs/scan.md"
_HELP_ANCHOR = {
    "entry": "#findings",
    "localisation": "#findings",
    "missing_fact": "#sidecars",
    "no_catalogue": "#findings",
    "unmapped_label": "#odcs",
    "no_data_categories": "#fides",
    "fides_key_outside_taxonomy": "#fides",
}


def rule_name(rule_id: str) -> str:
    """A PascalCase name for a rule id (``cn.pi.general.contract`` -> ``CnPiGeneralContract``),
    as SARIF's own rules ask a reportingDescriptor's ``name`` to be."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", rule_id) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name[:1].isalpha() else "Rule" + name


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _what_to_do(finding: Finding) -> str:
    if finding.kind in ("entry", "localisation"):
        if finding.requirement:
            return (
                f"Meet the requirement ({finding.requirement}) before the data moves, or record an"
                " approved, expiring waiver for this transfer and entry."
            )
        return "Do not move the data as described; change the transfer or record an approved waiver."
    if finding.kind == "missing_fact":
        return (
            "State the missing facts in the manifest or its sidecar (NAME.dataflow.yaml) so the"
            " entry can be decided; until then the transfer stays under review."
        )
    if finding.kind == "no_catalogue":
        return f"Add a catalogue for {finding.jurisdiction} to the policy directory, or have the transfer reviewed by hand."
    if finding.kind == "unmapped_label":
        return (
            "Label the data with a taxonomy category (a `dataflow:<category>` tag or a fideslang key),"
            " or map the label in an ODCS map file (--odcs-map)."
        )
    if finding.kind == "fides_key_outside_taxonomy":
        return (
            "Use a key of the fideslang default taxonomy for the data, or state its category in the"
            " manifest's sidecar; the parent's mapping is used until then."
        )
    return "Label the data with fideslang data categories or ODCS classifications and tags."


def _rule(finding: Finding) -> dict[str, Any]:
    if finding.kind in ("entry", "localisation"):
        short = finding.title or finding.rule_id
        full = f"{short}. Requirement: {finding.requirement}." if finding.requirement else short
    elif finding.kind == "missing_fact":
        short = f"A fact that entry {finding.rule_id.split('/', 1)[1]} needs is not stated"
        full = f"{short}: {finding.title}." if finding.title else short
    elif finding.kind == "no_catalogue":
        short = f"No catalogue is loaded for {finding.jurisdiction}: its rules were not checked"
        full = short + "; the transfer cannot be decided for that side."
    elif finding.kind == "unmapped_label":
        short = "A data label names no category the tool can map"
        full = short + "; the data's category must be stated before the transfer can be decided."
    elif finding.kind == "fides_key_outside_taxonomy":
        short = "A fideslang data category is outside the fideslang default taxonomy"
        full = (
            short + "; it is mapped only through its nearest known parent, which `fides evaluate`"
            " would not accept."
        )
    else:
        short = "The manifest labels no data with a category"
        full = short + "; the tool cannot tell what data crosses the border."
    cites = [c.short() for c in finding.citations]
    urls = [c.url for c in finding.citations if c.url]
    todo = _what_to_do(finding)
    text = _sentence(full) + " What to do: " + todo
    markdown = f"**{_sentence(short)}**\n\n{_sentence(full)}\n\n**What to do:** {todo}"
    if cites:
        text += " Cites: " + "; ".join(cites) + "."
        markdown += "\n\n**Cites:**\n\n" + "\n".join(
            f"- [{c.short()}]({c.url})" if c.url else f"- {c.short()}" for c in finding.citations
        )
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": rule_name(finding.rule_id),
        "shortDescription": {"text": _sentence(short)},
        "fullDescription": {"text": _sentence(full)},
        "help": {"text": text, "markdown": markdown},
        "helpUri": urls[0] if urls else DOCS_URI + _HELP_ANCHOR[finding.kind],
        "defaultConfiguration": {"level": _LEVEL[finding.verdict]},
    }
    properties: dict[str, Any] = {"tags": ["cross-border-data", finding.kind.replace("_", "-")]}
    if finding.jurisdiction:
        properties["jurisdiction"] = finding.jurisdiction
    if finding.requirement:
        properties["requirement"] = finding.requirement
    rule["properties"] = properties
    return rule


_INPUT_ERROR_RULE: dict[str, Any] = {
    "id": INPUT_ERROR,
    "name": "InputError",
    "shortDescription": {"text": "An input file could not be read; nothing in it was decided."},
    "fullDescription": {
        "text": "A manifest, sidecar, waiver or baseline file could not be read or does not fit its"
        " format, so no transfer in it was decided and the scan fails closed."
    },
    "help": {
        "text": "What to do: fix the file at the line and field the message names, then scan again;"
        " every error of the file is reported at once.",
        "markdown": "**What to do:** fix the file at the line and field the message names, then scan"
        " again; every error of the file is reported at once.",
    },
    "helpUri": DOCS_URI + "#exit-codes-and---fail-on",
    "defaultConfiguration": {"level": "error"},
    "properties": {"tags": ["cross-border-data", "input-error"]},
}


def _assumed(t: TransferResult) -> list[dict[str, Any]]:
    """The facts the transfer's decision took as given (a law's presumption, a facts file's
    statement), each with how to say otherwise (issue 19, item 4)."""
    if t.decision is None:
        return []
    return [
        {"fact": a.fact, "value": a.value, "source": a.source, "override": a.override}
        for a in t.decision.assumptions
    ]


def _result(t: TransferResult, x: Finding, index: int) -> dict[str, Any]:
    text = f"{t.id} ({t.origin} -> {t.destination}): {x.message}"
    if x.requirement:
        text += f" Requirement: {x.requirement}."
    assumed = _assumed(t)
    if assumed:
        listed = "; ".join(f"{a['fact']} = {_value(a['value'])} ({a['source']})" for a in assumed)
        text += f" Assumed: {listed}."
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
    if assumed:
        result["properties"]["assumptions"] = assumed
    return result


def _value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _error_result(problem: Problem, index: int) -> dict[str, Any]:
    return {
        "ruleId": INPUT_ERROR,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": problem.one_line()},
        "locations": [_location(problem.place)],
    }


def render(result: ScanReport) -> str:
    out = io.StringIO()
    write(result, out)
    return out.getvalue()


def write(result: ScanReport, out: TextIO) -> None:
    """The scan's SARIF log, written to ``out`` a result at a time: a first reading of the
    files finds each rule's first finding (the rules, sorted, come before the results that
    point at them by index), a second writes the results."""
    first: dict[str, Finding] = {}
    for t in result.each_transfer():
        for x in t.findings:
            first.setdefault(x.rule_id, x)
    rules = {rule_id: _rule(first[rule_id]) for rule_id in sorted(first)}
    problems = result.problems()
    if problems:
        rules[INPUT_ERROR] = _INPUT_ERROR_RULE
    ids = sorted(rules)
    index = {rule_id: n for n, rule_id in enumerate(ids)}
    invocation: dict[str, Any] = {
        "executionSuccessful": not problems,
        "exitCode": result.exit_code(),
    }
    if problems:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": p.one_line()}, "locations": [_location(p.place)]}
            for p in problems
        ]
    driver = {
        "name": result.tool["name"],
        "informationUri": INFORMATION_URI,
        "version": result.tool["version"],
        "semanticVersion": result.tool["version"],
        "rules": [rules[r] for r in ids],
    }
    results = (_result(t, x, index[x.rule_id]) for t in result.each_transfer() for x in t.findings)
    errors = (_error_result(p, index[INPUT_ERROR]) for p in problems)
    write_sarif_log(
        out,
        driver,
        itertools.chain(results, errors),
        automationDetails={"id": AUTOMATION_ID},
        invocations=[invocation],
        columnKind="unicodeCodePoints",
    )


def write_sarif_log(
    out: TextIO, driver: dict[str, Any], results: Iterable[dict[str, Any]], **run: Any
) -> None:
    """:func:`sarif_log`, written to ``out`` with each result encoded as it comes: the
    same bytes, without the whole log in memory."""
    text = sarif_log(driver, [], **run)
    at = text.rindex(_NO_RESULTS)
    depth = (at - text.rindex("\n", 0, at) - 1) // 2
    out.write(text[: at + len(_NO_RESULTS) - 1])
    empty = True
    for result in results:
        out.write(("\n" if empty else ",\n") + indented(result, depth + 1))
        empty = False
    out.write("]" if empty else "\n" + "  " * depth + "]")
    out.write(text[at + len(_NO_RESULTS) :])


_NO_RESULTS = '"results": []'
"""The run's last property in :func:`sarif_log`, where :func:`write_sarif_log` writes
the results."""


def sarif_log(driver: dict[str, Any], results: list[dict[str, Any]], **run: Any) -> str:
    """The one SARIF 2.1.0 log every command writes: one run of ``driver`` with ``results``
    and the run's other properties in the order given, so ``scan`` and ``lint`` cannot drift
    apart in schema, version or encoding."""
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, **run, "results": results}],
    }
    return dumps_indented(log)


def render_problems(problems: Sequence[CatalogueProblem], version: str) -> str:
    """SARIF 2.1.0, one rule per code, so code-scanning UIs can annotate the catalogue."""
    used = sorted({p.code for p in problems} | set(CODES))
    rules = [
        {
            "id": code,
            "name": CODES[code][0],
            "shortDescription": {"text": CODES[code][2]},
            "defaultConfiguration": {"level": CODES[code][1].value},
        }
        for code in used
    ]
    results = [
        {
            "ruleId": p.code,
            "ruleIndex": used.index(p.code),
            "level": p.severity.value,
            "message": {"text": f"{p.field}: {p.message}" if p.field else p.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": p.file},
                        "region": {"startLine": p.line, "startColumn": p.column},
                    }
                }
            ],
        }
        for p in problems
    ]
    return sarif_log({"name": "dataflow-rules lint", "version": version, "rules": rules}, results)
