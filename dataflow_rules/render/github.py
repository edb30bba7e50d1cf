"""GitHub Actions workflow commands: one annotation per finding and per input error.

``::error`` for findings that fail under ``--fail-on`` and for input errors, ``::warning``
for open findings that do not fail, ``::notice`` for waived findings (still shown, as in
every format). Values are escaped as the runner expects: ``%``, CR and LF in messages,
and also ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from ..scan.result import Finding, Place, ScanResult, TransferResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, place: Place, title: str, message: str) -> str:
    props = [f"file={escape_property(place.file)}"]
    if place.line is not None:
        props.append(f"line={place.line}")
        if place.column is not None:
            props.append(f"col={place.column}")
    props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def _finding(t: TransferResult, x: Finding, result: ScanResult) -> str:
    if x.waiver is not None:
        kind = "notice"
        w = x.waiver
        tail = f" Waived by {w.approved_by} until {w.expires.isoformat()} ({w.ticket}): {w.reason}"
    else:
        kind = "error" if result.fail_on.fails(x.verdict) else "warning"
        tail = ""
    title = f"{x.verdict.value}: {x.rule_id}" + (" (waived)" if x.waived else "")
    message = f"{t.id} ({t.origin} -> {t.destination}): {x.message}"
    if x.requirement:
        message += f" Requirement: {x.requirement}."
    if x.citations:
        message += " Cites: " + "; ".join(c.short() for c in x.citations) + "."
    return command(kind, x.place, title, message + tail)


def render(result: ScanResult) -> str:
    lines = [_finding(t, x, result) for t in result.transfers() for x in t.findings]
    lines += [command("error", p.place, "dataflow-rules input error", p.message) for p in result.problems()]
    s = result.summary()
    lines.append(
        f"dataflow-rules scan: {s.transfers} transfers in {s.recognised} manifests; "
        f"{s.findings_failing} failing, {s.findings_open} open, {s.findings_waived} waived findings; "
        f"{s.errors} errors; exit {result.exit_code()}"
    )
    return "\n".join(lines) + "\n"
