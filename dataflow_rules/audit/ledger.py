"""The audit trail as a ledger: earlier recorded transfers, for thresholds the law counts
across transfers (China since 1 January, the US rule over the preceding 12 months).

Each record holds the transfer as it was decided and the as-of date it was decided on; its
items are counted on that as-of date (:func:`counted_on`), the day its own decision counted
its window to. A transfer is the same one decided again only when its id **and** its
description are the same (:func:`ledger_key`): only the newest record of those on each
day counts, and one decided as of several days counts on each, as the same people
(:func:`same_people`). A second transfer under a used id (other people, another date) is
counted as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from pydantic import ValidationError

from ..engine.counting import Ledger
from ..models.transfer import Transfer
from .records import GENESIS, AuditError, AuditRecord, Row, digest
from .store import AuditStore


def counted_on(transfer: Transfer, as_of: dt.date) -> Transfer:
    """``transfer`` as a ledger counts it: on the day it was decided as of, not on its own
    ``date``. The service decides as of the day it runs whatever a transfer's date says
    (and check or the API may be given another ``as_of``): counted on its own date, a
    transfer let go today but dated next year would be missing from every count of this
    year, and two transfers of 60,000 people each would both be allowed under China's
    100,000 a year (2024 Provisions Arts 5(4), 8). A wrong allow; so the day that decided
    it is the day it counts."""
    return transfer if transfer.date == as_of else transfer.model_copy(update={"date": as_of})


def _made_on(row: Row) -> dt.date | None:
    """The day (UTC) a record was made, when it reads as one (the sealed ``created_at``).

    A decision as of a later day than the day it was made (``check --record`` of a transfer
    dated 20 December, run on 7 December; the service's ``as_of``) lets the transfer go
    from the day it was made: counted on its as-of day alone, it was missing from the count
    of a transfer decided afterwards as of any day before it, so 60,000 people recorded for
    20 December and another 60,000 for 7 December of one year were both allowed (2024
    Provisions Art 8: 120,000 in a calendar year). It counts on both days, as the same
    people (:func:`same_people`): once in any window holding either."""
    try:
        return dt.date.fromisoformat(row.created_at[:10])
    except (TypeError, ValueError):
        return None


def same_people(transfer: Transfer, key: str) -> Transfer:
    """``transfer`` with each item that names no population naming one of its own: the
    people of that item, whichever day it is counted on.

    One description decided on several days (a re-check as of another day, a look back
    with ``--as-of``) is one transfer: its newest record alone counted, on that record's
    day, so deciding it again as of a day outside the window (1 June 2025) moved 60,000
    people out of 2026, and another 60,000 were allowed beside them (2024 Provisions Art 8).
    Counted on each of its days, as the same people, it counts once in a window holding
    any of them, as items naming one population do (docs/semantics.md, 3a). The name
    (``data[0] of feed 3f2a9c0d1e4b``, with the description's digest from ``key``, the
    :func:`ledger_key`) cannot be written in a transfer, so it meets no other item, nor
    another description under the same id (other people)."""
    described = key.rpartition("\x1f")[2][:12]
    data = [
        item
        if item.population is not None
        else item.model_copy(update={"population": f"data[{i}] of {transfer.id} {described}"})
        for i, item in enumerate(transfer.data)
    ]
    return transfer.model_copy(update={"data": data})


def ledger_key(transfer: Transfer) -> str:
    """What tells a transfer from another in a ledger: its id and a digest of its whole
    description. Keyed by id alone, the newest record of an id replaced the earlier ones
    and a transfer left out every record of its id, so 60,000 people in March and another
    60,000 in June sent under one reused id were both allowed under China's 100,000 a year
    (2024 Provisions Art 8): a wrong allow. The same description decided again (a
    re-check) is still one transfer; a changed one counts beside the earlier (the
    stricter reading: an amended count is a new record, named in the reason)."""
    # the form a record stores (audit.records.NewRecord.of), so a record read back keys alike
    text = json.dumps(transfer.model_dump(mode="json", exclude_none=True), sort_keys=True, ensure_ascii=False)
    return f"{transfer.id}\x1f{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def load_ledger(store: AuditStore) -> Ledger:
    return LedgerReader(store).read()


class LedgerReader:
    """The ledger of one store, read once and then only the records appended since (the
    service keeps one, so a decision does not re-read the whole trail)."""

    def __init__(self, store: AuditStore) -> None:
        self.store = store
        self.seen = 0
        self.head = GENESIS
        """The hash of the last record read: the next must name it as its predecessor."""
        self.newest: dict[tuple[str, dt.date], tuple[int, Transfer]] = {}
        """The newest record of each :func:`ledger_key` on each day it was counted on."""

    def read(self) -> Ledger:
        for row in self.store.rows(after=self.seen):
            self._chained(row)
            record = AuditRecord.of(row)
            try:
                transfer = Transfer.model_validate(record.transfer)
                day = dt.date.fromisoformat(str(record.decision.get("as_of")))
            except (ValidationError, ValueError, TypeError) as exc:
                raise AuditError(
                    f"record {record.seq} cannot be read as a transfer, so the ledger is incomplete: {exc}"
                ) from None
            key = ledger_key(transfer)
            self.newest[key, day] = (record.seq, transfer)
            made = _made_on(row)
            if made is not None and made < day:  # let go before its day: counts from then too
                self.newest[key, made] = (record.seq, transfer)
            self.seen, self.head = record.seq, row.hash
        days: dict[str, int] = {}
        for key, _ in self.newest:
            days[key] = days.get(key, 0) + 1
        ledger = Ledger()
        for (key, day), (seq, transfer) in sorted(self.newest.items(), key=lambda v: v[1][0]):
            if days[key] > 1:
                transfer = same_people(transfer, key)
            ledger.add_transfer(counted_on(transfer, day), f"record {seq}", day, key)
        return ledger

    def _chained(self, row: Row) -> None:
        """``row`` follows the last record read, and its content is what it was sealed with.

        Read as it was, a trail whose first record (60,000 people) was deleted, or whose
        count was edited to 6, with the sqlite3 shell let the next 60,000 through (China's
        100,000 a year, 2024 Provisions Art 8): a ledger that does not verify is an error,
        never a silent undercount. (Records cut off at the end leave a chain that verifies:
        ``audit verify --checkpoints`` finds those.)"""
        problem = None
        if row.seq != self.seen + 1:
            problem = f"record {self.seen + 1} is missing before record {row.seq}"
        elif row.prev_hash != self.head:
            problem = f"record {row.seq} does not follow the record before it"
        elif digest(row.body) != row.hash:
            problem = f"record {row.seq} does not match its hash (it was changed)"
        if problem is not None:
            raise AuditError(
                f"audit store {self.store.display}: {problem}, so the ledger cannot be counted on; "
                "run `dataflow-rules audit verify`"
            )
