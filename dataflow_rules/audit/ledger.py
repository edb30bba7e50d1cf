"""The audit trail as a ledger: earlier recorded transfers, for thresholds the law counts
across transfers (China since 1 January, the US rule over the preceding 12 months).

Each record holds the transfer as it was decided and the as-of date it was decided on, so
its items are counted on the transfer's own date (else that as-of date). Only the newest
record of each transfer id counts: deciding the same transfer again is not a second
transfer.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from ..engine.counting import Ledger
from ..models.transfer import Transfer
from .records import AuditError, AuditRecord
from .store import AuditStore


def load_ledger(store: AuditStore) -> Ledger:
    return LedgerReader(store).read()


class LedgerReader:
    """The ledger of one store, read once and then only the records appended since (the
    service keeps one, so a decision does not re-read the whole trail)."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self.seen = 0
        self.newest: dict[str, tuple[int, Transfer, dt.date]] = {}

    def read(self) -> Ledger:
        for row in self.store.rows(after=self.seen):
            record = AuditRecord.of(row)
            try:
                transfer = Transfer.model_validate(record.transfer)
                day = dt.date.fromisoformat(str(record.decision.get("as_of")))
            except (ValidationError, ValueError, TypeError) as exc:
                raise AuditError(
                    f"record {record.seq} cannot be read as a transfer, so the ledger is incomplete: {exc}"
                ) from None
            self.newest[transfer.id] = (record.seq, transfer, day)
            self.seen = record.seq
        ledger = Ledger()
        for seq, transfer, day in sorted(self.newest.values(), key=lambda v: v[0]):
            ledger.add_transfer(transfer, f"record {seq}", day)
        return ledger
