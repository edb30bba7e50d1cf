"""The machine-readable form: stable field order, documented in docs/semantics.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .. import __version__
from ..jsonio import dumps_indented
from ..models.decision import Decision, Verdict

if TYPE_CHECKING:
    from ..errors import DataflowRulesError

SCHEMA_VERSION = 1


def render(decisions: Sequence[Decision], colour: bool = False) -> str:
    """The decisions as the documented JSON; ``colour`` is never used (JSON has none), taken
    so every decisions writer is called alike (render/formats.py)."""
    body = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dataflow-rules", "version": __version__},
        "verdict": Verdict.strictest([d.verdict for d in decisions]).value,
        "decisions": [d.model_dump(mode="json") for d in decisions],
    }
    return dumps_indented(body)


def render_failure(error: DataflowRulesError) -> str:
    """The JSON form of a failed run, for pipelines that read --format json: every
    problem with its file, line, column and field, and the exit code."""
    problems = []
    for p in error.problems:
        where = p.location
        problems.append(
            {
                "file": where.file if where else None,
                "line": where.line if where else None,
                "column": where.column if where else None,
                "field": where.field if where else None,
                "message": p.message,
            }
        )
    doc = {
        "schema_version": 1,
        "error": type(error.problems[0]).__name__.removesuffix("Error").lower(),  # input, catalogue, engine
        "exit_code": error.exit_code,
        "errors": problems,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
