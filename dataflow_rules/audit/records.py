"""What an audit record holds, how it is serialised, and how the hash chain is computed.

A record's *body* is the canonical JSON (sorted keys, no spaces, UTF-8) of everything it
says: its sequence number, its predecessor's hash, the time, who asked, the tool version,
the transfer as decided, the decision, and the digests of every loaded catalogue. Its
*hash* is the sha256 of those bytes. Because the body names the predecessor's hash, editing,
inserting or deleting any record breaks every hash after it, and :func:`verify_rows` finds
the first record that no longer fits. Deleting records from the *end* of the chain leaves a
shorter chain that still verifies: keep the head hash that ``audit verify`` prints somewhere
else, and pass it back with ``--head`` to detect that too.

Backends store the body verbatim next to a few copied columns (transfer id, route,
verdict, requester) that listing and searching use; the check compares those columns with
the body, so editing a copied column is detected as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .. import __version__
from ..errors import AuditError as AuditError
from ..jsonio import canonical as canonical  # the hashed form; checkpoints sign it too
from ..models.decision import Decision
from ..models.policies import Policies
from ..models.transfer import Transfer

GENESIS = "0" * 64
"""The predecessor hash of the first record."""
RECORD_FORMAT = 1
"""Bumped if the body's meaning ever changes; stored in every body."""
MAX_REQUESTER = 200

Channel = Literal["cli", "http", "web"]


def digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def clean_requester(value: str | None) -> str | None:
    """Who asked, as stored: trimmed, one line, printable, at most 200 characters.

    Raises ValueError with a plain message; callers turn it into their own error.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_REQUESTER:
        raise ValueError(f"is {len(text)} characters; the limit is {MAX_REQUESTER}")
    if any(not ch.isprintable() for ch in text):
        raise ValueError("must be printable text on one line")
    return text


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class NewRecord:
    """A decision about to be recorded, with everything needed to reproduce it."""

    transfer: dict[str, Any]
    decision: dict[str, Any]
    catalogues: dict[str, Any]
    requested_by: str | None
    channel: Channel
    options: dict[str, Any]

    @staticmethod
    def of(
        transfer: Transfer,
        decision: Decision,
        policies: Policies,
        *,
        requested_by: str | None,
        channel: Channel,
        options: Mapping[str, Any] | None = None,
    ) -> NewRecord:
        return NewRecord(
            transfer=transfer.model_dump(mode="json", exclude_none=True),
            decision=decision.model_dump(mode="json"),
            catalogues=loaded_catalogues(policies),
            requested_by=requested_by,
            channel=channel,
            options=dict(options or {}),
        )


def loaded_catalogues(policies: Policies) -> dict[str, Any]:
    """Version and digest of the taxonomy and every catalogue the decision was made with."""
    return {
        "taxonomy": {"version": policies.taxonomy.version, "digest": policies.taxonomy_digest},
        "catalogues": [
            {"jurisdiction": code, "version": lc.catalogue.version, "digest": lc.digest}
            for code, lc in policies.catalogues.items()
        ],
    }


@dataclass(frozen=True)
class Row:
    """A record exactly as a backend stores it (the columns, in this order)."""

    seq: int
    created_at: str
    requested_by: str | None
    transfer_id: str
    origin: str
    destination: str
    verdict: str
    body: str
    prev_hash: str
    hash: str


COLUMNS = tuple(Row.__dataclass_fields__)


def seal(new: NewRecord, seq: int, prev_hash: str, created_at: str) -> Row:
    """Give a new record its place in the chain."""
    body = canonical(
        {
            "format": RECORD_FORMAT,
            "seq": seq,
            "prev_hash": prev_hash,
            "created_at": created_at,
            "tool": {"name": "dataflow-rules", "version": __version__},
            "requested_by": new.requested_by,
            "channel": new.channel,
            "options": new.options,
            "transfer": new.transfer,
            "decision": new.decision,
            "catalogues": new.catalogues,
        }
    )
    d = new.decision
    return Row(
        seq=seq,
        created_at=created_at,
        requested_by=new.requested_by,
        transfer_id=str(d["transfer_id"]),
        origin=str(d["origin"]),
        destination=str(d["destination"]),
        verdict=str(d["verdict"]),
        body=body,
        prev_hash=prev_hash,
        hash=digest(body),
    )


@dataclass(frozen=True)
class AuditRecord:
    """A stored record, read back: the row plus its parsed body."""

    row: Row
    content: dict[str, Any]

    @staticmethod
    def of(row: Row) -> AuditRecord:
        try:
            content = json.loads(row.body)
        except ValueError:
            content = {}
        return AuditRecord(row, content if isinstance(content, dict) else {})

    @property
    def seq(self) -> int:
        return self.row.seq

    @property
    def hash(self) -> str:
        return self.row.hash

    @property
    def transfer(self) -> dict[str, Any]:
        value = self.content.get("transfer", {})
        return value if isinstance(value, dict) else {}

    @property
    def decision(self) -> dict[str, Any]:
        value = self.content.get("decision", {})
        return value if isinstance(value, dict) else {}

    @property
    def tool_version(self) -> str:
        tool = self.content.get("tool", {})
        return str(tool.get("version", "")) if isinstance(tool, dict) else ""

    def summary(self) -> dict[str, Any]:
        r = self.row
        return {
            "id": r.seq,
            "created_at": r.created_at,
            "requested_by": r.requested_by,
            "transfer_id": r.transfer_id,
            "origin": r.origin,
            "destination": r.destination,
            "verdict": r.verdict,
            "hash": r.hash,
        }

    def as_json(self) -> dict[str, Any]:
        """The full record as the API and ``audit show --format json`` give it."""
        c = self.content
        return {
            "id": self.row.seq,
            "created_at": self.row.created_at,
            "requested_by": self.row.requested_by,
            "channel": c.get("channel"),
            "tool": c.get("tool"),
            "options": c.get("options"),
            "transfer": self.transfer,
            "decision": self.decision,
            "catalogues": c.get("catalogues"),
            "prev_hash": self.row.prev_hash,
            "hash": self.row.hash,
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a chain: how many records, the head, and what is wrong."""

    count: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


MAX_PROBLEMS = 100


def verify_rows(rows: Iterable[Row], expected_head: str | None = None) -> Verification:
    """Check every record in sequence order against its body and its predecessor."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0

    def problem(text: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(text)

    for row in rows:
        count += 1
        where = f"record {row.seq}"
        if row.seq != expected_seq:
            gap = (
                f"record {expected_seq} is"
                if row.seq == expected_seq + 1
                else f"records {expected_seq}-{row.seq - 1} are"
            )
            problem(f"{where}: {gap} missing before it")
        if row.prev_hash != prev:
            problem(f"{where}: prev_hash does not match the hash of the record before it")
        if digest(row.body) != row.hash:
            problem(f"{where}: its content does not match its hash (the record was changed)")
        try:
            body = json.loads(row.body)
        except ValueError:
            problem(f"{where}: its content is not valid JSON")
            body = None
        if isinstance(body, dict):
            if canonical(body) != row.body:
                problem(f"{where}: its content is not in canonical form")
            found = body.get("decision")
            decision: dict[str, Any] = found if isinstance(found, dict) else {}
            copied = {
                "seq": (body.get("seq"), row.seq),
                "prev_hash": (body.get("prev_hash"), row.prev_hash),
                "created_at": (body.get("created_at"), row.created_at),
                "requested_by": (body.get("requested_by"), row.requested_by),
                "transfer_id": (decision.get("transfer_id"), row.transfer_id),
                "origin": (decision.get("origin"), row.origin),
                "destination": (decision.get("destination"), row.destination),
                "verdict": (decision.get("verdict"), row.verdict),
            }
            for name, (inside, column) in copied.items():
                if inside != column:
                    problem(f"{where}: column {name} does not match the recorded content")
        elif body is not None:
            problem(f"{where}: its content is not a JSON object")
        prev, expected_seq = row.hash, row.seq + 1
    if expected_head is not None and expected_head != prev:
        problem(
            f"the chain ends at {prev[:16]}..., not at the expected head {expected_head[:16]}..."
            " (records were removed from the end, or this is another store)"
        )
    return Verification(count, prev, problems)
