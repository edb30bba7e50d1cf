"""``batch --cumulative`` and ``diff --cumulative``: a corpus counted as one exporter's flows.

Where the law counts across transfers (China: individuals since 1 January, per exporter;
the US rule: the preceding 12 months, per U.S. person and counterparty), a corpus split
into many small transfers must add up as ``scan`` adds up a repository's manifests
(issue 19, item 3). Every readable transfer of the corpus goes into one
:class:`~dataflow_rules.engine.counting.Ledger`; a transfer is decided with the items of
the corpus dated on or before its own date (undated: the run's day), never its own:

- *earlier only*: a transfer dated later is not counted, so the answer does not depend on
  the order of the lines or on how many workers decide them;
- *same day*: counted, as ``scan`` counts every manifest of a run (the law's windows are
  in days; which of two same-day transfers came first is not known);
- *itself*: each line is its own key, so two lines with the same transfer id still add up
  (the stricter reading: a repeated line is never a way to split a transfer unseen).

The windows themselves (since 1 January, 365/366 days back) are applied by
:func:`~dataflow_rules.engine.counting.tally` from the decision's as-of date.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..engine.counting import Ledger, PriorSet, prior_items
from ..models.transfer import Transfer


def line_key(line: int, source: str = "") -> str:
    """What a corpus line is known by in the ledger: unique per line (and file), so a
    transfer is never counted with itself."""
    return f"{source}:{line}" if source else f"line {line}"


@dataclass
class CorpusLedger:
    """Every readable transfer of a corpus, and the day an undated one is taken to be."""

    ledger: Ledger
    day: dt.date

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str, Transfer]], day: dt.date) -> CorpusLedger:
        """``entries``: (its :func:`line_key`, what a reason names it by, the transfer).
        Added in (date, id, key) order, so a reason lists the earlier transfers oldest first."""
        # Only each transfer's counted items are kept (not the transfer): the first pass
        # over a large corpus holds what the ledger holds, about 0.4 KB a transfer.
        held = []
        for key, name, transfer in entries:
            when = transfer.date or day
            items = [replace(i, transfer_id=key) for i in prior_items(transfer, name, when)]
            held.append((when, transfer.id, key, items))
        held.sort(key=lambda h: h[:3])
        ledger = Ledger(i for *_, items in held for i in items)
        return cls(ledger, day)

    def prior(self, transfer: Transfer, key: str) -> PriorSet:
        """The corpus's items a decision of ``transfer`` (known by ``key``) counts."""
        return self.ledger.prior(transfer, key, cutoff=transfer.date or self.day)

    def __len__(self) -> int:
        return len(self.ledger)

    def dumps(self) -> bytes:
        """For worker processes (our own bytes, read back only by :meth:`loads`)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> CorpusLedger:
        value = pickle.loads(blob)  # written by dumps() in our own driver process, never user input
        if not isinstance(value, CorpusLedger):
            raise TypeError("not a corpus ledger")
        return value
