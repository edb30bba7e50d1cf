"""The machine-readable form: stable field order, documented in docs/semantics.md."""

from __future__ import annotations

from collections.abc import Sequence

from .. import __version__
from ..jsonio import dumps_indented
from ..models.decision import Decision, Verdict

SCHEMA_VERSION = 1


def render(decisions: Sequence[Decision]) -> str:
    body = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dataflow-rules", "version": __version__},
        "verdict": Verdict.strictest([d.verdict for d in decisions]).value,
        "decisions": [d.model_dump(mode="json") for d in decisions],
    }
    return dumps_indented(body)
