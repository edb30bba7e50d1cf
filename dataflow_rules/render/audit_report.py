"""The audit trail read back: ``audit list`` (a table, or each record's summary as JSON)
and ``audit show`` (one record as text, the decision as ``check`` prints it, or as JSON).

Writes records the store has read; it reads no store itself. ``audit export`` is
render/audit_export.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..audit.records import AuditRecord


def list_text(records: Sequence[AuditRecord]) -> str:
    """One aligned row a record, newest first as given, under a header."""
    if not records:
        return "no recorded decisions match\n"
    lines = [f"{'ID':>6}  {'TIME (UTC)':<27} {'VERDICT':<8}  {'ROUTE':<8} {'TRANSFER':<32} REQUESTED BY"]
    for r in records:
        row = r.row
        lines.append(
            f"{row.seq:>6}  {row.created_at:<27} {row.verdict:<8}  {row.origin + '->' + row.destination:<8} "
            f"{row.transfer_id:<32} {row.requested_by or '-'}"
        )
    return "\n".join(lines) + "\n"


def list_json(records: Sequence[AuditRecord]) -> str:
    return json.dumps([r.summary() for r in records], indent=2, ensure_ascii=False) + "\n"


def record_json(record: AuditRecord) -> str:
    return json.dumps(record.as_json(), indent=2, ensure_ascii=False) + "\n"


def record_text(record: AuditRecord) -> str:
    """A record as text: who, when, with what, then the decision as ``check`` prints it."""
    import yaml

    from ..models.decision import Decision
    from .text import render

    row, content = record.row, record.content
    cats = content.get("catalogues", {}) if isinstance(content.get("catalogues"), dict) else {}
    lines = [
        f"record {row.seq}  {row.created_at}  requested by {row.requested_by or '(not stated)'}"
        f"  via {content.get('channel', '?')}  dataflow-rules {record.tool_version}",
        f"hash {row.hash}",
        f"prev {row.prev_hash}",
    ]
    tax = cats.get("taxonomy") or {}
    lines.append(f"taxonomy {tax.get('version')}  sha256:{tax.get('digest')}")
    for c in cats.get("catalogues", []):
        lines.append(f"catalogue {c.get('jurisdiction')} {c.get('version')}  sha256:{c.get('digest')}")
    lines.append("")
    lines.append("transfer:")
    dumped = yaml.safe_dump(record.transfer, sort_keys=False, allow_unicode=True, width=88)
    lines += ["  " + line for line in dumped.splitlines()]
    lines.append("")
    try:
        decision = Decision.model_validate(record.decision)
        lines.append(render([decision]).rstrip("\n"))
    except ValueError:
        lines.append("decision (not readable as a decision of this version):")
        lines.append(json.dumps(record.decision, indent=2, ensure_ascii=False))
    return "\n".join(lines) + "\n"
