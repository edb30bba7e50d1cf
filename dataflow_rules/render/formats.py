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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models.scan import ScanResult


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


Renderer = Callable[["ScanResult", RenderContext], str]


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


_REGISTRY: dict[str, Format] = {}


def register(name: str, renderer: Renderer) -> None:
    """Make ``scan --format name`` render with ``renderer``; a name is registered once and is
    one of :data:`FORMATS`."""
    if name in _REGISTRY or name not in FORMATS:
        raise ValueError(f"format name '{name}' is taken or not in FORMATS")
    _REGISTRY[name] = Format(name, renderer, FORMATS[name])


def choices(kind: str) -> tuple[str, ...]:
    """The format names a ``kind`` of result is written in (``scan``: the registered ones)."""
    return names() if kind == "scan" else WRITTEN_AS[kind]


def _lazy(module: str, function: str) -> Renderer:
    """A renderer that imports ``module.function(result, context)`` on first use."""

    def renderer(result: ScanResult, context: RenderContext) -> str:
        loaded: Renderer = getattr(importlib.import_module(module), function)
        return loaded(result, context)

    return renderer


def _plain(module: str, function: str) -> Renderer:
    """A renderer for a ``function(result)`` that takes no context (JSON, SARIF, JUnit)."""

    def renderer(result: ScanResult, context: RenderContext) -> str:
        loaded: Callable[[ScanResult], str] = getattr(importlib.import_module(module), function)
        return loaded(result)

    return renderer


def render(name: str, result: ScanResult, colour: bool, style: TextStyle, links: str = "") -> str:
    return _REGISTRY[name].renderer(result, RenderContext(colour, style, links))


def _html(result: ScanResult, context: RenderContext) -> str:
    from ..render.html_report import render as render_html

    return render_html(result, context.links)


register("text", _lazy("dataflow_rules.render.scan_text", "render_context"))
register("json", _plain("dataflow_rules.render.scan_json", "render"))
register("sarif", _plain("dataflow_rules.render.sarif", "render"))
register("junit", _plain("dataflow_rules.render.junit", "render"))
register("github", _plain("dataflow_rules.render.github", "render"))
register("html", _html)


def names() -> tuple[str, ...]:
    """The registered format names, in registration order."""
    return tuple(_REGISTRY)
