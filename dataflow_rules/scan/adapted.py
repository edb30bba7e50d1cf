"""What every input adapter produces: a transfer to decide, and where its parts came from.

The project's own manifests, Fides datasets and systems and ODCS contracts all end up as a
:class:`~dataflow_rules.models.transfer.Transfer` plus the file places of the transfer and
of each data item (so a SARIF result points at the line that declared the data), and any
gaps the adapter found that need a person (labels with no category).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Location
from ..models.decision import Verdict
from ..models.scan import FindingKind, SourceKind
from ..models.transfer import Transfer

_NOT_ID = re.compile(r"[^A-Za-z0-9_.:\-]+")


@dataclass(frozen=True)
class Gap:
    """A review finding an adapter raises itself, e.g. a classification it cannot map."""

    rule_id: str
    kind: FindingKind
    message: str
    place: Location
    verdict: Verdict = Verdict.REVIEW


@dataclass(frozen=True)
class AdaptedTransfer:
    """A transfer with the file places of itself and of each of its data items."""

    transfer: Transfer | None
    """None when the manifest names no categorised data: only its gaps are reported."""
    id: str
    source: SourceKind
    name: str | None
    place: Location
    origin: str
    destination: str
    item_places: tuple[tuple[Location, ...], ...] = ()
    gaps: tuple[Gap, ...] = field(default=())


def transfer_id(*parts: str) -> str:
    """An id the Transfer model accepts, made from manifest keys (which allow more)."""
    text = ":".join(_NOT_ID.sub("_", p).strip("_") or "_" for p in parts)
    if not text[0].isalnum():
        text = "x" + text
    return text[:128]
