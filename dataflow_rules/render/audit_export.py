"""``audit export``: the audit trail as CSV (for spreadsheets) or JSON (complete, for machines).

Both carry every record's hash and predecessor hash, so an export can be checked against
the store later. The CSV also carries the transfer and the decision as JSON cells, so no
information is lost; a cell that a spreadsheet would run as a formula (starting with
``= + - @``) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from ..jsonio import canonical

if TYPE_CHECKING:  # the records' shape only: the writer reads no store
    from ..audit.records import AuditRecord

CSV_COLUMNS = (
    "id",
    "created_at",
    "requested_by",
    "channel",
    "tool_version",
    "transfer_id",
    "origin",
    "destination",
    "verdict",
    "as_of",
    "reasons",
    "catalogues",
    "prev_hash",
    "hash",
    "transfer_json",
    "decision_json",
)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(record: AuditRecord) -> list[str]:
    r, d = record.row, record.decision
    reasons = "; ".join(
        f"{x.get('verdict')} {x.get('jurisdiction')} {x.get('kind')}"
        + (f" {x['entry_id']}" if x.get("entry_id") else "")
        for x in d.get("reasons", [])
        if isinstance(x, dict)
    )
    catalogues = "; ".join(
        f"{c.get('jurisdiction')} {c.get('version')} sha256:{c.get('digest')}"
        for c in d.get("catalogues", [])
        if isinstance(c, dict)
    )
    values: list[Any] = [
        r.seq,
        r.created_at,
        r.requested_by,
        record.content.get("channel"),
        record.tool_version,
        r.transfer_id,
        r.origin,
        r.destination,
        r.verdict,
        d.get("as_of"),
        reasons,
        catalogues,
        r.prev_hash,
        r.hash,
        canonical(record.transfer),
        canonical(d),
    ]
    return [_cell(v) for v in values]


def write_csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    """A header, then one row a record, streamed; the number of records."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        writer.writerow(csv_row(record))
        count += 1
    return count


def write_json(records: Iterable[AuditRecord], out: TextIO) -> int:
    """A JSON array, one complete record per line, streamed; the number of records."""
    count = 0
    out.write("[")
    for record in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(record.as_json(), ensure_ascii=False, sort_keys=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
