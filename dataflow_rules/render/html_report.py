"""``scan --format html``: one offline page a person opens from a CI artifact.

At the top, what the scan could not read (an incomplete scan says so before anything
else), the counts, and the filters; then the flow diagram (a Sankey of origin ->
destination, one band per verdict, width by number of transfers) with its text
equivalent, the flows table; then one table per flow with every finding, its status
(failing, open, waived with approver, expiry and ticket), its citations and a link to the
manifest's file and line. Baselined findings are left out of every scan report by design
(docs/scan.md); the page says how many.

Opening fast (issue 17): plotly.js (4.8 MB) is inlined inert and evaluated after the
first frame; until then report.js draws the same diagram as plain SVG, so the page and its
diagram appear before the library has run (flowchart.page, ``defer_plotly``).

Deterministic: the same result gives the same bytes (no time, no random ids).
"""

from __future__ import annotations

import base64
import gzip
from collections import defaultdict
from html import escape
from urllib.parse import quote

from ..models.decision import Verdict
from ..models.scan import FINDING_KINDS, Finding, Place, ScanReport, TransferResult
from .flowchart import VERDICTS, count_flows, flows_table, page, verdict_badge

PACK_ABOVE = 2000
"""A report of at most this many finding rows has every row in the page as it opens."""

FIRST_ROWS = 10
"""In a larger report, the rows of a flow's table in the page as it opens; the rest wait, gzipped and base64'd in
an inert <script type="text/x-rows"> (which the browser neither parses into elements nor
has to tokenise at length), until the reader asks, a filter needs them, or the page is
printed; report.js inflates them with the browser's DecompressionStream. The rows are
still every row, written once, by this module; benchmarks/html_report.py measures what
this saves on a 10,000-transfer scan."""


def pack_rows(html: str) -> str:
    """Deterministic (no gzip timestamp) so the report stays byte-for-byte reproducible."""
    return base64.b64encode(gzip.compress(html.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def source_href(place: Place, base: str = "") -> str:
    """A link to the manifest line: relative paths under ``base``, absolute ones as file: URIs."""
    if place.file.startswith("/"):
        href = "file://" + quote(place.file, safe="/")
    else:
        href = base + quote(place.file, safe="/")
    return href + (f"#L{place.line}" if place.line else "")


def _where(place: Place, base: str) -> str:
    return f'<a class="src" href="{escape(source_href(place, base))}">{escape(str(place))}</a>'


def _citations(x: Finding) -> str:
    items = []
    for c in x.citations:
        text = escape(c.short())
        items.append(f'<li><a href="{escape(c.url)}">{text}</a></li>' if c.url else f"<li>{text}</li>")
    return f'<ul class="cites">{"".join(items)}</ul>' if items else ""


def _anchor(rule_id: str) -> str:
    """The id of a rule's row; rule ids are catalogue ids and ``kind/id``, no spaces."""
    return "rule-" + "-".join(rule_id.split())


def _articles(x: Finding) -> str:
    """The finding's citations in short (the article); the rules table has them in full."""
    if not x.citations:
        return ""
    href = escape("#" + quote(_anchor(x.rule_id), safe="/"))
    return "; ".join(f'<a href="{href}">{escape(c.article.split(" (", 1)[0])}</a>' for c in x.citations)


def _rules_table(first: dict[str, Finding], counts: dict[str, int]) -> str:
    """Each rule with a finding, once: its title, requirement and full citations (``first``:
    each rule's first finding; ``counts``: its findings)."""
    rows = "".join(
        f'<tr id="{escape(_anchor(r))}"><td><code>{escape(r)}</code></td><td>{verdict_badge(x.verdict.value)}</td>'
        f"<td>{escape(x.title or '')}"
        + (f'<div class="req">Requirement: {escape(x.requirement)}</div>' if x.requirement else "")
        + f'</td><td>{_citations(x)}</td><td class="num">{counts[r]:,}</td></tr>'
        for r, x in sorted(first.items())
    )
    return (
        '<section class="rules"><h2>Rules with findings</h2><table class="findings"><thead><tr>'
        "<th scope=col>rule</th><th scope=col>verdict</th><th scope=col>what it requires</th>"
        "<th scope=col>cites</th><th scope=col class=num>findings</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _status(t: TransferResult, x: Finding, result: ScanReport) -> str:
    if x.waiver is not None:
        w = x.waiver
        return (
            f'<span class="status waived">waived</span> by {escape(w.approved_by)} until '
            f"{w.expires.isoformat()}, {escape(w.ticket)}: {escape(w.reason)}"
        )
    if result.fail_on.fails(x.verdict):
        return f'<span class="status failing">failing</span> (--fail-on {escape(result.fail_on.value)})'
    return '<span class="status open">open</span>'


def _no_findings(t: TransferResult) -> str:
    """Why a transfer has no finding row: nothing stands against it, the baseline holds its
    findings, or its verdict comes from a reason that is not a finding (a default)."""
    if t.verdict is Verdict.ALLOW:
        return "no findings"
    reasons = [r for r in (t.decision.reasons if t.decision else []) if r.verdict is not Verdict.ALLOW]
    if any(r.kind in FINDING_KINDS for r in reasons):
        return "its findings are in the baseline (not listed)"
    return "no findings; the verdict comes from: " + " ".join(r.sentence for r in reasons)


def _rows(t: TransferResult, index: int, result: ScanReport, base: str) -> list[str]:
    head = (
        f'<td><a class="src tid" href="{escape(source_href(t.place, base))}">{escape(t.id)}</a></td>'
        f"<td>{verdict_badge(t.verdict.value)}</td>"
    )
    if not t.findings:
        none = escape(_no_findings(t))
        return [
            f'<tr data-t="{index}" data-rule="">{head}<td colspan=4 class="none">{none}</td>'
            f"<td>{_where(t.place, base)}</td></tr>"
        ]
    rows = []
    for x in t.findings:
        message = escape(x.message)
        rows.append(
            f'<tr data-t="{index}" data-rule="{escape(x.rule_id)}"'
            + (' class="is-waived"' if x.waived else "")
            + f'>{head}<td><a href="#{escape(quote(_anchor(x.rule_id), safe="/"))}"><code>{escape(x.rule_id)}</code></a> '
            f"{verdict_badge(x.verdict.value)}</td>"
            f"<td>{_status(t, x, result)}</td><td>{message}</td><td>{_articles(x)}</td>"
            f"<td>{_where(x.place, base)}</td></tr>"
        )
    return rows


def _summary(result: ScanReport) -> str:
    s = result.summary()
    verdicts = " ".join(f"{verdict_badge(v)} {s.verdicts.get(v, 0):,}" for v in VERDICTS)
    parts = [
        f"<p class=counts><strong>{s.transfers:,} transfers</strong> in {s.recognised:,} manifests: {verdicts}.</p>",
        f"<p>{s.findings_failing:,} failing, {s.findings_open:,} open and {s.findings_waived:,} waived findings; "
        f"exit code {result.exit_code()}"
        + (
            f"; {s.findings_baselined:,} findings left out because the baseline holds them"
            if s.findings_baselined
            else ""
        )
        + ".</p>",
    ]
    return "".join(parts)


def _problems(result: ScanReport, base: str) -> str:
    problems = result.problems()
    if not problems:
        return ""
    items = "".join(
        f"<li>{_where(p.place, base)}: {escape(' '.join(p.message.split()))}</li>" for p in problems
    )
    return (
        f'<section class="problems" role="alert"><h2>Incomplete: {len(problems):,} input error'
        f"{'s' if len(problems) != 1 else ''}</h2><p>Nothing in these files was decided; "
        f"the flows below leave them out.</p><ul>{items}</ul></section>"
    )


def _filters(countries: list[str], rules: list[str], transfers: int) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" name="verdict" value="{v}" checked> {verdict_badge(v)}</label>'
        for v in VERDICTS
    )
    options = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in countries)
    rule_options = "".join(f'<option value="{escape(r)}">{escape(r)}</option>' for r in rules)
    return (
        '<form id="filters" class="filters" onsubmit="return false">'
        f"<fieldset><legend>verdict</legend>{boxes}</fieldset>"
        '<label>country (origin or destination) <select name="country" id="f-country">'
        f'<option value="">any</option>{options}</select></label>'
        '<label>rule <select name="rule" id="f-rule">'
        f'<option value="">any</option>{rule_options}</select></label>'
        f'<p id="shown" aria-live="polite">{transfers:,} of {transfers:,} transfers shown</p>'
        "</form>"
    )


def render(result: ScanReport, source_base: str = "") -> str:
    """The HTML report; ``source_base`` is prefixed to relative manifest paths in links.

    One reading of the files: each transfer's rows are made as it is read and kept as
    text under its flow, with what the filters, the diagram and the rules table need, so
    a spooled scan (scan/spool.py) is never held in memory as results, only as the page."""
    first: dict[str, Finding] = {}
    per_rule: dict[str, int] = defaultdict(int)
    by_flow: dict[tuple[str, str], list[str]] = defaultdict(list)
    in_flow: dict[tuple[str, str], int] = defaultdict(int)
    flows: list[tuple[str, str, str]] = []
    rule_ids: list[list[str]] = []
    countries: set[str] = set()
    finding_rows = 0
    for i, t in enumerate(result.each_transfer()):
        for x in t.findings:
            first.setdefault(x.rule_id, x)
            per_rule[x.rule_id] += 1
        by_flow[(t.origin, t.destination)] += _rows(t, i, result, source_base)
        in_flow[(t.origin, t.destination)] += 1
        flows.append((t.origin, t.destination, t.verdict.value))
        rule_ids.append(sorted({x.rule_id for x in t.findings}))
        countries.update((t.origin, t.destination))
        finding_rows += max(1, len(t.findings))
    rules = sorted(first)
    rule_index = {r: i for i, r in enumerate(rules)}
    sections = []
    pack = finding_rows > PACK_ABOVE
    for (origin, destination), rows in sorted(by_flow.items()):
        first_rows = rows[:FIRST_ROWS] if pack else rows
        later = "".join(rows[FIRST_ROWS:]) if pack else ""
        more = (
            f'<script type="text/x-rows" class="more-rows">{pack_rows(later)}</script>'
            f'<p><button type="button" class="show-all">show all {len(rows):,} rows of this flow</button></p>'
            if later
            else ""
        )
        sections.append(
            f'<section class="flow" data-origin="{escape(origin)}" data-destination="{escape(destination)}">'
            f'<h3>{escape(origin)} → {escape(destination)} <span class="count">{in_flow[(origin, destination)]:,} transfers</span></h3>'
            '<table class="findings per-flow"><thead><tr><th scope=col>transfer</th><th scope=col>verdict</th>'
            "<th scope=col>finding</th><th scope=col>status</th><th scope=col>what it says</th>"
            "<th scope=col>cites</th><th scope=col>where</th></tr></thead>"
            f"<tbody>{''.join(first_rows)}</tbody></table>{more}</section>"
        )
        rows.clear()  # the flow's rows are in the page now
    counts = count_flows(flows)
    body = "".join(
        [
            _problems(result, source_base),
            f'<section class="summary">{_summary(result)}{_filters(sorted(countries), rules, len(flows))}</section>',
            '<section class="diagram"><h2>Flows: origin → destination, by verdict</h2>',
            '<div class="chart sankey" id="sankey" role="img" aria-label="Flow diagram; the table after it gives the same numbers"></div>',
            flows_table(counts, "Transfers by origin, destination and verdict", "flows-table"),
            "</section>",
            f'<section class="per-flow"><h2>Findings per flow</h2>{"".join(sections) or "<p>No transfers found.</p>"}</section>',
            _rules_table(first, per_rule),
        ]
    )
    data = {
        "kind": "scan",
        "rules": rules,
        "transfers": [
            [origin, destination, verdict, sorted(rule_index[r] for r in ids)]
            for (origin, destination, verdict), ids in zip(flows, rule_ids, strict=True)
        ],
    }
    return page(
        "dataflow-rules scan",
        body,
        data,
        "Cross-border flows found by dataflow-rules scan",
        defer_plotly=True,
    )
