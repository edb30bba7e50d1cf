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
    """The report: per file (or, ``compact``, one line a transfer), then what was not
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
    table = _compact_table(result, paint) if options.compact else summary_table(result)
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


COMPACT_CAP = 25
"""At most this many transfer lines per verdict in ``--compact``: a CI log is read on a few
screens; the rest is counted and left to ``--format json`` or ``--format sarif``."""

_KINDS = ("missing-fact/", "no-catalogue/")
"""Synthetic rule ids that ``--compact`` totals per kind: one row a kind, not one an entry."""


def _compact(result: ScanResult, paint: _Style) -> list[str]:
    """One line a transfer with findings (``file:line: verdict transfer (O->D) FAILS: rules``),
    grouped by verdict, strictest first, failing transfers first, at most ``COMPACT_CAP`` a
    verdict (``_compact_table`` then gives each rule and each citation once)."""
    groups: dict[Verdict, list[tuple[FileResult, TransferResult]]] = {}
    for f in result.files:
        for t in f.transfers:
            if t.findings:
                groups.setdefault(t.verdict, []).append((f, t))
    blocks: list[str] = []
    for verdict in (Verdict.RESTRICT, Verdict.REVIEW, Verdict.ALLOW):
        listed = groups.get(verdict, [])
        if not listed:
            continue
        listed.sort(key=lambda ft: not ft[1].failing(result.fail_on))  # stable: file order kept
        failing = sum(1 for _, t in listed if t.failing(result.fail_on))
        head = f"{verdict.value.capitalize()}: {_plural(len(listed), 'transfer')} with findings"
        lines = [paint.bold(head + (f", {failing} failing" if failing else "") + ":")]
        lines += [_compact_line(t, result, paint) for _, t in listed[:COMPACT_CAP]]
        if len(listed) > COMPACT_CAP:
            lines.append(
                f"  {len(listed) - COMPACT_CAP} more {verdict.value} transfers: see --format json or --format sarif"
            )
        blocks.append("\n".join(lines))
    return blocks


def _compact_line(t: TransferResult, result: ScanResult, paint: _Style) -> str:
    """A transfer's findings on one line, at the place of its first failing (else first) finding."""
    failing = t.failing(result.fail_on)
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


def _compact_table(result: ScanResult, paint: _Style) -> str:
    """The summary table of ``--compact``: findings per rule with the numbers of its
    citations, ``missing-fact/*`` and ``no-catalogue/*`` totalled to one row a kind (the
    transfer lines name each; a missing fact cites its entry, which ``--format json`` and
    the full text give); then each citation once, numbered; then transfers per verdict."""
    legend: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    refs: dict[str, list[int]] = {}
    entries: dict[str, set[str]] = {}
    for t in result.transfers():
        for x in t.findings:
            kind = next((k for k in _KINDS if x.rule_id.startswith(k)), None)
            rule = f"{kind}*" if kind else x.rule_id
            entries.setdefault(rule, set()).add(x.rule_id)
            row = rows.setdefault(rule, [0, 0, 0, 0])
            row[0 if x.verdict is Verdict.RESTRICT else 1] += 1
            row[2] += x.waived
            row[3] += (not x.waived) and result.fail_on.fails(x.verdict)
            mine = refs.setdefault(rule, [])
            for c in x.citations if not kind else ():
                n = legend.setdefault(c.short(), len(legend) + 1)
                if n not in mine:
                    mine.append(n)
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
        cites = ",".join(str(n) for n in sorted(refs[rule]))
        lines.append(f"  {names[rule]:<{width}}  {a:>8}  {b:>6}  {w:>6}  {d:>7}  {cites}".rstrip())
    if legend:
        lines += ["", paint.bold("Citations:")]
        lines += [f"  [{n}] {text}" for text, n in legend.items()]
    verdicts = result.summary().verdicts
    lines += ["", "Transfers by verdict:"]
    lines += [f"  {name:<8}  {verdicts[name]:>5}" for name in ("restrict", "review", "allow")]
    return "\n".join(lines)


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
