"""The scan's human-readable form: grouped by file, verdicts coloured on a terminal."""

from __future__ import annotations

import textwrap

from ..models.decision import Verdict
from ..models.scan import FileResult, Finding, ScanResult, TransferResult
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


def render_context(result: ScanResult, context: RenderContext) -> str:
    """The registry's entry point (dataflow_rules/scan/formats.py)."""
    return render(result, context.colour, style=context.style)


def render(result: ScanResult, colour: bool = False, width: int = 100, style: TextStyle | None = None) -> str:
    """The report: per file (or, ``compact``, one line a finding), then what was not
    scanned, errors, unused waivers, the summary table and the summary line. ``quiet`` keeps
    only failing findings, errors and the summary line."""
    options = style or TextStyle()
    paint = _Style(colour)
    full = result
    if options.quiet:
        result = _failing_only(result)
    blocks: list[str] = []
    if options.compact:
        blocks += _compact(result, paint)
    else:
        for f in result.files:
            if f.status == "recognised" and f.kind != "sidecar" and (f.transfers or not options.quiet):
                blocks.append(_file(f, result, paint, width))
    if options.compact and not options.quiet:
        blocks += _compact_lists(result, paint)
    elif not options.quiet:
        for title, listed in (
            ("Sidecars", [f for f in result.files if f.kind == "sidecar" and f.status == "recognised"]),
            ("Not scanned", [f for f in result.files if f.status == "skipped"]),
        ):
            if listed:
                lines = [paint.bold(f"{title} ({len(listed)}):")]
                lines += [f"  {f.path}: {f.reason}" for f in listed]
                blocks.append("\n".join(lines))
    problems = result.problems()
    if problems:
        lines = [paint.bold(f"Errors ({len(problems)}):")]
        lines += [f"  error: {p.one_line()}" for p in problems]
        blocks.append("\n".join(lines))
    if result.unused_waivers and not options.quiet:
        lines = [paint.bold(f"Waivers that matched no finding ({len(result.unused_waivers)}):")]
        lines += [f"  {p}" for p in result.unused_waivers]
        blocks.append("\n".join(lines))
    table = summary_table(result)
    if table and not options.quiet:
        blocks.append(table)
    blocks.append(_summary(full, paint))
    return "\n\n".join(blocks) + "\n"


def _failing_only(result: ScanResult) -> ScanResult:
    """The result with only failing findings, and only transfers that have one (``--quiet``)."""
    files = []
    for f in result.files:
        kept = [
            t.model_copy(update={"findings": t.failing(result.fail_on)})
            for t in f.transfers
            if t.failing(result.fail_on)
        ]
        files.append(f.model_copy(update={"transfers": kept}))
    return result.model_copy(update={"files": files})


def _compact(result: ScanResult, paint: _Style) -> list[str]:
    """One line a finding (``file:line: verdict rule transfer``); citations once, numbered."""
    legend: dict[str, int] = {}
    lines: list[str] = []
    for f in result.files:
        for t in f.transfers:
            for x in t.findings:
                refs = [legend.setdefault(c.short(), len(legend) + 1) for c in x.citations]
                status = " WAIVED" if x.waived else " FAILS" if result.fail_on.fails(x.verdict) else ""
                cites = f" [{','.join(str(n) for n in refs)}]" if refs else ""
                lines.append(
                    f"{x.place.file}:{x.place.line or 1}: {paint.verdict(x.verdict.value, x.verdict)}"
                    f" {x.rule_id} {t.id} ({t.origin}->{t.destination}){status}{cites}"
                )
    blocks = ["\n".join(lines)] if lines else []
    if legend:
        blocks.append(
            "\n".join([paint.bold("Citations:"), *(f"  [{n}] {text}" for text, n in legend.items())])
        )
    return blocks


def _compact_lists(result: ScanResult, paint: _Style) -> list[str]:
    """Sidecars and files not scanned as counts per reason (``--format json`` lists them)."""
    sidecars = sum(1 for f in result.files if f.kind == "sidecar" and f.status == "recognised")
    reasons: dict[str, int] = {}
    for f in result.files:
        if f.status == "skipped":
            reason = (f.reason or "").split(" (")[0]
            reasons[reason] = reasons.get(reason, 0) + 1
    if not reasons and not sidecars:
        return []
    lines = [paint.bold("Not scanned:")] if reasons else []
    lines += [f"  {n:>4} {'file' if n == 1 else 'files'}: {r}" for r, n in sorted(reasons.items())]
    if sidecars:
        lines.append(f"Sidecars: {sidecars}")
    return ["\n".join(lines)]


def summary_table(result: ScanResult) -> str:
    """Findings per rule (restrict, review, waived, failing) and transfers per verdict."""
    rows: dict[str, list[int]] = {}
    for t in result.transfers():
        for x in t.findings:
            row = rows.setdefault(x.rule_id, [0, 0, 0, 0])
            row[0 if x.verdict is Verdict.RESTRICT else 1] += 1
            row[2] += x.waived
            row[3] += (not x.waived) and result.fail_on.fails(x.verdict)
    if not rows:
        return ""
    width = max(len("rule"), *(len(r) for r in rows))
    head = f"  {'rule':<{width}}  restrict  review  waived  failing"
    lines = ["Findings by rule:", head]
    for rule in sorted(rows, key=lambda r: (-rows[r][0], -rows[r][1], r)):
        a, b, c, d = rows[rule]
        lines.append(f"  {rule:<{width}}  {a:>8}  {b:>6}  {c:>6}  {d:>7}")
    verdicts = result.summary().verdicts
    lines += ["", "Transfers by verdict:"]
    lines += [f"  {name:<8}  {verdicts[name]:>5}" for name in ("restrict", "review", "allow")]
    return "\n".join(lines)


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
