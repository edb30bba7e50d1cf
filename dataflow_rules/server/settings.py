"""What a running service was started with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..models.decision import Verdict

DEFAULT_PORT = 8000
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (1 MiB): thousands of transfers, far below harm."""
MAX_TRANSFERS = 1000
"""Most transfers decided in one request."""
REQUESTER_HEADER = "X-Requested-By"
"""The header that names who asks, stored in the audit record."""
MAX_RECORD_ID = 2**63 - 1
"""The largest id an audit record can have: both stores keep ids as signed 64-bit integers
(SQLite INTEGER, PostgreSQL bigint). A larger number names no record, and the database
drivers refuse to even bind it, so it has to be turned away before it reaches a store."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    policies: Path | None = None
    """Policy directory; None: the catalogues shipped with the package."""
    audit_db: str | None = None
    """Audit store URL or path; None: the default location (see dataflow_rules.audit)."""
    unlisted: Verdict = Verdict.REVIEW
    max_body_bytes: int = MAX_BODY_BYTES
    max_transfers: int = MAX_TRANSFERS
