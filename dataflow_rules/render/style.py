"""Colour for the text writers, through rich: one place decides whether to colour and how
a verdict, a heading or a note looks, so ``check``, ``scan`` and every other text report
colour alike, and NO_COLOR (https://no-color.org) turns colour off everywhere.

rich is imported only when colour is on, so a plain run (a pipe, a CI log) does not pay for
it at start-up.
"""

from __future__ import annotations

import os
from functools import cache
from typing import IO

from ..models.decision import Verdict

VERDICT_STYLES = {Verdict.ALLOW: "bold green", Verdict.REVIEW: "bold yellow", Verdict.RESTRICT: "bold red"}


def wants_colour(flag: bool | None, stream: IO[str]) -> bool:
    """``--colour``/``--no-colour`` if given; else colour when ``stream`` is a terminal and
    NO_COLOR is not set (to any value but the empty string, as no-color.org asks)."""
    if flag is not None:
        return flag
    return stream.isatty() and not os.environ.get("NO_COLOR")


@cache
def _codes(style: str) -> tuple[str, str]:
    """The escape codes that open and close ``style``."""
    from rich.color import ColorSystem
    from rich.style import Style

    # The 8 standard colours every terminal has, whatever this process's terminal is.
    rendered = Style.parse(style).render("\0", color_system=ColorSystem.STANDARD)
    opening, _, closing = rendered.partition("\0")
    return opening, closing


def paint(text: str, style: str, colour: bool) -> str:
    """``text`` in ``style`` (a rich style: ``bold red``, ``dim``) when ``colour``."""
    if not colour:
        return text
    opening, closing = _codes(style)
    return f"{opening}{text}{closing}"


def verdict(text: str, v: Verdict, colour: bool) -> str:
    return paint(text, VERDICT_STYLES[v], colour)
