"""Baselines: the findings an estate already had, so a scan reports only new ones.

``--create-baseline FILE`` writes the fingerprints of every finding that is not waived;
``--baseline FILE`` then leaves those findings out of every report and of the exit code.
A fingerprint hashes the file, the transfer id, the rule id, the side and the categories
(not line numbers), so editing around a finding does not make it new, while changing the
data it is about does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import __version__
from ..errors import InputError, Location
from ..loading import read_text
from ..models.scan import Finding

BASELINE_VERSION = 1


def fingerprint(file: str, transfer: str, rule_id: str, parts: Sequence[str]) -> str:
    text = "\0".join(("v1", file, transfer, rule_id, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def render_baseline(entries: Iterable[tuple[str, str, Finding]]) -> str:
    rows = sorted(
        {(f.fingerprint, file, transfer, f.rule_id) for file, transfer, f in entries if not f.waived}
    )
    body = {
        "baseline_version": BASELINE_VERSION,
        "tool": {"name": "dataflow-rules", "version": __version__},
        "findings": [
            {"fingerprint": fp, "file": file, "transfer": t, "rule_id": r} for fp, file, t, r in rows
        ],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def load_baseline(path: Path, display: str) -> set[str]:
    text = read_text(path, InputError)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", Location(display, exc.lineno, exc.colno)) from None
    if not isinstance(body, dict) or body.get("baseline_version") != BASELINE_VERSION:
        raise InputError(
            f"not a dataflow-rules baseline (expected baseline_version {BASELINE_VERSION})", Location(display)
        )
    extra = sorted(set(body) - {"baseline_version", "tool", "findings"})
    if extra:
        # The scan skips its own baseline file unread: a transfer's fields beside the
        # baseline's (origin, destination, data) were never decided, and that gate passed.
        raise InputError(f"unknown field '{extra[0]}' in a baseline", Location(display))
    rows = body.get("findings")
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and isinstance(r.get("fingerprint"), str) for r in rows
    ):
        raise InputError("findings must be a list of objects with a 'fingerprint'", Location(display))
    return {r["fingerprint"] for r in rows}
