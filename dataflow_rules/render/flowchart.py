"""The pieces every HTML flow report shares: the page shell with plotly.js inlined, the
Sankey trace's style, verdict colours, and the flows table that is the diagram's text
equivalent.

Why plotly: its Sankey draws origin -> destination flows as SVG in the browser, with
hover and redraw on filter, and ``plotly.offline.get_plotlyjs()`` gives the whole library
as one string, so a report is a single file that works offline (no CDN, no fetch). The
figure templates are built with ``plotly.graph_objects``, which checks every attribute
name, and completed in the page by ``report.js`` from the report's own data, so the
diagram and the filters count transfers the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from .. import __version__

VERDICTS = ("restrict", "review", "allow")
"""Strictest first: the order of legends, tables and filters."""

COLOURS = {"restrict": "#b03a2e", "review": "#b9770e", "allow": "#1e8449"}
"""Dark enough for white text and for AA contrast on white; the verdict is always also written."""

FlowKey = tuple[str, str, str]
"""(origin, destination, verdict)."""


@cache
def plotly_js() -> str:
    """The whole plotly.js bundle, inlined once per page (no network at render or view)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@cache
def asset(name: str) -> str:
    """report.js or report.css, as shipped in this package."""
    return files("dataflow_rules.render").joinpath(name).read_text(encoding="utf-8")


@cache
def sankey_template() -> dict[str, Any]:
    """The Sankey trace and layout without data; report.js fills nodes and links."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",d",
            valuesuffix=" transfers",
            node={"pad": 16, "thickness": 16, "line": {"color": "#444", "width": 0.5}, "color": "#5d6d7e"},
            link={"hovertemplate": "%{source.label} → %{target.label}: %{value}<extra></extra>"},
        )
    )
    figure.update_layout(
        template="none",
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        font={"size": 13, "family": "system-ui, sans-serif"},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    out: dict[str, Any] = figure.to_plotly_json()
    return out


@cache
def bar_template() -> dict[str, Any]:
    """A stacked bar chart's layout (decisions over time, by destination)."""
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(
        template="none",
        barmode="stack",
        margin={"l": 48, "r": 8, "t": 8, "b": 48},
        font={"size": 13, "family": "system-ui, sans-serif"},
        legend={"orientation": "h", "y": -0.2},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    out: dict[str, Any] = figure.to_plotly_json()
    return out


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def verdict_badge(verdict: str) -> str:
    return f'<span class="badge v-{escape(verdict)}">{escape(verdict)}</span>'


def flows_table(counts: Mapping[FlowKey, int], caption: str, table_id: str) -> str:
    """The diagram's text equivalent: one row per origin, destination and verdict."""
    rows = [
        f'<tr data-origin="{escape(o)}" data-destination="{escape(d)}" data-verdict="{escape(v)}">'
        f"<td>{escape(o)}</td><td>{escape(d)}</td><td>{verdict_badge(v)}</td>"
        f'<td class="num">{n:,}</td></tr>'
        for (o, d, v), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0], kv[0][1], VERDICTS.index(kv[0][2]))
        )
    ]
    total = sum(counts.values())
    return (
        f'<table class="flows" id="{escape(table_id)}"><caption>{escape(caption)}</caption>'
        "<thead><tr><th scope=col>origin</th><th scope=col>destination</th>"
        "<th scope=col>verdict</th><th scope=col class=num>transfers</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><th scope=row colspan=3>total</th><td class="num">{total:,}</td></tr></tfoot></table>'
    )


def count_flows(keys: Iterable[FlowKey]) -> Counter[FlowKey]:
    return Counter(keys)


def page(
    title: str, body: str, data: Mapping[str, Any], heading: str | None = None, defer_plotly: bool = False
) -> str:
    """One self-contained HTML document: styles, plotly.js, report.js and the data inline.

    ``defer_plotly``: plotly.js goes in an inert ``<script type="text/x-plotly">`` that
    report.js evaluates after the first frame, drawing a plain SVG diagram until then
    (evaluating the 4.8 MB bundle took 1.3-2.3 s of a 10,000-transfer report's opening)."""
    plotly = (
        f'<script type="text/x-plotly" id="plotly-src">{plotly_js()}</script>'
        if defer_plotly
        else f"<script>{plotly_js()}</script>"
    )
    return "".join(
        [
            "<!doctype html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="dataflow-rules {escape(__version__)}">',
            f"<title>{escape(title)}</title>",
            f"<style>{asset('report.css')}</style>",
            "</head><body>",
            f"<header><h1>{escape(heading or title)}</h1></header><main>",
            body,
            "</main>",
            f"<footer>dataflow-rules {escape(__version__)}; charts drawn with plotly.js, inlined: this file needs no network.</footer>",
            f'<script type="application/json" id="report-data">{script_json({**data, "colours": COLOURS})}</script>',
            f'<script type="application/json" id="sankey-template">{script_json(sankey_template())}</script>',
            f'<script type="application/json" id="bar-template">{script_json(bar_template())}</script>',
            plotly,
            f"<script>{asset('report.js')}</script>",
            "</body></html>\n",
        ]
    )
