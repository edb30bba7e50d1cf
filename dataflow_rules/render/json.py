"""The machine-readable form: stable field order, documented in docs/semantics.md."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .. import __version__
from ..models.decision import Decision, Verdict

SCHEMA_VERSION = 1


def render(decisions: Sequence[Decision]) -> str:
    body = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dataflow-rules", "version": __version__},
        "verdict": Verdict.strictest([d.verdict for d in decisions]).value,
        "decisions": [d.model_dump(mode="json") for d in decisions],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
