"""``diff --format html``: what a catalogue edit moves, as one offline page.

The flow diagram of the corpus before the change (old verdicts) and after it (new
verdicts), each with its flows table as text equivalent; the transitions; what changed in
the catalogues; and the transfers whose verdict or reasons moved, grouped by the entries
responsible, each with the reasons removed and added. A group lists at most
``MAX_ROWS`` transfers (the JSON format holds them all) so that a diff of a large corpus
stays a page a browser opens.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import TYPE_CHECKING

from .diff_report import sorted_transitions, transition
from .flowchart import FlowKey, flows_table, page, verdict_badge

if TYPE_CHECKING:  # the result's shape only: a writer never runs the capability
    from ..workbench.diff import Changed, DiffResult, ReasonKey

MAX_ROWS = 1000


def _reason(k: ReasonKey) -> str:
    what = k[3] or f"({k[2]})"
    extra = f" missing {', '.join(k[6])}" if k[6] else ""
    return f"<li>{verdict_badge(k[4])} {escape(k[0])} {escape(k[1])} <code>{escape(what)}</code>{escape(extra)}</li>"


def _row(c: Changed) -> str:
    removed = "".join(_reason(k) for k in c.removed)
    added = "".join(_reason(k) for k in c.added)
    return (
        f"<tr><td><code>{escape(c.transfer_id)}</code></td>"
        f"<td>{escape(c.origin)} → {escape(c.destination)}</td>"
        f'<td class="from-to">{verdict_badge(c.old)} → {verdict_badge(c.new)}</td>'
        f"<td>{escape(c.source)}:{c.line}</td>"
        f'<td><ul class="cites">{removed}</ul></td><td><ul class="cites">{added}</ul></td></tr>'
    )


def _transitions(counts: Counter[tuple[str, str]], caption: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(transition(a, b))}</td><td class=num>{n:,}</td></tr>"
        for (a, b), n in sorted_transitions(counts)
    )
    return (
        f'<table class="flows"><caption>{escape(caption)}</caption><thead><tr><th scope=col>transition</th>'
        f"<th scope=col class=num>transfers</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _group(key: tuple[str, ...], items: list[Changed]) -> str:
    ordered = sorted(items, key=lambda c: (c.source, c.line))
    shown = "".join(_row(c) for c in ordered[:MAX_ROWS])
    more = (
        f"<p>and {len(items) - MAX_ROWS:,} more transfers (<code>--format json</code> lists every one).</p>"
        if len(items) > MAX_ROWS
        else ""
    )
    names = ", ".join(f"<code>{escape(k)}</code>" for k in key) or "(no entry)"
    return (
        f'<section class="moved"><h3>{names}: {len(items):,} transfers</h3>'
        + _transitions(Counter((c.old, c.new) for c in items), "transitions")
        + '<table class="findings"><thead><tr><th scope=col>transfer</th><th scope=col>flow</th>'
        "<th scope=col>verdict</th><th scope=col>where</th><th scope=col>reasons removed</th>"
        f"<th scope=col>reasons added</th></tr></thead><tbody>{shown}</tbody></table>{more}</section>"
    )


def _moved(result: DiffResult) -> str:
    """Verdict before -> verdict after of the transfers whose verdict moved: the edit at a glance."""
    return (
        '<section class="diagram"><h2>Verdicts moved</h2>'
        '<div class="chart sankey" id="sankey-moved" role="img" aria-label="Transfers by old and new verdict; '
        'the table after it gives the same numbers"></div>'
        + (
            _transitions(result.changed_transitions(), "Changed transfers by transition")
            if result.changed
            else ""
        )
        + "</section>"
    )


def render(result: DiffResult) -> str:
    before: Counter[FlowKey] = Counter()
    after: Counter[FlowKey] = Counter()
    for (o, d, a, b), n in result.flows.items():
        before[(o, d, a)] += n
        after[(o, d, b)] += n
    n, changed = result.total, len(result.changed)
    share = f" ({100 * changed / n:.1f}%)" if n else ""
    parts = [
        f'<section class="summary"><p class=counts><strong>{n:,} transfers</strong> decided under both '
        f"versions: <strong>{changed:,} changed</strong>{share}"
        + (f"; {len(result.errors):,} could not be decided" if result.errors else "")
        + ".</p></section>",
        _moved(result),
        '<section class="diagram"><h2>Flows before and after</h2><div class="charts-2">',
        f"<div><h3>before: <code>{escape(result.old_label)}</code></h3>"
        '<div class="chart sankey" id="sankey-before" role="img" aria-label="Flows under the old catalogues; the table after it gives the same numbers"></div>'
        + flows_table(before, "Transfers by flow and verdict, before", "flows-before")
        + "</div>",
        f"<div><h3>after: <code>{escape(result.new_label)}</code></h3>"
        '<div class="chart sankey" id="sankey-after" role="img" aria-label="Flows under the new catalogues; the table after it gives the same numbers"></div>'
        + flows_table(after, "Transfers by flow and verdict, after", "flows-after")
        + "</div></div></section>",
    ]
    if result.catalogue_changes:
        items = "".join(f"<li>{escape(c)}</li>" for c in result.catalogue_changes)
        parts.append(f"<section><h2>Catalogue changes</h2><ul>{items}</ul></section>")
    if result.changed:
        parts.append("<section><h2>Changes by responsible entries</h2>")
        parts += [_group(key, items) for key, items in result.groups()]
        parts.append("</section>")
    if result.errors:
        items = "".join(f"<li>{escape(e)}</li>" for e in result.errors)
        parts.append(
            f'<section class="problems" role="alert"><h2>Not decided: {len(result.errors):,}</h2><ul>{items}</ul></section>'
        )

    def flows(counts: Counter[FlowKey]) -> list[list[object]]:
        return [[o, d, v, k] for (o, d, v), k in sorted(counts.items())]

    moved = sorted(Counter((c.old, c.new) for c in result.changed if c.old != c.new).items())
    data = {
        "kind": "diff",
        "before": flows(before),
        "after": flows(after),
        "moved": [[a, b, b, k] for (a, b), k in moved],
    }
    title = f"dataflow-rules diff {result.old_label} -> {result.new_label}"
    return page(
        title,
        "".join(parts),
        data,
        f"What the catalogue change moves: {result.old_label} → {result.new_label}",
    )
