"""What the service does, without HTTP: read transfers, decide them, record them.

The API and the web page both call :meth:`Service.evaluate`; neither holds decision logic.
Every decision the service makes is recorded before it is returned: if the audit store
cannot take it, the caller gets an error, not an unrecorded decision.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..audit import AuditRecord, AuditStore, Channel, NewRecord
from ..audit.ledger import LedgerReader, counted_on, ledger_key
from ..errors import Busy as Busy
from ..errors import InputError, Location
from ..errors import TooLarge as TooLarge
from ..models.decision import Decision, Verdict
from ..models.policies import Policies
from ..render.formats import write
from ..transfers import Located, parse_transfers
from .forms import Vocabulary
from .settings import Settings
from .state import PolicyState


@dataclass(frozen=True)
class Outcome:
    located: list[Located]
    decisions: list[Decision]
    records: list[AuditRecord]

    def body(self) -> dict[str, Any]:
        """The ``check --format json`` document, plus the records that hold each decision."""
        body: dict[str, Any] = json.loads(write("decisions", "json", self.decisions))
        body["records"] = [{"id": r.seq, "hash": r.hash} for r in self.records]
        return body


def parse_date(value: str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} '{value}' is not a date (YYYY-MM-DD)") from None


class Service:
    def __init__(self, settings: Settings, state: PolicyState, store: AuditStore) -> None:
        self.settings = settings
        self.state = state
        self.store = store
        self._vocabulary: tuple[int, Vocabulary] | None = None
        self._pending = threading.BoundedSemaphore(settings.max_pending)
        self._ledger = LedgerReader(store)
        self._counting = threading.Lock()
        """Held from reading the ledger to recording: two requests of one exporter never
        miss each other's counts (the law counts them together)."""

    def vocabulary(self) -> Vocabulary:
        """What the web form offers, from the current snapshot (rebuilt after a reload)."""
        snapshot, cached = self.state.current, self._vocabulary
        if cached is None or cached[0] != snapshot.generation:
            cached = (snapshot.generation, Vocabulary.of(snapshot.policies))
            self._vocabulary = cached
        return cached[1]

    def evaluate(
        self,
        text: str,
        source: str,
        *,
        as_of: dt.date | None = None,
        unlisted: Verdict | None = None,
        requested_by: str | None = None,
        channel: Channel = "http",
    ) -> Outcome:
        """Decide every transfer in ``text`` (YAML or JSON) with one snapshot, and record them.

        Raises InputError (nothing decided), TooLarge, Busy, EngineError or AuditError
        (nothing recorded, nothing returned).
        """
        if not self._pending.acquire(blocking=False):
            raise Busy(
                f"{self.settings.max_pending} decision requests are in progress; try again shortly",
                Location(source),
            )
        try:
            return self._evaluate(text, source, as_of, unlisted, requested_by, channel)
        finally:
            self._pending.release()

    def _evaluate(
        self,
        text: str,
        source: str,
        as_of: dt.date | None,
        unlisted: Verdict | None,
        requested_by: str | None,
        channel: Channel,
    ) -> Outcome:
        with self.state.use() as snapshot:
            located = parse_transfers(
                text, source, snapshot.policies, limit=self.settings.max_transfers, limit_error=TooLarge
            )
            if len(located) > self.settings.max_transfers:
                raise TooLarge(
                    f"{len(located)} transfers in one request; the limit is {self.settings.max_transfers}",
                    Location(source),
                )
            choice = unlisted or self.settings.unlisted
            engine = snapshot.engines[choice]
            policies = snapshot.policies
            # Decided as of today unless asked otherwise (a transfer's own date does not
            # back-date a recorded decision), counting the trail's earlier transfers.
            day = as_of or dt.date.today()
            # this process's threads, then other processes on the same store (audit.store.counting)
            with self._counting, self.store.counting():
                ledger = self._ledger.read()
                decisions = []
                for item in located:
                    key = ledger_key(item.transfer)  # its id and description: a reused id counts
                    decision = engine.decide(item.transfer, day, prior=ledger.prior(item.transfer, key))
                    decisions.append(decision)
                    # counted on the day decided, as the records are (audit.ledger.counted_on)
                    ledger.add_transfer(
                        counted_on(item.transfer, decision.as_of), item.transfer.id, decision.as_of, key
                    )
                options = {
                    "as_of": as_of.isoformat() if as_of else None,
                    "unlisted": choice.value if choice else None,
                }
                return self._record(located, decisions, policies, requested_by, channel, options)

    def _record(
        self,
        located: list[Located],
        decisions: list[Decision],
        policies: Policies,
        requested_by: str | None,
        channel: Channel,
        options: Mapping[str, Any],
    ) -> Outcome:
        records = self.store.append(
            [
                NewRecord.of(
                    item.transfer,
                    decision,
                    policies,
                    requested_by=requested_by,
                    channel=channel,
                    options=options,
                )
                for item, decision in zip(located, decisions, strict=True)
            ]
        )
        return Outcome(located, decisions, records)
