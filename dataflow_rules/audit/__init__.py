"""The audit trail: every recorded decision, append-only and hash-chained.

    from dataflow_rules.audit import open_store, NewRecord
    with open_store("audit.sqlite") as store:       # or a postgresql:// URL
        [stored] = store.append([NewRecord.of(transfer, decision, policies,
                                              requested_by="alice", channel="cli")])
        assert store.verify().ok

Back-ends are imported when a store is opened, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..models.decision import Decision
from ..models.policies import Policies
from ..models.transfer import Transfer
from .records import AuditError, AuditRecord, Channel, NewRecord, Row, Verification, clean_requester
from .store import AuditStore, Query, default_location, open_store

__all__ = [
    "AuditError",
    "AuditRecord",
    "AuditStore",
    "Channel",
    "NewRecord",
    "Query",
    "Row",
    "Verification",
    "clean_requester",
    "default_location",
    "open_store",
    "record_decisions",
]


def record_decisions(
    url: str | None,
    decided: Sequence[tuple[Transfer, Decision]],
    policies: Policies,
    *,
    requested_by: str | None,
    channel: Channel,
    options: Mapping[str, Any] | None = None,
) -> tuple[str, list[AuditRecord]]:
    """Open the store at ``url``, append every decision in one transaction, close it.

    Returns where the records went and the records as stored.
    """
    with open_store(url) as store:
        stored = store.append(
            [
                NewRecord.of(t, d, policies, requested_by=requested_by, channel=channel, options=options)
                for t, d in decided
            ]
        )
        return store.display, stored
