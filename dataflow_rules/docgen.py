"""Regenerate the vocabulary tables of docs/transfers.md from the loaded taxonomy.

Each table sits between ``<!-- vocab KIND -->`` and ``<!-- /vocab -->``; ``python -m
dataflow_rules.docgen docs/transfers.md`` rewrites them, and a test checks the page
equals its regeneration, so the documented vocabularies cannot drift from the taxonomy.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .catalogues import load_policies
from .models.policies import Policies
from .render.vocab_report import table_markdown
from .vocab import Kind

BLOCK = re.compile(r"(<!-- vocab (\w+) -->\n)(.*?)(<!-- /vocab -->)", re.S)


def regenerate(text: str, policies: Policies) -> str:
    """``text`` with every vocabulary block replaced by its current table."""

    def table(m: re.Match[str]) -> str:
        return f"{m[1]}{table_markdown(policies, Kind(m[2]))}{m[4]}"

    return BLOCK.sub(table, text)


def main(argv: list[str]) -> int:
    policies = load_policies()
    for name in argv:
        path = Path(name)
        path.write_text(regenerate(path.read_text(encoding="utf-8"), policies), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
