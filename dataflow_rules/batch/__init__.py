"""Batch evaluation: ``dataflow-rules batch IN.jsonl --output OUT.jsonl`` (docs/batch.md).

Streams JSON lines through one engine per worker process, writes one record per line in
input order, and resumes an interrupted output without losing or repeating a line.

Importing this package is cheap (the CLI imports it to register the command); the
names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import LineDecider, decider_for, parse_line, read_line, ship, unship
    from .runner import Interrupted, Summary, run_batch

_LAZY = {
    "LineDecider": "records",
    "decider_for": "records",
    "parse_line": "records",
    "read_line": "records",
    "ship": "records",
    "unship": "records",
    "Interrupted": "runner",
    "Summary": "runner",
    "run_batch": "runner",
}

__all__ = [
    "Interrupted",
    "LineDecider",
    "Summary",
    "decider_for",
    "parse_line",
    "read_line",
    "run_batch",
    "ship",
    "unship",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
