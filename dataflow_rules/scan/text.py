"""The scan's human-readable form: grouped by file, verdicts coloured on a terminal."""

from __future__ import annotations

import textwrap

from ..models.decision import Verdict
from .result import FileResult, Finding, ScanResult, TransferResult

_COLOURS = {Verdict.ALLOW: "32", Verdict.REVIEW: "33", Verdict.RESTRICT: "31"}
_SOURCES = {
    "transfer": "transfer",
    "fides_dataset": "Fides dataset",
    "fides_system": "Fides system",
    "odcs_contract": "ODCS contract",
}


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def verdict(self, text: str, verdict: Verdict) -> str:
        return f"\x1b[1;{_COLOURS[verdict]}m{text}\x1b[0m" if self.colour else text

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.colour else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.colour else text


def render(result: ScanResult, colour: bool = False, width: int = 100) -> str:
    style = _Style(colour)
    blocks: list[str] = []
    for f in result.files:
        if f.status == "recognised" and f.kind != "sidecar":
            blocks.append(_file(f, result, style, width))
    for title, listed in (
        ("Sidecars", [f for f in result.files if f.kind == "sidecar" and f.status == "recognised"]),
        ("Not scanned", [f for f in result.files if f.status == "skipped"]),
    ):
        if listed:
            lines = [style.bold(f"{title} ({len(listed)}):")]
            lines += [f"  {f.path}: {f.reason}" for f in listed]
            blocks.append("\n".join(lines))
    problems = result.problems()
    if problems:
        lines = [style.bold(f"Errors ({len(problems)}):")]
        lines += [f"  error: {p.one_line()}" for p in problems]
        blocks.append("\n".join(lines))
    if result.unused_waivers:
        lines = [style.bold(f"Waivers that matched no finding ({len(result.unused_waivers)}):")]
        lines += [f"  {p}" for p in result.unused_waivers]
        blocks.append("\n".join(lines))
    blocks.append(_summary(result, style))
    return "\n\n".join(blocks) + "\n"


def _file(f: FileResult, result: ScanResult, style: _Style, width: int) -> str:
    count = len(f.transfers)
    lines = [style.bold(f"{f.path}") + f"  ({f.kind}, {_plural(count, 'transfer')})"]
    if f.reason:
        lines += textwrap.wrap(f"note: {f.reason}", width, initial_indent="  ", subsequent_indent="        ")
    for t in f.transfers:
        lines += _transfer(t, result, style, width)
    return "\n".join(lines)


def _transfer(t: TransferResult, result: ScanResult, style: _Style, width: int) -> list[str]:
    head = f"  {t.id}: {style.verdict(t.verdict.value.upper(), t.verdict)}  {t.origin} -> {t.destination}"
    head += f"  line {t.place.line}" if t.place.line else ""
    if t.source != "transfer":
        head += f"  ({_SOURCES[t.source]}" + (f" '{t.name}')" if t.name else ")")
    lines = [head]
    for finding in t.findings:
        lines += _finding(finding, result, style, width)
    return lines


def _finding(x: Finding, result: ScanResult, style: _Style, width: int) -> list[str]:
    status = ""
    if x.waiver is not None:
        status = "  " + style.dim("WAIVED")
    elif result.fail_on.fails(x.verdict):
        status = "  FAILS"
    where = f"line {x.place.line}" if x.place.line else x.place.file
    side = f"  {x.jurisdiction} {x.side}" if x.jurisdiction and x.side else ""
    out = [f"    {style.verdict(f'{x.verdict.value:<8}', x.verdict)} {x.rule_id}{side}  {where}{status}"]
    indent = " " * 13
    out += textwrap.wrap(x.message, width, initial_indent=indent, subsequent_indent=indent)
    for c in x.citations:
        out += textwrap.wrap(
            f"cites: {c.short()}", width, initial_indent=indent, subsequent_indent=indent + "       "
        )
    if x.waiver is not None:
        w = x.waiver
        out += textwrap.wrap(
            f"waived by {w.approved_by} until {w.expires.isoformat()} ({w.ticket}, {w.place}): {w.reason}",
            width,
            initial_indent=indent,
            subsequent_indent=indent + "  ",
        )
    return out


def _summary(result: ScanResult, style: _Style) -> str:
    s = result.summary()
    v = s.verdicts
    code = result.exit_code()
    outcome = "FAIL" if code else "PASS"
    baseline = f", {s.findings_baselined} in the baseline (not shown)" if s.findings_baselined else ""
    return (
        f"{s.files} files: {s.recognised} manifests, {s.sidecars} sidecars, {s.skipped} not scanned, "
        f"{s.errors} errors. "
        f"{_plural(s.transfers, 'transfer')}: {v['restrict']} restrict, {v['review']} review, {v['allow']} allow. "
        f"Findings: {s.findings_open} open ({s.findings_failing} failing), {s.findings_waived} waived{baseline}. "
        f"--fail-on {result.fail_on.value}: {style.bold(outcome)} (exit {code})"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
