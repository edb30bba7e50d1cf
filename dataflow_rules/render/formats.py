"""The one registry of output formats: every format any command writes, with what it is, and
which formats each kind of result can be written in.

Every command's ``--format`` takes its choices from here (:func:`choices`, read by
``options.format_option``), so a format is spelt and described once. A scan result's
writers are registered by name with a loader that imports the writer only when the format is
used, so ``dataflow-rules`` starts as fast as before. To add a scan format (e.g. ``xml``), add
it to :data:`FORMATS`, write a module with ``render(result, context) -> str`` and call::

    register("xml", _lazy("dataflow_rules.render.scan_xml", "render"))

``--format NAME`` and ``--format NAME:FILE`` then work, ``--help`` and the usage error list
it, and the config file's ``format:`` accepts it. Every other command's result (``check``,
``validate``, ``lint``, ``vocab``, ``audit``, ``test``, ``diff``, ``explain``) is written
through :func:`write` (or :func:`writer`): :data:`WRITERS` names the module and function of
each of its formats, its ``--format`` choices are their keys, and a name it does not list is
:class:`UnknownFormat`.
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


def _in(module: str, **functions: str) -> dict[str, tuple[str, str]]:
    """Formats whose writers are functions of one module of this package:
    ``_in("json", text="render")`` -> ``{"text": ("dataflow_rules.render.json", "render")}``."""
    return {name: (f"dataflow_rules.{module}", function) for name, function in functions.items()}


WRITERS: dict[str, dict[str, tuple[str, str]]] = {
    # check: (decisions, colour=)
    "decisions": _in("render.text", text="render") | _in("render.json", json="render"),
    # check, a run that failed: (error); its text form is the error lines on stderr
    "failure": _in("render.json", json="render_failure"),
    # validate, lint: (problems)
    "validation": _in("render.problems", text="validation_text", json="render_json"),
    "lint": _in("render.problems", text="lint_text", json="render_json", sarif="lint_sarif"),
    # vocab: (policies, kinds)
    "vocabulary": _in("render.vocab_report", text="render_text", markdown="render_markdown"),
    # audit list: (records); audit show: (record)
    "audit-list": _in("render.audit_report", text="list_text", json="list_json"),
    "audit-record": _in("render.audit_report", text="record_text", json="record_json"),
    # audit export: (records, out) -> count, streamed as the store reads them, not returned
    "audit-export": _in("render.audit_export", csv="write_csv", json="write_json"),
    # explain: (explanations, show_all=)
    "trace": _in("render.explain_report", text="render_text", json="render_json"),
    # test: (run, threshold=, verbose=)
    "suites": _in("render.suite_report", text="render_text", json="render_json"),
    # diff: (result)
    "diff": _in("render.diff_report", text="render_text", json="render_json", markdown="render_markdown")
    | _in("render.html_diff", html="render"),
}
"""Kind of result -> format -> (module, function) of its writer, imported when used: the one
place a format name becomes a writer for every command but ``scan`` (whose writers are
registered below, as they stream). The writers of one kind take the same arguments (the
comment beside each) and return the whole report, ending in a newline; ``audit-export``'s
write to a stream instead, as the store reads its records (an export is never held whole)."""


class UnknownFormat(ValueError):
    """A format name a kind of result is not written in: the one error every command's
    ``--format`` reports (as a usage error, exit 2)."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name, self.choices = kind, name, choices(kind)
        super().__init__(f"'{name}' is not one of {', '.join(map(repr, self.choices))}.")


def writer(kind: str, name: str) -> Callable[..., Any]:
    """The writer of format ``name`` for a ``kind`` of result, imported now; an unknown
    pair is :class:`UnknownFormat`."""
    try:
        module, function = WRITERS[kind][name]
    except KeyError:
        raise UnknownFormat(kind, name) from None
    found: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return found


def write(kind: str, name: str, result: object, **options: Any) -> str:
    """``result`` (a ``kind`` of result: ``diff``, ``suites``, ``trace``, ...) written as
    format ``name``, by the writer :data:`WRITERS` names for it."""
    text: str = writer(kind, name)(result, **options)
    return text


def writes(kind: str, name: str) -> bool:
    """Whether a ``kind`` of result has a writer for format ``name`` (a failed ``check``
    has a JSON document, and in text only its error lines)."""
    return name in WRITERS.get(kind, {})


def check(kind: str, name: str) -> str:
    """``name``, if ``kind`` is written in it; else :class:`UnknownFormat`."""
    if name not in choices(kind):
        raise UnknownFormat(kind, name)
    return name


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
    """The format names a ``kind`` of result is written in (``scan``: the registered ones),
    in the order their writers are listed: what every ``--format`` offers, lists and accepts."""
    return names() if kind == "scan" else tuple(WRITERS[kind])


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
