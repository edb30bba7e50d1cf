"""A volume bound: what an organisation states once about how many people's data it sends
abroad, and what that does to the counts its transfers leave unstated.

China counts the individuals an exporter has provided abroad since 1 January (2024
Provisions Arts 5-8), the US rule the U.S. persons of the preceding 12 months: a single
flow's count is rarely what decides, and the other flows seldom state theirs. What only
the organisation knows, and can say once, is its volume: "in any 12 months we send abroad
the personal information of at most N individuals" (a facts file's ``volume``).

The bound caps the *most* a tally can be (:attr:`counting.Tally.high`), never the least:
a stated count is never lowered. It caps only tallies that count individuals over a
window of at most 12 months (this transfer, the calendar year, the preceding 12 months);
a window a catalogue declares longer is not bounded by a 12-month statement. Each line of
the bound covers its category and every category under it, and every line holds: a tally
over several categories is capped by the tightest line covering them all, or by the sum
of the tightest lines covering each. When the counts stated (this transfer's and the
ledger's, over the preceding 12 months) already exceed a line, the statement is
contradicted: it caps nothing in that decision, which says so (docs/semantics.md, 4a).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..models.decision import Assumption
from ..models.taxonomy import Taxonomy
from ..models.transfer import Transfer

if TYPE_CHECKING:
    from .compile import SidePlan

BOUNDED_WINDOWS = frozenset({"transfer", "calendar_year", "preceding_12_months"})
"""Windows no longer than 12 months: what "in any 12 months" speaks to. A window not
listed here (a longer one a catalogue may one day declare) is never capped."""


@dataclass(frozen=True)
class VolumeBound:
    """A facts file's ``volume``: category prefix -> at most this many individuals in any
    12 months, all the organisation's transfers together; ``source`` names the file."""

    limits: Mapping[str, int]
    source: str
    forced: Mapping[object, int] = field(default_factory=dict)
    """Totals set by the case analysis over totals (CountKey -> value): a branch's world."""

    def cap(self, taxonomy: Taxonomy, categories: tuple[str, ...] | None) -> tuple[int, list[str]] | None:
        """The most a tally of individuals over ``categories`` can be by this bound, and the
        lines that give it; None when no line covers every category (None: every item, which
        no category line covers)."""
        if not categories:
            return None
        lines = [p for p in self.limits if p in taxonomy]
        best: tuple[int, list[str]] | None = None
        # The tightest line covering them all.
        for p in lines:
            covers = all(p in taxonomy.get(c).ancestors for c in categories)
            if covers and (best is None or self.limits[p] < best[0]):
                best = (self.limits[p], [p])
        # The sum of the tightest line covering each (each line counted once).
        chosen: dict[str, int] = {}
        for c in categories:
            line = taxonomy.get(c).ancestors
            covering = [p for p in lines if p in line]
            if not covering:
                chosen = {}
                break
            tightest = min(covering, key=lambda p: (self.limits[p], p))
            chosen[tightest] = self.limits[tightest]
        if chosen:
            total = sum(chosen.values())
            if best is None or total < best[0]:
                best = (total, sorted(chosen))
        return best

    def sentence(self, lines: Iterable[str]) -> str:
        return "; ".join(
            f"at most {self.limits[p]:,} individuals in any 12 months: {self.source} volume.{p}"
            for p in lines
        )


def volume_of(transfer: Transfer) -> VolumeBound | None:
    """The bound carried by ``transfer`` (set by :func:`bound_transfer`)."""
    # The private attributes' own dictionary: pydantic's __getattr__ for a private name
    # costs a few microseconds, and every decision asks several times.
    private = transfer.__pydantic_private__
    found = private.get("_volume") if private else None
    return found if isinstance(found, VolumeBound) else None


def bound_transfer(transfer: Transfer, bound: VolumeBound | None) -> Transfer:
    """``transfer`` carrying ``bound``: a private attribute, not a field of the schema (a
    transfer description cannot state an organisation's volume), kept by every copy."""
    if bound is None:
        return transfer
    copy = transfer.model_copy()
    copy._volume = bound
    return copy


def contradicted(
    taxonomy: Taxonomy,
    transfer: Transfer,
    as_of: dt.date,
    prior: Sequence[object],
) -> list[tuple[str, int]]:
    """The lines of the bound the stated counts already exceed: (prefix, stated total), over
    this transfer and the ledger's items of the preceding 12 months (the widest bounded
    window: a calendar year's start is never earlier)."""
    from .counting import CountKey, PriorItem, raw_tally  # (counting imports this module)

    bound = volume_of(transfer)
    if bound is None:
        return []
    items: Sequence[PriorItem] = prior  # type: ignore[assignment]
    out = []
    for p, limit in sorted(bound.limits.items()):
        if p not in taxonomy:
            continue
        t = raw_tally(taxonomy, CountKey((p,), "individuals", "preceding_12_months"), transfer, as_of, items)
        if t.least > limit:
            out.append((p, t.least))
    return out


def volume_assumption(bound: VolumeBound, lines: Sequence[str]) -> Assumption:
    """The bound as the decision lists it: what it took as given, and how to say otherwise."""
    first = lines[0]
    value = f"at most {bound.limits[first]:,} individuals in any 12 months"
    return Assumption(
        fact=f"volume.{first}" if len(lines) == 1 else "volume",
        value=value if len(lines) == 1 else "; ".join(f"{p}: {bound.limits[p]:,}" for p in lines),
        source=bound.source,
        sentence=(
            f"Counts not stated were taken to be within the organisation's volume ({bound.sentence(lines)}); "
            "no larger total was considered."
        ),
        override=f"state data[].individuals in the transfer, or change volume in {bound.source}",
    )


def contradiction_warning(bound: VolumeBound, found: Sequence[tuple[str, int]]) -> str:
    said = ", ".join(
        f"volume.{p} says at most {bound.limits[p]:,}, the stated counts make {n:,}" for p, n in found
    )
    return (
        f"The volume {bound.source} states is contradicted by the stated counts ({said}, over the "
        "preceding 12 months; items naming no population counted as different people): it was "
        "not used for this decision; correct the file, or the counts (a shared `population`)."
    )


def volume_notes(
    taxonomy: Taxonomy,
    transfer: Transfer,
    plans: Iterable[SidePlan],
    as_of: dt.date,
    prior: Sequence[object],
) -> tuple[list[Assumption], list[str]]:
    """What the decision says of the bound, when it speaks to a total some rule compares
    over an item of this transfer: an assumption naming the lines that capped it, or the
    warning that the stated counts contradict it (and it capped nothing)."""
    from .counting import PriorItem, counts_item, tally

    bound = volume_of(transfer)
    if bound is None:
        return [], []
    items: Sequence[PriorItem] = prior  # type: ignore[assignment]
    used: dict[str, None] = {}
    relevant = False
    for plan in plans:
        for key in plan.counts:
            if key.unit != "individuals" or key.window not in BOUNDED_WINDOWS:
                continue
            if not any(counts_item(taxonomy, key, item.category) for item in transfer.data):
                continue
            relevant = True
            used.update(dict.fromkeys(tally(taxonomy, key, transfer, as_of, items).volume))
    if relevant and not used:
        found = contradicted(taxonomy, transfer, as_of, items)
        if found:
            return [], [contradiction_warning(bound, found)]
    return ([volume_assumption(bound, sorted(used))] if used else []), []


def force_totals(transfer: Transfer, totals: Mapping[object, int]) -> Transfer:
    """``transfer`` with the totals of some tallies set (a branch of :func:`by_totals`)."""
    bound = volume_of(transfer)
    if bound is None:
        return transfer
    return bound_transfer(transfer, replace(bound, forced={**bound.forced, **totals}))


Total = tuple[object, str, list[tuple[int, str]]]
"""A tally the bound capped, what the branches call it, and its ranges (first value, label)."""


def total_ranges(low: int, high: int, points: Iterable[int]) -> list[tuple[int, str]]:
    """The ranges of a total between ``low`` and ``high`` split at each breakpoint (the
    least value at which some condition on the total changes)."""
    starts = sorted({low, *(p for p in points if low < p <= high)})
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else high
        out.append((start, f"{start:,}" if start == end else f"{start:,} to {end:,}"))
    return out


OPEN_COUNT = __import__("re").compile(r"(^data\[\d+\]\.individuals$)|(: individuals$)")
"""An open fact that is a count of individuals (of an item, or of an earlier record)."""
