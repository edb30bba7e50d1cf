"""The one registry of output formats: every format any command writes, with what it is, and
which formats each kind of result can be written in.

Every command's ``--format`` takes its choices from here (:func:`choices`, read by
``options.format_option``), so a format is spelt and described once. A scan result's
writers are registered by name with a loader that imports the writer only when the format is
used, so ``dataflow-rules`` starts as fast as before. To add a scan format (e.g. ``xml``), add
it to :data:`FORMATS`, write a module with ``render(result, context) -> str`` and call::

    register("xml", _lazy("dataflow_rules.render.scan_xml", "render"))

``--format NAME`` and ``--format NAME:FILE`` then work, ``--help`` and the usage error list
it, and the config file's ``format:`` accepts it. The workbench's reports (``test``, ``diff``,
``explain``) are written the same way, through :func:`write`: :data:`WRITERS` names the
module and function of each of their formats, and their ``--format`` choices are its keys.
This module imports nothing heavy itself: the CLI reads it at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..models.scan import ScanReport


@dataclass(frozen=True)
class TextStyle:
    """How much the human-readable formats say (``--compact``, ``--quiet``)."""

    compact: bool = False
    """One line a finding; each citation once, in a legend at the end."""
    quiet: bool = False
    """Only what fails: failing findings and input errors (and the summary line)."""


@dataclass(frozen=True)
class RenderContext:
    colour: bool = False
    style: TextStyle = TextStyle()
    links: str = ""
    """Prefix that makes a manifest path relative to where the report is written (HTML)."""


Renderer = Callable[["ScanReport", RenderContext], str]
Writer = Callable[["ScanReport", RenderContext, TextIO], None]
"""Writes a report to a stream as it reads the scan's files back (scan/spool.py), so a
large scan's report is never held whole."""


FORMATS: dict[str, str] = {
    "text": "for people",
    "json": "the full result model, for tools",
    "sarif": "SARIF 2.1.0 for code scanning",
    "junit": "JUnit XML test report",
    "github": "GitHub Actions annotations",
    "markdown": "Markdown, for a pull request or the docs",
    "html": "a self-contained HTML report",
    "csv": "comma-separated values, one row a record",
}
"""Every output format of the tool, in the order help lists them."""

WRITERS: dict[str, dict[str, tuple[str, str]]] = {
    "trace": {  # explain: (explanations, show_all=)
        "text": ("dataflow_rules.render.explain_report", "render_text"),
        "json": ("dataflow_rules.render.explain_report", "render_json"),
    },
    "suites": {  # test: (run, threshold=, verbose=)
        "text": ("dataflow_rules.render.suite_report", "render_text"),
        "json": ("dataflow_rules.render.suite_report", "render_json"),
    },
    "diff": {  # (result)
        "text": ("dataflow_rules.render.diff_report", "render_text"),
        "json": ("dataflow_rules.render.diff_report", "render_json"),
        "markdown": ("dataflow_rules.render.diff_report", "render_markdown"),
        "html": ("dataflow_rules.render.html_diff", "render"),
    },
}
"""Kind of result -> format -> (module, function) of its writer, imported when used. The
writers of one kind take the same arguments (the comment beside each) and return the whole
report, ending in a newline."""

WRITTEN_AS: dict[str, tuple[str, ...]] = {
    "decisions": ("text", "json"),  # check
    "validation": ("text", "json"),  # validate
    "lint": ("text", "json", "sarif"),
    "vocabulary": ("text", "markdown"),
    "audit-list": ("text", "json"),
    "audit-export": ("csv", "json"),
    **{kind: tuple(writers) for kind, writers in WRITERS.items()},
}
"""The formats each kind of result is written in; a scan's are the registered writers."""


def write(kind: str, name: str, result: object, **options: Any) -> str:
    """``result`` (a ``kind`` of result: ``diff``, ``suites``, ``trace``) written as format
    ``name``, by the writer :data:`WRITERS` names for it."""
    module, function = WRITERS[kind][name]
    writer: Callable[..., str] = getattr(importlib.import_module(module), function)
    return writer(result, **options)


@dataclass(frozen=True)
class Format:
    name: str
    renderer: Renderer
    description: str
    writer: Writer


_REGISTRY: dict[str, Format] = {}


def register(name: str, renderer: Renderer, writer: Writer | None = None) -> None:
    """Make ``scan --format name`` render with ``renderer`` (and write with ``writer``,
    default: the rendered text at once); a name is registered once and is one of
    :data:`FORMATS`."""
    if name in _REGISTRY or name not in FORMATS:
        raise ValueError(f"format name '{name}' is taken or not in FORMATS")

    def whole(result: ScanReport, context: RenderContext, out: TextIO) -> None:
        out.write(renderer(result, context))

    _REGISTRY[name] = Format(name, renderer, FORMATS[name], writer or whole)


def choices(kind: str) -> tuple[str, ...]:
    """The format names a ``kind`` of result is written in (``scan``: the registered ones)."""
    return names() if kind == "scan" else WRITTEN_AS[kind]


def _lazy(module: str, function: str) -> Renderer:
    """A renderer that imports ``module.function(result, context)`` on first use."""

    def renderer(result: ScanReport, context: RenderContext) -> str:
        loaded: Renderer = getattr(importlib.import_module(module), function)
        return loaded(result, context)

    return renderer


def _lazy_writer(module: str, function: str, context: bool = False) -> Writer:
    """A writer that imports ``module.function`` on first use: ``function(result, out)``,
    or with ``context`` ``function(result, context, out)``."""

    def writer(result: ScanReport, given: RenderContext, out: TextIO) -> None:
        loaded = getattr(importlib.import_module(module), function)
        if context:
            loaded(result, given, out)
        else:
            loaded(result, out)

    return writer


def _plain(module: str, function: str) -> Renderer:
    """A renderer for a ``function(result)`` that takes no context (JSON, SARIF, JUnit)."""

    def renderer(result: ScanReport, context: RenderContext) -> str:
        loaded: Callable[[ScanReport], str] = getattr(importlib.import_module(module), function)
        return loaded(result)

    return renderer


def render(name: str, result: ScanReport, colour: bool, style: TextStyle, links: str = "") -> str:
    return _REGISTRY[name].renderer(result, RenderContext(colour, style, links))


def write_scan(
    name: str, result: ScanReport, out: TextIO, colour: bool, style: TextStyle, links: str = ""
) -> None:
    """Write format ``name`` to ``out``, as the writer reads the scan's files back."""
    _REGISTRY[name].writer(result, RenderContext(colour, style, links), out)


def _html(result: ScanReport, context: RenderContext) -> str:
    from ..render.html_report import render as render_html

    return render_html(result, context.links)


register(
    "text",
    _lazy("dataflow_rules.render.scan_text", "render_context"),
    _lazy_writer("dataflow_rules.render.scan_text", "write_context", context=True),
)
register(
    "json",
    _plain("dataflow_rules.render.scan_json", "render"),
    _lazy_writer("dataflow_rules.render.scan_json", "write"),
)
register(
    "sarif",
    _plain("dataflow_rules.render.sarif", "render"),
    _lazy_writer("dataflow_rules.render.sarif", "write"),
)
register(
    "junit",
    _plain("dataflow_rules.render.junit", "render"),
    _lazy_writer("dataflow_rules.render.junit", "write"),
)
register(
    "github",
    _plain("dataflow_rules.render.github", "render"),
    _lazy_writer("dataflow_rules.render.github", "write"),
)
register("html", _html)


def names() -> tuple[str, ...]:
    """The registered format names, in registration order."""
    return tuple(_REGISTRY)
