"""The scan's human-readable form: grouped by file, verdicts coloured on a terminal."""

from __future__ import annotations

import io
import textwrap
from typing import TextIO

from ..models.decision import Verdict
from ..models.scan import FailOn, FileResult, Finding, ScanReport, Summary, TransferResult
from .formats import RenderContext, TextStyle
from .style import paint
from .style import verdict as paint_verdict

_SOURCES = {
    "transfer": "transfer",
    "fides_dataset": "Fides dataset",
    "fides_system": "Fides system",
    "odcs_contract": "ODCS contract",
    "dbt_model": "dbt model",
    "openlineage_run": "OpenLineage run",
    "terraform_replication": "Terraform replication",
}


class _Style:
    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def verdict(self, text: str, verdict: Verdict) -> str:
        return paint_verdict(text, verdict, self.colour)

    def bold(self, text: str) -> str:
        return paint(text, "bold", self.colour)

    def dim(self, text: str) -> str:
        return paint(text, "dim", self.colour)


def render_context(result: ScanReport, context: RenderContext) -> str:
    """The registry's entry point (dataflow_rules/render/formats.py)."""
    return render(result, context.colour, style=context.style)


def write_context(result: ScanReport, context: RenderContext, out: TextIO) -> None:
    """The registry's streaming entry point."""
    write(result, out, context.colour, style=context.style)


def render(result: ScanReport, colour: bool = False, width: int = 100, style: TextStyle | None = None) -> str:
    out = io.StringIO()
    write(result, out, colour, width, style)
    return out.getvalue()


class _Blocks:
    """Blocks of the report written as they are made, a blank line between two."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.first = True

    def add(self, block: str) -> None:
        self.out.write(block if self.first else "\n\n" + block)
        self.first = False


def write(
    result: ScanReport, out: TextIO, colour: bool = False, width: int = 100, style: TextStyle | None = None
) -> None:
    """The report: per file (or, ``compact``, one line a transfer), then what was not
    scanned, errors, unused waivers, the summary table and the summary line. ``quiet`` keeps
    only failing findings, errors and the summary line.

    One reading of the files: each file's block is written as it is read, and what comes
    after the files (the lists, the tables, the compact lines) is gathered as counts and
    the few lines shown."""
    options = style or TextStyle()
    paint = _Style(colour)
    blocks = _Blocks(out)
    compact = _Compact(result.fail_on, paint)
    table = _Table(result.fail_on)
    sidecars: list[str] = []
    skipped: list[str] = []
    reasons: dict[str, int] = {}
    for f in result.each_file():
        if f.status == "recognised" and f.kind == "sidecar":
            sidecars.append(f"  {f.path}: {f.reason}")
        elif f.status == "skipped":
            skipped.append(f"  {f.path}: {f.reason}")
            reason = (f.reason or "").split(" (")[0]
            reasons[reason] = reasons.get(reason, 0) + 1
        for t in f.transfers:
            for x in t.findings:
                table.add(x)
        shown = _failing_only(f, result.fail_on) if options.quiet else f
        if options.compact:
            compact.add(shown)
        elif (
            shown.status == "recognised"
            and shown.kind != "sidecar"
            and (shown.transfers or not options.quiet)
        ):
            blocks.add(_file(shown, result, paint, width))
    if options.compact:
        for block in compact.blocks():
            blocks.add(block)
    if options.compact and not options.quiet:
        for block in _compact_lists(reasons, len(sidecars), paint):
            blocks.add(block)
    elif not options.quiet:
        for title, listed in (("Sidecars", sidecars), ("Not scanned", skipped)):
            if listed:
                blocks.add("\n".join([paint.bold(f"{title} ({len(listed)}):"), *listed]))
    problems = result.problems()
    if problems:
        lines = [paint.bold(f"Errors ({len(problems)}):")]
        lines += [f"  error: {p.one_line()}" for p in problems]
        blocks.add("\n".join(lines))
    if result.unused_waivers and not options.quiet:
        lines = [paint.bold(f"Waivers that matched no finding ({len(result.unused_waivers)}):")]
        lines += [f"  {p}" for p in result.unused_waivers]
        blocks.add("\n".join(lines))
    summary = result.summary()
    if not options.quiet:
        text = table.compact(paint, summary) if options.compact else table.full(summary)
        if text:
            blocks.add(text)
    blocks.add(_summary(result, summary, paint))
    out.write("\n")


def _failing_only(f: FileResult, fail_on: FailOn) -> FileResult:
    """The file with only failing findings, and only transfers that have one (``--quiet``)."""
    kept = [t.model_copy(update={"findings": t.failing(fail_on)}) for t in f.transfers if t.failing(fail_on)]
    return f.model_copy(update={"transfers": kept})


COMPACT_CAP = 25
"""At most this many transfer lines per verdict in ``--compact``: a CI log is read on a few
screens; the rest is counted and left to ``--format json`` or ``--format sarif``."""

_KINDS = ("missing-fact/", "no-catalogue/")
"""Synthetic rule ids that ``--compact`` totals per kind: one row a kind, not one an entry."""


class _Compact:
    """One line a transfer with findings (``file:line: verdict transfer (O->D) FAILS: rules``),
    grouped by verdict, strictest first, failing transfers first, at most ``COMPACT_CAP`` a
    verdict (the table then gives each rule and each citation once). Only the lines that
    can be shown are kept: the first ``COMPACT_CAP`` failing and not failing of each verdict."""

    def __init__(self, fail_on: FailOn, paint: _Style) -> None:
        self.fail_on, self.paint = fail_on, paint
        self.lines: dict[Verdict, tuple[list[str], list[str]]] = {}
        self.counts: dict[Verdict, list[int]] = {}

    def add(self, f: FileResult) -> None:
        for t in f.transfers:
            if not t.findings:
                continue
            failing = bool(t.failing(self.fail_on))
            count = self.counts.setdefault(t.verdict, [0, 0])
            count[0] += 1
            count[1] += failing
            kept = self.lines.setdefault(t.verdict, ([], []))[0 if failing else 1]
            if len(kept) < COMPACT_CAP:
                kept.append(_compact_line(t, self.fail_on, self.paint))

    def blocks(self) -> list[str]:
        blocks: list[str] = []
        for verdict in (Verdict.RESTRICT, Verdict.REVIEW, Verdict.ALLOW):
            if verdict not in self.counts:
                continue
            listed, failing = self.counts[verdict]
            first, rest = self.lines[verdict]
            head = f"{verdict.value.capitalize()}: {_plural(listed, 'transfer')} with findings"
            lines = [self.paint.bold(head + (f", {failing} failing" if failing else "") + ":")]
            lines += (first + rest)[:COMPACT_CAP]
            if listed > COMPACT_CAP:
                lines.append(
                    f"  {listed - COMPACT_CAP} more {verdict.value} transfers: see --format json or --format sarif"
                )
            blocks.append("\n".join(lines))
        return blocks


def _compact_line(t: TransferResult, fail_on: FailOn, paint: _Style) -> str:
    """A transfer's findings on one line, at the place of its first failing (else first) finding."""
    failing = t.failing(fail_on)
    first = (failing or t.findings)[0]
    counts: dict[str, int] = {}
    for x in sorted(t.findings, key=lambda x: (x.verdict is not Verdict.RESTRICT, x.waived)):
        name = x.rule_id + (" (waived)" if x.waived else "")
        counts[name] = counts.get(name, 0) + 1
    rules = ", ".join(name + (f" x{n}" if n > 1 else "") for name, n in counts.items())
    status = " FAILS" if failing else " WAIVED" if all(x.waived for x in t.findings) else ""
    return (
        f"{first.place.file}:{first.place.line or 1}: {paint.verdict(t.verdict.value, t.verdict)}"
        f" {t.id} ({t.origin}->{t.destination}){status}: {rules}"
    )


class _Table:
    """Findings per rule (restrict, review, waived, failing), added up a finding at a time,
    for the summary table of the full report and that of ``--compact``."""

    def __init__(self, fail_on: FailOn) -> None:
        self.fail_on = fail_on
        self.rows: dict[str, list[int]] = {}
        """rule id -> restrict, review, waived, failing."""
        self.kinds: dict[str, list[int]] = {}
        """The same, ``missing-fact/*`` and ``no-catalogue/*`` totalled to one row a kind."""
        self.entries: dict[str, set[str]] = {}
        self.legend: dict[str, int] = {}
        self.refs: dict[str, list[int]] = {}

    def add(self, x: Finding) -> None:
        failing = (not x.waived) and self.fail_on.fails(x.verdict)
        kind = next((k for k in _KINDS if x.rule_id.startswith(k)), None)
        rule = f"{kind}*" if kind else x.rule_id
        for rows, name in ((self.rows, x.rule_id), (self.kinds, rule)):
            row = rows.setdefault(name, [0, 0, 0, 0])
            row[0 if x.verdict is Verdict.RESTRICT else 1] += 1
            row[2] += x.waived
            row[3] += failing
        self.entries.setdefault(rule, set()).add(x.rule_id)
        mine = self.refs.setdefault(rule, [])
        for c in x.citations if not kind else ():
            n = self.legend.setdefault(c.short(), len(self.legend) + 1)
            if n not in mine:
                mine.append(n)

    def full(self, summary: Summary) -> str:
        """Findings per rule (restrict, review, waived, failing) and transfers per verdict."""
        rows = self.rows
        if not rows:
            return ""
        width = max(len("rule"), *(len(r) for r in rows))
        head = f"  {'rule':<{width}}  restrict  review  waived  failing"
        lines = ["Findings by rule:", head]
        for rule in sorted(rows, key=lambda r: (-rows[r][0], -rows[r][1], r)):
            a, b, c, d = rows[rule]
            lines.append(f"  {rule:<{width}}  {a:>8}  {b:>6}  {c:>6}  {d:>7}")
        lines += ["", "Transfers by verdict:"]
        lines += [f"  {name:<8}  {summary.verdicts[name]:>5}" for name in ("restrict", "review", "allow")]
        return "\n".join(lines)

    def compact(self, paint: _Style, summary: Summary) -> str:
        """The summary table of ``--compact``: findings per rule with the numbers of its
        citations, ``missing-fact/*`` and ``no-catalogue/*`` totalled to one row a kind (the
        transfer lines name each; a missing fact cites its entry, which ``--format json`` and
        the full text give); then each citation once, numbered; then transfers per verdict."""
        rows, entries = self.kinds, self.entries
        if not rows:
            return ""
        names = {r: r + (f" ({len(entries[r])} rules)" if r.endswith("*") else "") for r in rows}
        width = max(len("rule"), *(len(n) for n in names.values()))
        lines = [
            paint.bold("Findings by rule:"),
            f"  {'rule':<{width}}  restrict  review  waived  failing  cites",
        ]
        for rule in sorted(rows, key=lambda r: (-rows[r][0], -rows[r][1], r)):
            a, b, w, d = rows[rule]
            cites = ",".join(str(n) for n in sorted(self.refs[rule]))
            lines.append(f"  {names[rule]:<{width}}  {a:>8}  {b:>6}  {w:>6}  {d:>7}  {cites}".rstrip())
        if self.legend:
            lines += ["", paint.bold("Citations:")]
            lines += [f"  [{n}] {text}" for text, n in self.legend.items()]
        lines += ["", "Transfers by verdict:"]
        lines += [f"  {name:<8}  {summary.verdicts[name]:>5}" for name in ("restrict", "review", "allow")]
        return "\n".join(lines)


def _compact_lists(reasons: dict[str, int], sidecars: int, paint: _Style) -> list[str]:
    """Sidecars and files not scanned as counts per reason (``--format json`` lists them)."""
    if not reasons and not sidecars:
        return []
    lines = [paint.bold("Not scanned:")] if reasons else []
    lines += [f"  {n:>4} {'file' if n == 1 else 'files'}: {r}" for r, n in sorted(reasons.items())]
    if sidecars:
        lines.append(f"Sidecars: {sidecars}")
    return ["\n".join(lines)]


def summary_table(result: ScanReport) -> str:
    """Findings per rule (restrict, review, waived, failing) and transfers per verdict."""
    table = _Table(result.fail_on)
    for t in result.each_transfer():
        for x in t.findings:
            table.add(x)
    return table.full(result.summary())


def _file(f: FileResult, result: ScanReport, style: _Style, width: int) -> str:
    count = len(f.transfers)
    lines = [style.bold(f"{f.path}") + f"  ({f.kind}, {_plural(count, 'transfer')})"]
    if f.reason:
        lines += textwrap.wrap(f"note: {f.reason}", width, initial_indent="  ", subsequent_indent="        ")
    for t in f.transfers:
        lines += _transfer(t, result, style, width)
    return "\n".join(lines)


def _transfer(t: TransferResult, result: ScanReport, style: _Style, width: int) -> list[str]:
    head = f"  {t.id}: {style.verdict(t.verdict.value.upper(), t.verdict)}  {t.origin} -> {t.destination}"
    head += f"  line {t.place.line}" if t.place.line else ""
    if t.source != "transfer":
        head += f"  ({_SOURCES[t.source]}" + (f" '{t.name}')" if t.name else ")")
    lines = [head]
    for finding in t.findings:
        lines += _finding(finding, result, style, width)
    return lines


def _finding(x: Finding, result: ScanReport, style: _Style, width: int) -> list[str]:
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


def _summary(result: ScanReport, s: Summary, style: _Style) -> str:
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
