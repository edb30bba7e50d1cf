"""Combined data as designations: a catalogue's ``combined`` declaration read into one
more compiled rule per designation and lower threshold.

28 CFR 202.205(g): "Combined data, meaning any collection or set of data that contains
more than one of the categories in paragraphs (a) through (f) ... where any individual
data type meets the threshold number of persons or devices collected or maintained in the
aggregate for the lowest number of U.S. persons or U.S. devices in that category of data."
So personal health data on 500 U.S. persons is bulk when the same set holds human genomic
data (threshold more than 100). The catalogue states each category's own threshold once
(us.yaml ``combined``); for a designation testing one of those categories against a lower
bound, each lower threshold of the set becomes a variant of the designation, read with
that threshold, whose total counts only when the transfer's set is combined at that
threshold or lower (counting.CountKey.combined). Everything else about the designation
(counterparties, transaction types, exemptions, lanes, the reason it gives) is its own.
"""

from __future__ import annotations

from ..models.catalogue import Catalogue, Entry, LocalisationEntry
from ..models.common import Count

_UNITS = ("individuals", "records", "devices")

Variant = tuple[Entry | LocalisationEntry, tuple[tuple[str, int], ...], int]
"""(the designation read at a lower threshold, the set's categories and bounds, that bound)."""


def combined_variants(catalogue: Catalogue, entry: Entry | LocalisationEntry, category: str) -> list[Variant]:
    """The variants of ``entry`` for ``category`` under each combined declaration naming it."""
    out: list[Variant] = []
    if len(entry.categories) != 1:
        return out
    counted = [u for u in _UNITS if getattr(entry.when, u) is not None]
    if len(counted) != 1:
        return out
    unit = counted[0]
    own: Count = getattr(entry.when, unit)
    own_lower = own.lower()
    if own_lower is None:
        return out
    for declaration in catalogue.combined:
        if category not in declaration.thresholds:
            continue
        pairs = tuple(
            sorted((c, t.lower() or 0) for c, t in declaration.thresholds.items() if t.lower() is not None)
        )
        lowered: dict[int, Count] = {}
        for threshold in declaration.thresholds.values():
            lower = threshold.lower()
            if lower is not None and lower < own_lower and lower not in lowered:
                lowered[lower] = threshold.model_copy(
                    update={"less_than": own.less_than, "at_most": own.at_most}
                )
        for lower, count in sorted(lowered.items()):
            when = entry.when.model_copy(update={unit: count})
            out.append((entry.model_copy(update={"when": when}), pairs, lower))
    return out
