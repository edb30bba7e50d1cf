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

**Moved count bounds.** A designation that differs only in the numbers of its count
conditions (``when.individuals`` / ``records`` / ``devices``: the same units stated, other
bounds) is *bound-moved*, not modified. The two plans then compile rules with the same
names, equal but for the bounds of some count conditions (:class:`MovedBound`; anything
else that differs makes the plan wholly changed, as does a combined-data variant coming or
going: the rules' names differ). A bound is read in exactly these places, and a transfer
the change cannot reach through any of them is not reached:

a. the rule's own condition, compared with the tally of its :class:`CountKey` (``mx``
   against the lower bound, ``mn`` against the upper), and the finding's missing facts,
   which name the tally's open parts unless the bounds hold for certain
   (decide.Firing.missing, counting.Tally.certain). When the tally is *exact* (least ==
   most: every item it counts states the count, none is bulk or broader than its
   categories) and that one value lies on the same side of every moved condition's bound
   in both versions (the condition holds in both or in neither, and the value is within
   the whole count range in both or in neither), every rule fires alike on the same facts
   (the payload's quantisation, engine._Payload, preserves each version's comparisons);
   the tally itself reads only the items' categories, counts, populations and bulk flags,
   which no presumption, facts-file default or case-analysis branch (yes/no facts,
   purpose, transaction, recipient type) can change, so it is the same value in every
   branch of the decision. The CountKey is the same in both versions (the plans' count
   keys are compared);
b. case analysis of an open count (engine.Engine._count_ranges): its split points are
   every bound of the plan's counts in the open count's unit, and past MAX_BRANCHES
   ranges the count stays unsplit; the split of another unit reads no bound of this one.
   So no item may leave a count in a moved condition's unit unstated (an open count
   ``data[i].<unit>`` is only ever an unstated count of a stated unit);
c. a volume bound (engine/volume.py, Engine._capped_totals, volume_notes) and the
   earlier transfers counted with this one (``diff --cumulative``) read every count with
   bounds: a transfer carrying a volume bound, and every transfer of a diff counted
   together, is reached;
d. which designation counts first across transfers (unrecorded.py) reads only whether a
   unit is stated, not its bounds: unchanged by a bound move;
e. onward legs are decided leg by leg over other hops' items: a transfer with onward
   legs is reached by any moved bound.

The designation's reason reads the bounds only in its sentence, which diff.reason_key
leaves out. Anything else that differs (a catalogue part of (1), a count added or removed,
a designation added, removed or moved, a zone layer) makes the plan *wholly changed*:
every transfer reading it is decided twice. A changed taxonomy, set of catalogues or
coverage reaches every transfer. Titles, versions and sources are left out of (1): no
verdict or reason key reads them.

tests/workbench/test_diff_reach.py checks this against deciding both versions, on
generated transfers and generated catalogue changes, generated bound moves among them
(deliberately unsound shortcuts fail it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from ..engine.compile import (
    DOMESTIC,
    Condition,
    Rule,
    SidePlan,
    compile_domestic,
    compile_layers,
    compile_policies,
)
from ..engine.counting import CountKey, raw_tally
from ..engine.volume import volume_of
from ..models.catalogue import Catalogue, Entry, LocalisationEntry
from ..models.policies import Policies
from ..models.taxonomy import Taxonomy
from ..models.transfer import Transfer

PlanKey = tuple[str, str, str | None]
"""(jurisdiction, side, zone or DOMESTIC or None): as engine.Engine keys its plans."""

_UNREAD = {"entries", "localisation", "title", "version", "sources"}
"""Catalogue fields outside part (1) of the module docstring."""

_UNITS = ("individuals", "records", "devices")

_NUMBERS = ("bound", "upper", "lower", "higher", "expected")
"""The fields of a count condition a moved bound changes (``expected`` is its wording)."""

_ANY_DAY = dt.date(2000, 1, 1)
"""The day a tally is taken on without earlier transfers: it reads no window then."""


@dataclass(frozen=True)
class MovedBound:
    """One count condition whose bounds differ: the tally it compares, old and new."""

    key: CountKey
    old: Condition
    new: Condition

    def alike(self, value: int) -> bool:
        """Whether a tally of exactly ``value`` meets both versions of the condition alike."""
        return self.old.compare(value) == self.new.compare(value) and _within(self.old, value) == _within(
            self.new, value
        )


def _within(c: Condition, value: int) -> bool:
    return (c.lower is None or value >= c.lower) and (c.higher is None or value <= c.higher)


@dataclass(frozen=True)
class PlanChange:
    """How a plan differs between the versions."""

    whole: bool
    """Every transfer reading the plan is reached."""
    categories: frozenset[str] = frozenset()
    """Otherwise: the categories of the designations modified (old and new versions)."""
    bounds: tuple[MovedBound, ...] = ()
    """Otherwise: the count conditions of bound-moved designations (module docstring)."""

    @cached_property
    def units(self) -> frozenset[str]:
        """The units of the moved conditions (made once: every transfer reading the plan asks)."""
        return frozenset(b.key.unit for b in self.bounds)


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
        *_flags(plan),
    )


def _flags(plan: SidePlan) -> tuple[object, ...]:
    """Part (3) but the counts' bounds."""
    return (
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


def _bounds_only(x: Entry | LocalisationEntry, y: Entry | LocalisationEntry) -> bool:
    """Whether the designations differ only in the numbers of their count conditions."""
    units = [u for u in _UNITS if getattr(x.when, u) is not None]
    if units != [u for u in _UNITS if getattr(y.when, u) is not None]:
        return False
    when = x.when.model_copy(update={u: getattr(y.when, u) for u in units})
    return x.model_copy(update={"when": when}) == y


def _moved(old: SidePlan, new: SidePlan, ids: set[str]) -> tuple[MovedBound, ...] | None:
    """The count conditions that differ between the plans' rules, when every difference
    is a bound of a bound-moved designation (``ids``); else None (wholly changed)."""
    if old.rules.keys() != new.rules.keys() or old.counts != new.counts or _flags(old) != _flags(new):
        return None
    keys = {prefix: key for key, prefix in old.counts.items()}
    out: dict[tuple[object, ...], MovedBound] = {}
    for name, a in old.rules.items():
        b = new.rules[name]
        if a == b:
            continue
        if a.entry_id not in ids or not _same_but_bounds(a, b):
            return None
        for c, d in zip(a.conditions, b.conditions, strict=True):
            if c != d:
                assert c.tally is not None  # (_same_but_bounds)
                moved = MovedBound(keys[c.tally], c, d)
                out.setdefault((moved.key, c.fact, c.op, c.bound, c.upper, d.bound, d.upper), moved)
    return tuple(out.values())


def _same_but_bounds(a: Rule, b: Rule) -> bool:
    """The rules are equal but for the numbers of some count conditions."""
    if (a.kind, a.index, a.category, a.entry_id) != (b.kind, b.index, b.category, b.entry_id):
        return False
    if len(a.conditions) != len(b.conditions):
        return False
    for c, d in zip(a.conditions, b.conditions, strict=True):
        if c == d:
            continue
        if c.tally is None or c.tally != d.tally or c.unit != d.unit:
            return False
        if replace(c, **{f: getattr(d, f) for f in _NUMBERS}) != d:
            return False
    return True


def plan_change(old: SidePlan, new: SidePlan) -> PlanChange | None:
    """None when the two plans decide every transfer alike; else how they differ."""
    a, b = old.loaded.catalogue, new.loaded.catalogue
    if a == b:
        return None
    if a.model_dump(exclude=_UNREAD) != b.model_dump(exclude=_UNREAD):
        return PlanChange(True)
    if _earliest(a, old.side) != _earliest(b, new.side):
        return PlanChange(True)
    categories: set[str] = set()
    moved: set[str] = set()
    pairs: list[tuple[Sequence[Entry | LocalisationEntry], Sequence[Entry | LocalisationEntry]]] = [
        (a.entries, b.entries),
        (a.localisation, b.localisation),
    ]
    for xs, ys in pairs:
        if [x.id for x in xs] != [y.id for y in ys]:
            return PlanChange(True)  # added, removed or moved: rule positions shift
        for x, y in zip(xs, ys, strict=True):
            if x != y and (_on_side(x, old.side) or _on_side(y, old.side)):
                if _bounds_only(x, y):
                    moved.add(x.id)
                else:
                    categories.update(x.categories)
                    categories.update(y.categories)
    if not moved:
        if _structure(old) != _structure(new):
            return PlanChange(True)
        return PlanChange(False, frozenset(categories)) if categories else None
    if categories:
        return PlanChange(True)  # (a modified designation beside a moved bound: not split)
    bounds = _moved(old, new, moved)
    if bounds is None:
        return PlanChange(True)
    return PlanChange(False, bounds=bounds) if bounds else None


def _open_counts(transfer: Transfer, units: Iterable[str]) -> bool:
    """Whether an item leaves a count in one of ``units`` unstated, or is bulk (docstring, b)."""
    return any(item.bulk or any(getattr(item, u) is None for u in units) for item in transfer.data)


class Reach:
    """Whether a catalogue change can reach a transfer (see the module docstring).

    ``counted_together``: the diff counts its transfers together (``--cumulative``): a
    moved bound then reaches every transfer reading its plan (docstring, c)."""

    def __init__(self, old: Policies, new: Policies, counted_together: bool = False) -> None:
        self.taxonomy: Taxonomy = old.taxonomy
        self.counted_together = counted_together
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
        tallies: dict[CountKey, int | None] = {}  # (shared by the plans read: a zone's and its base's)
        for key in self._read(transfer):
            change = self.changes[key]
            if change.whole or any(self._related(c, e) for c in categories for e in change.categories):
                return True
            if change.bounds and self._moves(transfer, change, tallies):
                return True
        return False

    def _moves(self, transfer: Transfer, change: PlanChange, tallies: dict[CountKey, int | None]) -> bool:
        """Whether a moved bound of ``change`` can reach ``transfer`` (docstring, a-e);
        ``tallies``: each count key's exact value (None: open) for this transfer so far."""
        if self.counted_together or transfer.onward or volume_of(transfer) is not None:
            return True
        if _open_counts(transfer, change.units):
            return True
        for bound in change.bounds:
            if bound.key not in tallies:
                t = raw_tally(self.taxonomy, bound.key, transfer, _ANY_DAY)
                tallies[bound.key] = t.least if t.high == t.low else None
            value = tallies[bound.key]
            if value is None or not bound.alike(value):
                return True
        return False

    def _related(self, item: str, category: str) -> bool:
        """An item of ``item`` meets a rule on ``category``: within it or broader than it."""
        return category in self.taxonomy.get(item).ancestors or item in self.taxonomy.get(category).ancestors
