"""GitHub Actions workflow commands: one annotation per transfer, capped, then a summary.

GitHub shows about ten annotations of a kind per step, so one annotation per finding buried
the failures of a large scan (1,197 annotations for 166 transfers, issue 15). Each transfer
with findings gets one annotation, at its strictest finding's line, titled with that
finding's rule and the count of the others, whose rule ids and lines the message lists:
``::error`` when a finding fails under ``--fail-on``, ``::warning`` when one is open but
does not fail, ``::notice`` when all are waived. Input errors each get an ``::error``.
Errors come first; past :data:`LIMIT` annotations one last annotation says how many more
are in the SARIF report. Values are escaped as the runner expects: ``%``, CR and LF in
messages, and also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

import io
import itertools
from typing import TextIO

from ..models.scan import Finding, Place, Problem, ScanReport, TransferResult

LIMIT = 10
"""Annotations written before the "n more in the SARIF report" line."""
_RANK = {"error": 0, "warning": 1, "notice": 2}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, place: Place | None, title: str, message: str) -> str:
    props = []
    if place is not None:
        props.append(f"file={escape_property(place.file)}")
        if place.line is not None:
            props.append(f"line={place.line}")
            if place.column is not None:
                props.append(f"col={place.column}")
    props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def level(x: Finding, result: ScanReport) -> str:
    if x.waiver is not None:
        return "notice"
    return "error" if result.fail_on.fails(x.verdict) else "warning"


def primary(t: TransferResult, result: ScanReport) -> Finding:
    """The finding a transfer's annotation stands at: the first of the strictest level."""
    return min(t.findings, key=lambda x: _RANK[level(x, result)])


def _transfer(t: TransferResult, result: ScanReport) -> tuple[str, str]:
    x = primary(t, result)
    kind = level(x, result)
    others = [o for o in t.findings if o is not x]
    title = f"{x.verdict.value}: {x.rule_id}" + (" (waived)" if x.waived else "")
    if others:
        title += f" and {len(others)} more finding" + ("" if len(others) == 1 else "s")
    message = f"{t.id} ({t.origin} -> {t.destination}): {x.message}"
    if x.requirement:
        message += f" Requirement: {x.requirement}."
    if x.citations:
        message += " Cites: " + "; ".join(c.short() for c in x.citations) + "."
    if x.waiver is not None:
        w = x.waiver
        message += f" Waived by {w.approved_by} until {w.expires.isoformat()} ({w.ticket}): {w.reason}"
    if others:
        listed = [
            f"{o.verdict.value} {o.rule_id}"
            + (f" line {o.place.line}" if o.place.line else "")
            + (" (waived)" if o.waived else "")
            for o in others
        ]
        message += "\nAlso: " + "; ".join(listed)
    return kind, command(kind, x.place, title, message)


def _problem(p: Problem) -> tuple[str, str]:
    return "error", command("error", p.place, "dataflow-rules input error", p.message)


def render(result: ScanReport) -> str:
    out = io.StringIO()
    write(result, out)
    return out.getvalue()


def write(result: ScanReport, out: TextIO) -> None:
    """Input errors, then one annotation per transfer with findings, strictest level first
    (file order within a level), at most :data:`LIMIT`: one reading of the files keeps the
    first :data:`LIMIT` of each level and counts the rest."""
    kept: dict[str, list[str]] = {k: [] for k in _RANK}
    counts = dict.fromkeys(_RANK, 0)
    for kind, text in itertools.chain(
        (_problem(p) for p in result.problems()),
        (_transfer(t, result) for t in result.each_transfer() if t.findings),
    ):
        counts[kind] += 1
        if len(kept[kind]) < LIMIT:
            kept[kind].append(text)
    ordered = [(k, text) for k in _RANK for text in kept[k]]
    lines = [text for _, text in ordered[:LIMIT]]
    if sum(counts.values()) > LIMIT:
        # The level of the first annotation not shown, and how many of each are not.
        shown = dict.fromkeys(_RANK, 0)
        for k, _ in ordered[:LIMIT]:
            shown[k] += 1
        hidden = {k: counts[k] - shown[k] for k in _RANK}
        kind = next(k for k in _RANK if hidden[k])
        said = ", ".join(f"{n} {k}" + ("" if n == 1 else "s") for k, n in hidden.items() if n)
        lines.append(
            command(
                kind,
                None,
                "dataflow-rules: more annotations",
                f"{sum(hidden.values())} more in the SARIF report ({said}); GitHub shows about {LIMIT} a step."
                " Upload the SARIF (--format sarif:FILE) to code scanning, or see --format text.",
            )
        )
    s = result.summary()
    lines.append(
        f"dataflow-rules scan: {s.transfers} transfers in {s.recognised} manifests; "
        f"{s.findings_failing} failing, {s.findings_open} open, {s.findings_waived} waived findings; "
        f"{s.errors} errors; exit {result.exit_code()}"
    )
    out.write("\n".join(lines) + "\n")
