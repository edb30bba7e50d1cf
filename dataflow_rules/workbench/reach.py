"""Which transfers a catalogue change can reach: ``diff`` decides the others once.

A diff reports a transfer by its verdict and its reasons' keys under each version
(diff.reason_key). Deciding a transfer reads, of the catalogues, only the *plans* of its
hop (the origin's outbound rules, base, zone or domestic, and the destination's inbound
rules; every plan when it has onward legs), and of a plan:

1. the catalogue's parts other than its designations: default, counting, presumptions,
   combined data, groups, context facts, green lanes, exemptions, coverage, dates;
2. the designations of its side (``entries`` of its direction or both, ``localisation``
   outbound) whose rules can meet one of its items:
   a designation's rules test its categories, and only an item within or broader than
   one of them meets one (compile.SidePlan.related_categories); which designation counts
   first across transfers (unrecorded.py) is also read among those, in catalogue order;
3. across every rule of the plan: what it counts and where each count's bounds lie
   (case analysis splits an open count at every bound, volume.py reads every count), the
   choice, counterparty, context and security flags (a purpose bound reads every
   purpose flag), and the earliest day a designation is in force (decide._earliest).

So a plan *differs only in some designations* when (1) and (3) are equal in both
versions and the designations stand in the same order with the same ids, some of them
modified; a transfer none of whose items is related to a category of a modified
designation (either version) reads the same plan in both and gets the same decision.
Anything else that differs (a catalogue part of (1), a count bound, a designation added,
removed or moved, a zone layer) makes the plan *wholly changed*: every transfer reading it
is decided twice. A changed taxonomy, set of catalogues or coverage reaches every transfer.
Titles, versions and sources are left out of (1): no verdict or reason key reads them.

tests/workbench/test_diff_reach.py checks this against deciding both versions, on
generated transfers and generated catalogue changes (a deliberately unsound shortcut
fails it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..engine.compile import (
    DOMESTIC,
    SidePlan,
    compile_domestic,
    compile_layers,
    compile_policies,
)
from ..models.catalogue import Catalogue, Entry, LocalisationEntry
from ..models.policies import Policies
from ..models.taxonomy import Taxonomy
from ..models.transfer import Transfer

PlanKey = tuple[str, str, str | None]
"""(jurisdiction, side, zone or DOMESTIC or None): as engine.Engine keys its plans."""

_UNREAD = {"entries", "localisation", "title", "version", "sources"}
"""Catalogue fields outside part (1) of the module docstring."""


@dataclass(frozen=True)
class PlanChange:
    """How a plan differs between the versions."""

    whole: bool
    """Every transfer reading the plan is reached."""
    categories: frozenset[str] = frozenset()
    """Otherwise: the categories of the designations modified (old and new versions)."""


def plans_of(policies: Policies) -> dict[PlanKey, SidePlan]:
    """Every compiled plan of a version, keyed as the engine keys them."""
    plans: dict[PlanKey, SidePlan] = {
        (code, side, None): plan for (code, side), plan in compile_policies(policies).items()
    }
    for (code, zone), plan in compile_layers(policies).items():
        plans[(code, "outbound", zone)] = plan
    for code, plan in compile_domestic(policies).items():
        plans[(code, "outbound", DOMESTIC)] = plan
    return plans


def _structure(plan: SidePlan) -> tuple[object, ...]:
    """Part (3) of the module docstring, without the compiler's property names."""
    bounds = plan.count_bounds
    return (
        {key: bounds.get(prefix, frozenset()) for key, prefix in plan.counts.items()},
        frozenset(plan.sets),
        frozenset(plan.counterparties),
        frozenset(plan.context),
        frozenset(plan.security),
    )


def _earliest(cat: Catalogue, side: str) -> object:
    designations = [e for e in cat.entries if e.direction in (side, "both")]
    if side == "outbound":
        designations += cat.localisation  # type: ignore[arg-type]
    return min([cat.effective] + [e.effective for e in designations if e.effective]) if designations else None


def _on_side(entry: Entry | LocalisationEntry, side: str) -> bool:
    """Whether a plan of ``side`` compiles the designation (compile._Compiler)."""
    if isinstance(entry, LocalisationEntry):
        return side == "outbound"
    return entry.direction in (side, "both")


def plan_change(old: SidePlan, new: SidePlan) -> PlanChange | None:
    """None when the two plans decide every transfer alike; else how they differ."""
    a, b = old.loaded.catalogue, new.loaded.catalogue
    if a == b:
        return None
    if a.model_dump(exclude=_UNREAD) != b.model_dump(exclude=_UNREAD):
        return PlanChange(True)
    if _structure(old) != _structure(new) or _earliest(a, old.side) != _earliest(b, new.side):
        return PlanChange(True)
    categories: set[str] = set()
    pairs: list[tuple[Sequence[Entry | LocalisationEntry], Sequence[Entry | LocalisationEntry]]] = [
        (a.entries, b.entries),
        (a.localisation, b.localisation),
    ]
    for xs, ys in pairs:
        if [x.id for x in xs] != [y.id for y in ys]:
            return PlanChange(True)  # added, removed or moved: rule positions shift
        for x, y in zip(xs, ys, strict=True):
            if x != y and (_on_side(x, old.side) or _on_side(y, old.side)):
                categories.update(x.categories)
                categories.update(y.categories)
    return PlanChange(False, frozenset(categories)) if categories else None


class Reach:
    """Whether a catalogue change can reach a transfer (see the module docstring)."""

    def __init__(self, old: Policies, new: Policies) -> None:
        self.taxonomy: Taxonomy = old.taxonomy
        self.everything = (
            old.taxonomy_digest != new.taxonomy_digest
            or old.covered != new.covered
            or old.catalogues.keys() != new.catalogues.keys()
            or old.layers.keys() != new.layers.keys()
        )
        self.changes: dict[PlanKey, PlanChange] = {}
        self.jurisdictions = frozenset(old.catalogues)
        self.policies = old
        if self.everything:
            return
        a, b = plans_of(old), plans_of(new)
        for key in a.keys() | b.keys():
            if key not in a or key not in b:
                self.changes[key] = PlanChange(True)
                continue
            change = plan_change(a[key], b[key])
            if change is not None:
                self.changes[key] = change

    def _read(self, transfer: Transfer) -> Iterable[PlanKey]:
        """The plans a decision of ``transfer`` can read (a superset: every plan of the
        origin's outbound side, every plan of the destination's inbound side)."""
        if transfer.onward:
            return self.changes.keys()
        origin = self.policies.jurisdiction_of(transfer.origin)
        destination = self.policies.jurisdiction_of(transfer.destination)
        if transfer.origin == transfer.destination or (origin is not None and origin == destination):
            return [k for k in self.changes if k[0] == origin]
        return [
            k
            for k in self.changes
            if (k[0] == origin and k[1] == "outbound") or (k[0] == destination and k[1] == "inbound")
        ]

    def reaches(self, transfer: Transfer) -> bool:
        """Whether the change can alter the verdict or a reason of ``transfer``."""
        if self.everything:
            return True
        if not self.changes:
            return False
        categories = {item.category for item in transfer.data}
        for key in self._read(transfer):
            change = self.changes[key]
            if change.whole or any(self._related(c, e) for c in categories for e in change.categories):
                return True
        return False

    def _related(self, item: str, category: str) -> bool:
        """An item of ``item`` meets a rule on ``category``: within it or broader than it."""
        return category in self.taxonomy.get(item).ancestors or item in self.taxonomy.get(category).ancestors
