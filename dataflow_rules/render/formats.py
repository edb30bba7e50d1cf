"""The registry of scan output formats: name -> renderer of one :class:`ScanResult`.

To add a format (e.g. ``html``), write a module with ``render(result, context) -> str`` and
call :func:`register` below, at the end of this file, with a loader that imports it only
when the format is used, so ``dataflow-rules`` starts as fast as before::

    register("html", _lazy("dataflow_rules.scan.html", "render"), "a self-contained HTML page")

``--format NAME`` and ``--format NAME:FILE`` then work, ``--help`` and the usage error list
it, and the config file's ``format:`` accepts it. Nothing else needs to change. This module
imports nothing heavy itself: the CLI reads :data:`FORMATS` at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
class Format:
    name: str
    renderer: Renderer
    description: str


_REGISTRY: dict[str, Format] = {}


def register(name: str, renderer: Renderer, description: str) -> None:
    """Make ``--format name`` render with ``renderer``; a name is registered once."""
    if name in _REGISTRY or not name.isidentifier():
        raise ValueError(f"format name '{name}' is taken or not an identifier")
    _REGISTRY[name] = Format(name, renderer, description)


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


register("text", _lazy("dataflow_rules.render.scan_text", "render_context"), "grouped by file, for people")
register("json", _plain("dataflow_rules.render.scan_json", "render"), "the full result model")
register("sarif", _plain("dataflow_rules.render.sarif", "render"), "SARIF 2.1.0 for code scanning")
register("junit", _plain("dataflow_rules.render.junit", "render"), "JUnit XML test report")
register("github", _plain("dataflow_rules.render.github", "render"), "GitHub Actions annotations")
register("html", _html, "a self-contained HTML report with a flow diagram")


def names() -> tuple[str, ...]:
    """The registered format names, in registration order."""
    return tuple(_REGISTRY)
