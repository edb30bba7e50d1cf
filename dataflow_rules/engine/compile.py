"""Compiling catalogues into durable-rules rulesets, one group of rulesets per side.

Every rule is a single conjunction of plain comparisons on a flat fact (one fact per
data item per side; see :mod:`.facts`). Nothing in a rule is a disjunction: choices
such as "purpose is one of ..." or "counterparty is in group ..." are looked up once per
side into small integer flags on the fact, so a rule costs the core one term and
rulesets can be chunked by rule count alone, far below the cliff measured in
shared/reference/durable-rules-notes.md (point 4).

Unknown facts are encoded so that for a *designation* (entry or localisation) an
unstated fact satisfies the condition (the rule fires and the decision names the
missing fact: review, never allow), while for an *exemption* or *green lane* it does not
(nothing is cleared on a guess).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ..models.catalogue import (
    Conditions,
    Counterparties,
    Counting,
    Entry,
    Exemption,
    GreenLane,
    LocalisationEntry,
)
from ..models.common import MAX_BOUND
from ..models.policies import LoadedCatalogue, Policies, merged
from ..models.taxonomy import Taxonomy
from .combined import combined_variants
from .counting import BIG, CountKey, Unit

Side = Literal["outbound", "inbound"]
RuleKind = Literal["entry", "localisation", "exemption", "green_lane"]

MAX_RULES_PER_RULESET = 100
"""Chunk size: a quarter of the 400 simple rules measured safe, a sixth of the cliff."""

UNKNOWN = 2
"""Value of a yes/no or membership flag whose fact the transfer does not state."""
assert BIG > MAX_BOUND

DOMESTIC = "@domestic"
"""Plan key (in the zone's place) of a catalogue's rules read for transfers inside its
country: the designations that decide by who the recipient is, wherever located."""

# Counterparty flag values: 0 no, 1 the peer is listed (or the recipient designated),
# 2 the recipient is controlled from a listed country, 3 open on recipient.controlled_by,
# 4 open on recipient.designated, 5 open on both. A recipient stated to be a U.S. person,
# for an entry with except_us_persons, is 1 designated, 4 open on the designation, else 0.
CP_OPEN_CONTROL = frozenset({3, 5})
CP_OPEN_DESIGNATED = frozenset({4, 5, 7})
CP_OPEN_US_PERSON = frozenset({6, 7})
"""6: inside the country (``stated_foreign``), an entity controlled from a listed country
whose U.S.-person status is not stated: a U.S. subsidiary is one, the U.S. branch of a
company organised there is not (28 CFR 202.256(b) Examples 7 and 8), so the fact is open;
7: open on that and on recipient.designated."""

MAX_PROPERTIES_PER_RULESET = 200
"""Properties the rules of one ruleset may read: facts sent to it carry only those, and
the core caps an object at 255 properties (notes point 7)."""

_SIMPLE_FACTS: dict[str, tuple[str, str]] = {
    # condition name -> (fact property, user-facing field)
    "anonymised": ("anon", "data[{i}].anonymised"),
    "exporter_ciio": ("ciio", "exporter.ciio"),
    "recipient_affiliate": ("aff", "recipient.affiliate"),
}
_SET_FACTS: dict[str, tuple[str, str]] = {
    "recipient_types": ("rtype", "recipient.type"),
    "purposes": ("purpose", "purpose"),
    "transactions": ("txn", "transaction"),
    # Issue 18 (whether a flow is a transfer at all; the impact assessment's outcome).
    "disclosers": ("disc", "roles.discloser"),
    "recipient_roles": ("rrole", "roles.recipient"),
    "assessment_outcomes": ("tia", "impact_assessment.outcome"),
}
_COUNTS: tuple[Unit, ...] = ("individuals", "records", "devices")


CounterpartyKey = tuple[tuple[str, ...], bool, tuple[str, ...], bool, bool, bool, bool]
"""(countries listed, every country listed, countries excluded, include_controlled,
include_designated, except_us_persons, stated_foreign): the last, inside the country only,
reaches by control only an entity stated not to be a U.S. person (``wherever_located``)."""


Op = Literal["==", "!=", ">=", "<=", "between"]
Role = Literal["designation", "exemption", "lane"]
Unstated = Literal["holds", "fails"]


@dataclass(frozen=True)
class Condition:
    """One condition of a rule, explicitly: the fact property it reads, the comparison and
    bound, and what an unstated value does.

    This is the one description of a rule's logic. The durable-rules JSON is generated from
    it (:meth:`terms`), and the trace of a decision describes each condition from it against
    the very fact document the engine asserted (:mod:`.trace`), so explain, remediation and
    coverage never re-implement the rules.
    """

    name: str
    """What the catalogue calls the condition (``category``, ``individuals``, ``purposes``,
    ``context.collected_abroad``, ``in force``, ...)."""
    fact: str
    """The fact property compared (compile-time names such as ``k0``, ``s1``, ``g0mx``)."""
    op: Op
    bound: int
    upper: int | None = None
    """For ``between``: the inclusive upper bound (``bound`` is the lower)."""
    unknown: Unstated = "holds"
    """What an unstated fact does: ``holds`` for designations (the rule fires and names the
    missing fact: review, never allow), ``fails`` for exemptions and green lanes (nothing
    is cleared on a guess)."""
    open: tuple[tuple[str, str, frozenset[int]], ...] = ()
    """(fact property, user-facing field, values meaning unstated): when the property has
    one of those values, the field is what the transfer leaves unstated."""
    subject: str = ""
    """The user-facing field shown as the condition's value (``data[{i}].category``)."""
    expected: str = ""
    """What the condition needs, as the catalogue words it."""
    tally: str | None = None
    """Count conditions: the prefix of the tally compared (``g0``); its bounds follow."""
    unit: str | None = None
    lower: int | None = None
    higher: int | None = None
    """Count conditions: the bounds of the whole count condition, as the law states them."""
    claim: str | None = None
    """Counterparty conditions of ``except_us_persons``: the recipient field (``us_person``)
    that, stated true, leaves only a designation to match (the trace shows it as the fact
    read when the condition fails on it)."""

    def __post_init__(self) -> None:
        # The encoding must mean what ``unknown`` says, for every value meaning unstated.
        for prop, _, values in self.open:
            if prop == self.fact and any(self.compare(v) != (self.unknown == "holds") for v in values):
                raise ValueError(
                    f"condition {self.name}: encoding of an unstated value contradicts {self.unknown}"
                )

    def compare(self, value: int | None) -> bool:
        """The comparison durable-rules makes (an absent property meets no comparison)."""
        if value is None:
            return False
        if self.op == "==":
            return value == self.bound
        if self.op == "!=":
            return value != self.bound
        if self.op == ">=":
            return value >= self.bound
        if self.op == "<=":
            return value <= self.bound
        return self.bound <= value <= (self.upper if self.upper is not None else value)

    def terms(self) -> list[dict[str, Any]]:
        """The durable-rules JSON terms of this condition."""
        if self.op == "==":
            return [{self.fact: self.bound}]
        if self.op == "between":
            out: list[dict[str, Any]] = [{"$gte": {self.fact: self.bound}}]
            if self.upper is not None:
                out.append({"$lte": {self.fact: self.upper}})
            return out
        return [{{"!=": "$neq", ">=": "$gte", "<=": "$lte"}[self.op]: {self.fact: self.bound}}]

    def unstated(self, fact: Mapping[str, Any], item: int) -> list[str]:
        """The user-facing fields this condition finds unstated in ``fact``."""
        return [label.format(i=item) for prop, label, values in self.open if fact.get(prop) in values]


@dataclass(frozen=True)
class Rule:
    """What a fired rule name stands for: its role, its catalogue entry and its conditions."""

    kind: RuleKind
    index: int
    """Position of the entry, lane or exemption in its catalogue section."""
    category: str | None
    """The designation's category this rule tests (one rule per category)."""
    entry_id: str = ""
    """The id of the catalogue entry, exemption or green lane."""
    conditions: tuple[Condition, ...] = ()
    """Every condition, in the order the rule states them (a conjunction)."""

    @property
    def role(self) -> Role:
        if self.kind in ("entry", "localisation"):
            return "designation"
        return "exemption" if self.kind == "exemption" else "lane"

    def json(self) -> dict[str, Any]:
        """The durable-rules condition: one term, or the conjunction of all of them."""
        terms = [t for c in self.conditions for t in c.terms()]
        return terms[0] if len(terms) == 1 else {"$and": terms}

    @cached_property
    def unknowns(self) -> tuple[tuple[str, str, frozenset[int]], ...]:
        """(fact property, user-facing field, values meaning unstated) for each condition
        this rule lets an unstated fact satisfy (designations only)."""
        return tuple(o for c in self.conditions if c.unknown == "holds" and c.tally is None for o in c.open)

    @cached_property
    def counts(self) -> tuple[tuple[str, int | None, int | None], ...]:
        """(count property prefix, lower bound, upper bound) of each count condition. For a
        designation the tally behind the prefix says whether the bounds hold for certain
        (counting.py); for every rule they are where case analysis splits an open count."""
        out: dict[str, tuple[str, int | None, int | None]] = {}
        for c in self.conditions:
            if c.tally is not None and c.tally not in out:
                out[c.tally] = (c.tally, c.lower, c.higher)
        return tuple(out.values())


@dataclass
class SidePlan:
    """The compiled rules for one catalogue on one side (its outbound or inbound rules)."""

    loaded: LoadedCatalogue
    side: Side
    rules: dict[str, Rule] = field(default_factory=dict)
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reads: dict[str, frozenset[str]] = field(default_factory=dict)
    """rule name -> the fact properties its condition reads."""
    sets: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)
    """(transfer field, allowed values) -> flag property computed per side."""
    counterparties: dict[CounterpartyKey, str] = field(default_factory=dict)
    """(countries listed, every country listed, countries excluded, include_controlled,
    include_designated, except_us_persons, stated_foreign) -> flag property computed per side."""
    counts: dict[CountKey, str] = field(default_factory=dict)
    """What each count condition counts -> property prefix of its tally."""
    context: dict[str, str] = field(default_factory=dict)
    """context fact name -> property."""
    security: dict[str, str] = field(default_factory=dict)
    """security measure name -> property."""
    categories: dict[str, str] = field(default_factory=dict)
    """category id -> flag property."""
    _category_flags: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    own_facts: dict[tuple[str, bool | None], dict[str, int]] = field(default_factory=dict, repr=False)
    """(category, anonymised) -> an item's own fact properties (facts.item_properties)."""
    _counted_by: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    set_readers: tuple[Callable[[Any], object], ...] | None = field(default=None, repr=False)
    """The readers of the transfer parts its choice flags test (facts.side_key, memoised)."""

    def category_flags(self, taxonomy: Taxonomy, category: str) -> dict[str, int]:
        """The category flags of an item of ``category``: 1 within, 2 broader (memoised)."""
        flags = self._category_flags.get(category)
        if flags is None:
            within = set(taxonomy.get(category).ancestors)
            flags = {}
            for cid, prop in self.categories.items():
                if cid in within:
                    flags[prop] = 1
                elif category in taxonomy.get(cid).ancestors:
                    flags[prop] = 2  # the item's category is broader: it may contain this data
            self._category_flags[category] = flags
        return flags

    def item_properties(self) -> frozenset[str]:
        """The fact properties that differ from item to item (facts.item_fact); every other
        property is the same for all items of a side (facts.side_base)."""
        return frozenset({*self.categories.values(), "anon", "ns", "praw"})

    def counted_by(self, taxonomy: Taxonomy, category: str) -> frozenset[str]:
        """The tallies (count property prefixes) that can count an item of ``category``:
        it is within or broader than one of their categories, or they count every item
        (memoised)."""
        found = self._counted_by.get(category)
        if found is None:
            line = set(taxonomy.get(category).ancestors)
            found = frozenset(
                prefix
                for key, prefix in self.counts.items()
                if key.categories is None
                or any(c in line or category in taxonomy.get(c).ancestors for c in key.categories)
            )
            self._counted_by[category] = found
        return found

    @cached_property
    def count_units(self) -> dict[str, str]:
        """Tally prefix -> the unit it counts."""
        return {prefix: key.unit for key, prefix in self.counts.items()}

    @cached_property
    def count_bounds(self) -> dict[str, frozenset[int]]:
        """Per tally prefix, where a count condition on it changes (each lower bound, each
        upper bound plus one): where case analysis splits an open count (compiled once)."""
        bounds: dict[str, set[int]] = {}
        for rule in self.rules.values():
            for prefix, lo, hi in rule.counts:
                at = bounds.setdefault(prefix, set())
                at.update(b for b in (lo, None if hi is None else hi + 1) if b is not None)
        return {prefix: frozenset(b) for prefix, b in bounds.items()}

    @cached_property
    def _count_spans(self) -> dict[str, tuple[tuple[int, int], ...]]:
        """Per tally prefix, the days (first, last ordinal) each rule comparing it is in
        force (compiled once)."""
        spans: dict[str, list[tuple[int, int]]] = {}
        for rule in self.rules.values():
            if not rule.counts:
                continue
            first, last = 0, dt.date.max.toordinal()
            for c in rule.conditions:
                if c.name == "in force":
                    first, last = (c.bound, last) if c.op == ">=" else (first, c.bound)
            for prefix, _, _ in rule.counts:
                spans.setdefault(prefix, []).append((first, last))
        return {prefix: tuple(s) for prefix, s in spans.items()}

    def dormant_counts(self, day: dt.date) -> frozenset[str]:
        """The tally prefixes no rule in force on ``day`` compares: a rule of another
        period (China's 2022 Measures count since 1 January of the previous year) must not
        split, or stop, the case analysis of a decision its rules cannot reach."""
        at = day.toordinal()
        return frozenset(
            prefix
            for prefix, spans in self._count_spans.items()
            if not any(first <= at <= last for first, last in spans)
        )

    @cached_property
    def count_properties(self) -> tuple[tuple[str, str, str], ...]:
        """(tally prefix, property of the most it can be, property of the least it is)."""
        return tuple((prefix, f"{prefix}mx", f"{prefix}mn") for prefix in self.counts.values())

    @cached_property
    def set_flags(self) -> tuple[tuple[str, frozenset[str], str], ...]:
        """(transfer field, allowed values, flag property) of each choice flag."""
        return tuple((name, frozenset(allowed), prop) for (name, allowed), prop in self.sets.items())

    @cached_property
    def counterparty_flags(
        self,
    ) -> tuple[tuple[frozenset[str], bool, frozenset[str], bool, bool, bool, bool, str], ...]:
        """(countries listed, every country, countries excluded, include_controlled,
        include_designated, except_us_persons, stated_foreign, flag property) of each
        counterparty flag."""
        return tuple(
            (frozenset(countries), every, frozenset(excluded), controlled, designated, us, foreign, prop)
            for (
                countries,
                every,
                excluded,
                controlled,
                designated,
                us,
                foreign,
            ), prop in self.counterparties.items()
        )

    def chunks(self) -> list[Chunk]:
        """Rulesets: rules grouped by the category they test, categories in order, cut so
        that each holds at most MAX_RULES_PER_RULESET rules reading at most
        MAX_PROPERTIES_PER_RULESET properties.

        A data item's fact only needs the rulesets holding a category its own is within or
        broader than, plus those holding rules of no category (exemptions, lanes without
        categories): a catalogue of thousands of entries costs an item only the rules about
        its data, and a small one fits in one ruleset, asked once per item.
        """
        by_category: dict[str | None, list[str]] = {}
        for name, rule in self.rules.items():
            by_category.setdefault(rule.category, []).append(name)
        out: list[Chunk] = []
        current: list[str] = []
        categories: set[str | None] = set()
        reads: set[str] = set()
        for category in sorted(by_category, key=lambda c: (c is not None, c or "")):
            for name in by_category[category]:
                wider = reads | self.reads[name]
                if current and (
                    len(current) >= MAX_RULES_PER_RULESET or len(wider) > MAX_PROPERTIES_PER_RULESET
                ):
                    out.append(
                        Chunk(
                            frozenset(categories), {n: self.conditions[n] for n in current}, frozenset(reads)
                        )
                    )
                    current, categories, wider = [], set(), set(self.reads[name])
                current.append(name)
                categories.add(category)
                reads = wider
        if current:
            out.append(
                Chunk(frozenset(categories), {n: self.conditions[n] for n in current}, frozenset(reads))
            )
        return out

    def related_categories(self, taxonomy: Taxonomy, category: str) -> frozenset[str | None]:
        """The rule categories an item of ``category`` can meet: those it is within or
        broader than, and None (rules of no category)."""
        line = set(taxonomy.get(category).ancestors)
        found: set[str | None] = {None}
        for cid in self.categories:
            if cid in line or category in taxonomy.get(cid).ancestors:
                found.add(cid)
        return frozenset(found)


@dataclass(frozen=True)
class Chunk:
    """One ruleset to build: the categories its rules test (None: rules of no category),
    its rules and the fact properties they read."""

    categories: frozenset[str | None]
    rules: dict[str, dict[str, Any]]
    reads: frozenset[str]


PlanKey = tuple[str, Side, str | None]
"""(jurisdiction, side, zone): a zone's layered plan, :data:`DOMESTIC` for the rules read
inside the country, or the base plan with zone None."""


def compile_policies(policies: Policies) -> dict[tuple[str, Side], SidePlan]:
    plans: dict[tuple[str, Side], SidePlan] = {}
    for code in policies.catalogues:
        for side in ("outbound", "inbound"):
            plan = compile_plan(policies, (code, side, None))
            assert plan is not None
            plans[(code, side)] = plan
    return plans


def plan_keys(policies: Policies) -> list[PlanKey]:
    """Every plan an engine over ``policies`` may read, in the order an eager engine builds
    them: each catalogue's two sides, each zone layer, then each catalogue's domestic plan.
    A domestic key is listed when some outbound entry is read at home
    (:func:`reaches_at_home`); :func:`compile_plan` may still find its plan empty."""
    keys: list[PlanKey] = [
        (code, side, None) for code in policies.catalogues for side in ("outbound", "inbound")
    ]
    keys += [(code, "outbound", zone) for code, zone in policies.layers]
    keys += [
        (code, "outbound", DOMESTIC)
        for code, loaded in policies.catalogues.items()
        if any(e.direction in ("outbound", "both") and reaches_at_home(e) for e in loaded.catalogue.entries)
    ]
    return keys


def compile_plan(policies: Policies, key: PlanKey) -> SidePlan | None:
    """The plan of one key of :func:`plan_keys` (None: a domestic plan with no rules), so an
    engine can compile only the plans a decision reads."""
    code, side, zone = key
    if zone is None:
        return _Compiler(policies.taxonomy, policies.catalogues[code], side).plan
    if zone == DOMESTIC:
        plan = _Compiler(policies.taxonomy, policies.catalogues[code], "outbound", domestic=True).plan
        return plan if plan.rules else None
    base, layer = policies.catalogues[code], policies.layers[(code, zone)]
    loaded = LoadedCatalogue(
        merged(base.catalogue, layer.catalogue), layer.source, layer.digest, layer.document
    )
    return _Compiler(policies.taxonomy, loaded, "outbound").plan


def domestic_counterparties(entry: Entry) -> Counterparties:
    """Who an entry reaches inside its own country: only the recipient facts it names in
    ``wherever_located`` (the listed countries stay, for ``controlled``)."""
    cp = entry.counterparties
    controlled = stated_foreign(entry) or ("controlled" in entry.wherever_located and cp.include_controlled)
    designated = "designated" in entry.wherever_located
    # Every value comes from the entry's own validated counterparties, so it is built
    # without validating again: a validation would build the model's schema, and Engine()
    # asks this of every entry (plan_keys), about 1.5 ms of a cold check.
    return Counterparties.model_construct(
        countries=list(cp.countries) if controlled else [],
        groups=list(cp.groups) if controlled else [],
        include_controlled=controlled,
        include_designated=designated,
        # (only beside who it reaches: alone it would read as "everyone but U.S. persons")
        except_us_persons=cp.except_us_persons and (controlled or designated),
        except_countries=list(cp.except_countries),
        except_groups=list(cp.except_groups),
    )


def stated_foreign(entry: Entry) -> bool:
    """Whether, inside its country, the entry reaches by control only an entity stated not
    to be a U.S. person (``wherever_located: [stated_foreign]``, 28 CFR 202.256(b) Example 7)."""
    cp = entry.counterparties
    return "stated_foreign" in entry.wherever_located and cp.include_controlled and cp.except_us_persons


def reaches_at_home(entry: Entry) -> bool:
    """Whether the entry is read for transfers inside its country at all (it names who it
    reaches wherever located, and that is some recipient fact, not everyone)."""
    return bool(entry.wherever_located) and not domestic_counterparties(entry).is_all()


def compile_domestic(policies: Policies) -> dict[str, SidePlan]:
    """Per catalogue, the outbound designations marked ``wherever_located``: read for
    transfers that stay inside the country (docs/semantics.md, section 2)."""
    plans: dict[str, SidePlan] = {}
    for code in policies.catalogues:
        plan = compile_plan(policies, (code, "outbound", DOMESTIC))
        if plan is not None:
            plans[code] = plan
    return plans


def compile_layers(policies: Policies) -> dict[tuple[str, str], SidePlan]:
    """One outbound plan per zone layer: its base catalogue merged with the layer
    (docs/semantics.md, section 2a), keyed by (jurisdiction, zone)."""
    plans: dict[tuple[str, str], SidePlan] = {}
    for code, zone in policies.layers:
        plan = compile_plan(policies, (code, "outbound", zone))
        assert plan is not None
        plans[(code, zone)] = plan
    return plans


class _Compiler:
    def __init__(
        self, taxonomy: Taxonomy, loaded: LoadedCatalogue, side: Side, domestic: bool = False
    ) -> None:
        self.tax = taxonomy
        self.plan = SidePlan(loaded, side)
        cat = loaded.catalogue
        entries: Sequence[tuple[RuleKind, int, Entry | LocalisationEntry]] = [
            *(("entry", i, e) for i, e in enumerate(cat.entries) if e.direction in (side, "both")),
            *(("localisation", i, e) for i, e in enumerate(cat.localisation) if side == "outbound"),
        ]
        self.domestic = domestic
        if domestic:
            # Inside the country only who the recipient is can bring a rule in, as each
            # entry says (wherever_located): a designation (28 CFR 202.211(a)(5)), or
            # control from a listed country (PADFA). Never the location.
            entries = [(k, i, e) for k, i, e in entries if isinstance(e, Entry) and reaches_at_home(e)]
            if not entries:
                return
        for kind, i, entry in entries:
            for category in entry.categories:
                self.designation(kind, i, entry, category)
                # Combined data (28 CFR 202.205(g)): the designation again at each lower
                # threshold of its set, counting only when the set is combined (combined.py).
                for variant, pairs, lowest in combined_variants(cat, entry, category):
                    self.designation(kind, i, variant, category, (pairs, lowest))
        for i, exemption in enumerate(cat.exemptions):
            self.exemption(i, exemption)
        for i, lane in enumerate(cat.green_lanes):
            if lane.direction not in (side, "both"):
                continue
            lane_categories: Sequence[str | None] = lane.categories or (None,)
            for lane_category in lane_categories:
                self.lane(i, lane, lane_category)

    # -- properties -----------------------------------------------------------------

    def category_flag(self, category: str) -> str:
        return self.plan.categories.setdefault(category, f"k{len(self.plan.categories)}")

    def set_flag(self, name: str, values: Sequence[str]) -> str:
        key = (name, tuple(sorted(set(values))))
        return self.plan.sets.setdefault(key, f"s{len(self.plan.sets)}")

    def context_flag(self, name: str) -> str:
        return self.plan.context.setdefault(name, f"x{len(self.plan.context)}")

    def security_flag(self, name: str) -> str:
        return self.plan.security.setdefault(name, f"y{len(self.plan.security)}")

    def counterparty_flag(self, cp: Counterparties, foreign: bool = False) -> str | None:
        """The flag property of a counterparty condition; ``foreign``: the domestic reading
        of a ``stated_foreign`` entry (control reaches only an entity stated no U.S. person)."""
        if cp.is_all():
            return None
        groups = self.plan.loaded.catalogue.groups
        countries = set(cp.countries)
        for g in cp.groups:
            countries.update(groups[g].countries)
        excluded = set(cp.except_countries)
        for g in cp.except_groups:
            excluded.update(groups[g].countries)
        key: CounterpartyKey = (
            tuple(sorted(countries)),
            cp.lists_all() and not cp.include_designated,
            tuple(sorted(excluded)),
            cp.include_controlled and self.plan.side == "outbound",
            cp.include_designated and self.plan.side == "outbound",
            cp.except_us_persons and self.plan.side == "outbound",
            foreign,
        )
        return self.plan.counterparties.setdefault(key, f"p{len(self.plan.counterparties)}")

    def counting(self, entry: Entry | LocalisationEntry | None) -> Counting:
        own = entry.counting if entry is not None else None
        return own or self.plan.loaded.catalogue.counting

    def count_flag(self, key: CountKey) -> str:
        return self.plan.counts.setdefault(key, f"g{len(self.plan.counts)}")

    # -- rules ----------------------------------------------------------------------

    def add(self, rule: Rule) -> None:
        name = f"r{len(self.plan.rules)}"
        self.plan.rules[name] = rule
        self.plan.conditions[name] = rule.json()
        # each condition's terms read its one property (Condition.terms)
        self.plan.reads[name] = frozenset(c.fact for c in rule.conditions)

    def dates(
        self, item: Entry | LocalisationEntry | Exemption | GreenLane, unknown: Unstated
    ) -> list[Condition]:
        out: list[Condition] = []
        if item.effective:
            out.append(
                Condition(
                    "in force",
                    "day",
                    ">=",
                    item.effective.toordinal(),
                    unknown=unknown,
                    subject="as_of",
                    expected=f"on or after {item.effective}",
                )
            )
        if item.expires:
            out.append(
                Condition(
                    "in force",
                    "day",
                    "<=",
                    item.expires.toordinal(),
                    unknown=unknown,
                    subject="as_of",
                    expected=f"on or before {item.expires}",
                )
            )
        return out

    def counterparty_text(self, cp: Counterparties, foreign: bool = False) -> str:
        """What a counterparty condition needs, as the catalogue lists it."""
        names = [*cp.countries, *(f"group {g}" for g in cp.groups)]
        if foreign:
            # Inside the country (stated_foreign): 28 CFR 202.256(a), (b) Examples 1 and 7.
            return (
                f"a recipient designated wherever it is, or an entity stated not to be a U.S."
                f" person and controlled from {_one_of(names)}"
            )
        every = cp.lists_all() and not cp.include_designated
        outbound = self.plan.side == "outbound"
        text = "any country" if every or not names else _one_of(names)
        others = []
        if cp.include_controlled and outbound:
            others.append("controlled from one")
        if cp.include_designated and outbound:
            others.append("designated wherever it is")
        if others:
            text += f" (or a recipient {', or '.join(others)})"
        if cp.except_countries or cp.except_groups:
            text += ", except " + ", ".join([*cp.except_countries, *(f"group {g}" for g in cp.except_groups)])
        if cp.except_us_persons and outbound:
            text += (
                "; a recipient stated a U.S. person only if designated"
                if cp.include_designated
                else "; never a recipient stated a U.S. person"
            )
        return text

    def designation(
        self,
        kind: RuleKind,
        index: int,
        entry: Entry | LocalisationEntry,
        category: str,
        combined: tuple[tuple[tuple[str, int], ...], int] | None = None,
    ) -> None:
        # >= 1: the item is within the category (1) or broader than it (2, may contain it).
        k = self.category_flag(category)
        conds: list[Condition] = [
            Condition(
                "category",
                k,
                ">=",
                1,
                open=((k, "data[{i}].category", frozenset({2})),),
                subject="data[{i}].category",
                expected=f"within {category}",
            )
        ]
        cp = entry.counterparties
        foreign = False
        if self.domestic and isinstance(entry, Entry):
            cp = domestic_counterparties(entry)
            foreign = stated_foreign(entry)
        flag = self.counterparty_flag(cp, foreign)
        if flag:
            conds.append(
                Condition(
                    "counterparty",
                    flag,
                    ">=",
                    1,
                    open=(
                        (flag, "recipient.controlled_by", CP_OPEN_CONTROL),
                        (flag, "recipient.designated", CP_OPEN_DESIGNATED),
                        (flag, "recipient.us_person", CP_OPEN_US_PERSON),
                    ),
                    subject=self.peer_field(),
                    expected=self.counterparty_text(cp, foreign),
                    claim="us_person" if cp.except_us_persons and self.plan.side == "outbound" else None,
                )
            )
        conds += self.dates(entry, "holds")
        w = entry.when
        counting = self.counting(entry)
        for unit in _COUNTS:
            count = getattr(w, unit)
            if count is None:
                continue
            lo, hi = count.lower(), count.upper()
            g = self.count_flag(
                CountKey(
                    tuple(entry.categories), unit, counting.window, counting.per, *(combined or (None, None))
                )
            )
            # Fires while the bounds *can* hold: the most the total can be reaches the lower
            # bound, the least it is stays within the upper one.
            common = _count_common(unit, count, g)
            if lo is not None:
                conds.append(Condition(unit, f"{g}mx", ">=", lo, **common))
            if hi is not None:
                conds.append(Condition(unit, f"{g}mn", "<=", hi, **common))
        conds += self.yes_no(w, "simple", strict=False)
        conds += self.one_of(w, strict=False)
        conds += self.yes_no(w, "keyed", strict=False)
        self.add(Rule(kind, index, category, entry.id, tuple(conds)))

    def yes_no(self, w: Conditions, which: Literal["simple", "keyed"], strict: bool) -> list[Condition]:
        """The yes/no conditions of ``w``: its own facts (``simple``), or its named context
        and security facts (``keyed``, in that order, each sorted by name).

        ``strict`` (exemptions and green lanes): the fact must be stated with the value
        wanted, an unstated one fails. Otherwise (designations) the condition holds unless
        the fact is stated with the other value, so an unstated fact leaves the rule open."""
        unknown = frozenset({UNKNOWN})
        facts: list[tuple[str, str, str, bool]] = []
        if which == "simple":
            for name, (prop, label) in _SIMPLE_FACTS.items():
                want = getattr(w, name)
                if want is not None:
                    facts.append((name, prop, label, want))
        else:
            for key, want in sorted((w.context or {}).items()):
                facts.append((f"context.{key}", self.context_flag(key), f"context.{key}", want))
            for key, want in sorted((w.security or {}).items()):
                facts.append((f"security.{key}", self.security_flag(key), f"security.{key}", want))
        out: list[Condition] = []
        for name, prop, label, want in facts:
            common: dict[str, Any] = {
                "open": ((prop, label, unknown),),
                "subject": label,
                "expected": _show(want),
            }
            if strict:
                out.append(Condition(name, prop, "==", 1 if want else 0, unknown="fails", **common))
            else:
                out.append(Condition(name, prop, "!=", 0 if want else 1, **common))
        return out

    def peer_field(self) -> str:
        return "destination" if self.plan.side == "outbound" else "origin"

    def strict_conditions(
        self,
        w: Conditions,
        categories: tuple[str, ...] | None,
        counting: Counting,
    ) -> list[Condition]:
        """Conditions that an unstated fact fails (for exemptions and green lanes).

        A count condition holds only for certain: the least the total is (over the items
        within ``categories``, None: every item) reaches the lower bound and the most it can
        be stays within the upper one; an unstated count leaves the most unbounded."""
        conds: list[Condition] = []
        for unit in _COUNTS:
            count = getattr(w, unit)
            if count is None:
                continue
            lo, hi = count.lower(), count.upper()
            g = self.count_flag(CountKey(categories, unit, counting.window, counting.per))
            common = {"unknown": "fails", **_count_common(unit, count, g)}
            conds.append(Condition(unit, f"{g}mn", ">=", lo if lo is not None else 0, **common))
            if hi is not None:
                conds.append(Condition(unit, f"{g}mx", "<=", hi, **common))
        conds += self.yes_no(w, "simple", strict=True)
        conds += self.one_of(w, strict=True)
        conds += self.yes_no(w, "keyed", strict=True)
        return conds

    def one_of(self, w: Conditions, strict: bool) -> list[Condition]:
        """The conditions on facts stated as one of a set of values (recipient type, purpose,
        transaction, roles, assessment outcome), in ``_SET_FACTS`` order.

        ``strict`` (exemptions and green lanes): the fact must be stated and in the set.
        Otherwise (designations) the condition holds unless the fact is stated outside it."""
        unknown = frozenset({UNKNOWN})
        out: list[Condition] = []
        for name, (prop, label) in _SET_FACTS.items():
            values = getattr(w, name)
            if values is None:
                continue
            s = self.set_flag(prop, values)
            common: dict[str, Any] = {
                "open": ((s, label, unknown),),
                "subject": label,
                "expected": _one_of(values),
            }
            if strict:
                out.append(Condition(name, s, "==", 1, unknown="fails", **common))
            else:
                out.append(Condition(name, s, "!=", 0, **common))
        return out

    def exemption(self, index: int, exemption: Exemption) -> None:
        # Its counts are the counts of the designations it clears: over their categories,
        # counted as they are counted.
        cat = self.plan.loaded.catalogue
        targets: list[Entry | LocalisationEntry] = [e for e in cat.entries if e.id in exemption.applies_to]
        targets += [e for e in cat.localisation if e.id in exemption.applies_to]
        categories = tuple(sorted({c for e in targets for c in e.categories})) or None
        counting = self.counting(targets[0] if targets else None)
        conds = [
            *self.dates(exemption, "fails"),
            *self.strict_conditions(exemption.when, categories, counting),
        ]
        self.add(Rule("exemption", index, None, exemption.id, tuple(conds)))

    def lane(self, index: int, lane: GreenLane, category: str | None) -> None:
        # The seeds' proviso, in the rule itself: no national-security data and no personal
        # data that is not anonymised.
        conds: list[Condition] = [
            Condition(
                "not national security",
                "ns",
                "==",
                0,
                unknown="fails",
                subject="data[{i}].category",
                expected="a category not flagged national_security",
            ),
            Condition(
                "personal data anonymised",
                "praw",
                "==",
                0,
                unknown="fails",
                open=(("anon", "data[{i}].anonymised", frozenset({UNKNOWN})),),
                subject="data[{i}].anonymised",
                expected="true (personal data qualifies only anonymised)",
            ),
        ]
        if category is not None:
            conds.append(
                Condition(
                    "category",
                    self.category_flag(category),
                    "==",
                    1,
                    unknown="fails",
                    subject="data[{i}].category",
                    expected=f"within {category}",
                )
            )
        s = self.set_flag("purpose", lane.purposes)
        conds.append(
            Condition(
                "purpose",
                s,
                "==",
                1,
                unknown="fails",
                open=((s, "purpose", frozenset({UNKNOWN})),),
                subject="purpose",
                expected=_one_of(lane.purposes),
            )
        )
        flag = self.counterparty_flag(lane.counterparties)
        if flag:
            conds.append(
                Condition(
                    "counterparty",
                    flag,
                    "between",
                    1,
                    upper=2,
                    unknown="fails",
                    open=(
                        (flag, "recipient.controlled_by", CP_OPEN_CONTROL),
                        (flag, "recipient.designated", CP_OPEN_DESIGNATED),
                    ),
                    subject=self.peer_field(),
                    expected=self.counterparty_text(lane.counterparties),
                )
            )
        conds += self.dates(lane, "fails")
        lane_categories = tuple(lane.categories) if lane.categories else None
        conds += self.strict_conditions(lane.when, lane_categories, self.counting(None))
        self.add(Rule("green_lane", index, category, lane.id, tuple(conds)))


def _show(value: bool) -> str:
    return "true" if value else "false"


def _count_common(unit: str, count: Any, tally: str) -> dict[str, Any]:
    """What every condition on a count shares: the field it reads, the bounds as the law
    states them, and the tally it compares (so the trace shows the counts compared)."""
    return {
        "subject": unit,
        "expected": count.describe(),
        "tally": tally,
        "unit": unit,
        "lower": count.lower(),
        "higher": count.upper(),
    }


def _one_of(values: Sequence[str]) -> str:
    return "one of " + ", ".join(values)
