"""``vocab`` as text (aligned ``word  meaning`` lines) or as the Markdown tables
docs/transfers.md embeds: each vocabulary under its own heading when more than one is listed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..vocab import FIELD, Kind, words

if TYPE_CHECKING:
    from ..models.policies import Policies


def table_text(policies: Policies, kind: Kind) -> str:
    """Aligned ``word  meaning`` lines."""
    table = words(policies, kind)
    width = max((len(w) for w in table), default=0)
    return "".join(f"{w:<{width}}  {m}\n" for w, m in table.items())


def table_markdown(policies: Policies, kind: Kind) -> str:
    """A Markdown table, as docs/transfers.md embeds it."""
    rows = [f"| `{w}` | {m.replace('|', '/')} |" for w, m in words(policies, kind).items()]
    return (
        f"| {FIELD[kind]} | {'what reaches it' if kind is Kind.lanes else 'meaning'} |\n|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )


def render_text(policies: Policies, kinds: Sequence[Kind]) -> str:
    return _tables(policies, kinds, table_text)


def render_markdown(policies: Policies, kinds: Sequence[Kind]) -> str:
    return _tables(policies, kinds, table_markdown)


def _tables(policies: Policies, kinds: Sequence[Kind], table: Callable[[Policies, Kind], str]) -> str:
    parts = []
    for k in kinds:
        head = "" if len(kinds) == 1 else f"{k.value} ({FIELD[k]}):\n"
        parts.append(head + table(policies, k))
    return "\n".join(parts)
