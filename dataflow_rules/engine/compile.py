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

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..catalogues import LoadedCatalogue, Policies, merged
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
from ..taxonomy import Taxonomy
from .combined import combined_variants
from .counting import BIG, CountKey, Unit

Side = Literal["outbound", "inbound"]
RuleKind = Literal["entry", "localisation", "exemption", "green_lane"]

MAX_RULES_PER_RULESET = 100
"""Chunk size: a quarter of the 400 simple rules measured safe, a sixth of the cliff."""

ANY = "*"
"""Branch of rules that every data item's fact is matched against."""

UNKNOWN = 2
"""Value of a yes/no or membership flag whose fact the transfer does not state."""
assert BIG > MAX_BOUND

DOMESTIC = "@domestic"
"""Plan key (in the zone's place) of a catalogue's rules read for transfers inside its
country: the designations that decide by who the recipient is, wherever located."""

# Counterparty flag values: 0 no, 1 the peer is listed (or the recipient designated),
# 2 the recipient is controlled from a listed country, 3 open on recipient.controlled_by,
# 4 open on recipient.designated, 5 open on both.
CP_OPEN_CONTROL = frozenset({3, 5})
CP_OPEN_DESIGNATED = frozenset({4, 5})

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


CounterpartyKey = tuple[tuple[str, ...], bool, tuple[str, ...], bool, bool]


@dataclass(frozen=True)
class Rule:
    """What a fired rule name stands for."""

    kind: RuleKind
    index: int
    """Position of the entry, lane or exemption in its catalogue section."""
    category: str | None
    """The designation's category this rule tests (one rule per category)."""
    unknowns: tuple[tuple[str, str, frozenset[int]], ...] = ()
    """(fact property, user-facing field, values meaning unstated) for each condition this
    rule lets an unstated fact satisfy."""
    counts: tuple[tuple[str, int | None, int | None], ...] = ()
    """(count property prefix, lower bound, upper bound) of each count condition. For a
    designation the tally behind the prefix says whether the bounds hold for certain
    (counting.py); for every rule they are where case analysis splits an open count."""


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
    include_designated) -> flag property computed per side."""
    counts: dict[CountKey, str] = field(default_factory=dict)
    """What each count condition counts -> property prefix of its tally."""
    context: dict[str, str] = field(default_factory=dict)
    """context fact name -> property."""
    security: dict[str, str] = field(default_factory=dict)
    """security measure name -> property."""
    categories: dict[str, str] = field(default_factory=dict)
    """category id -> flag property."""
    _category_flags: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)

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

    def chunks(self) -> list[Chunk]:
        """Rulesets: rules grouped by the taxonomy branch they test, then cut so that each
        holds at most MAX_RULES_PER_RULESET rules reading at most MAX_PROPERTIES_PER_RULESET
        properties.

        A data item's fact only needs the rulesets of its own top-level branch (a
        category's ancestors and descendants share its root) plus those of ``ANY``
        (exemptions, lanes without categories), so large catalogues cost a fraction of
        their size per item.
        """
        by_branch: dict[str, list[str]] = {}
        for name, rule in self.rules.items():
            branch = rule.category.split(".", 1)[0] if rule.category else ANY
            by_branch.setdefault(branch, []).append(name)
        out: list[Chunk] = []
        for branch, names in sorted(by_branch.items()):
            current: list[str] = []
            reads: set[str] = set()
            for name in names:
                wider = reads | self.reads[name]
                if current and (
                    len(current) >= MAX_RULES_PER_RULESET or len(wider) > MAX_PROPERTIES_PER_RULESET
                ):
                    out.append(Chunk(branch, {n: self.conditions[n] for n in current}, frozenset(reads)))
                    current, wider = [], set(self.reads[name])
                current.append(name)
                reads = wider
            if current:
                out.append(Chunk(branch, {n: self.conditions[n] for n in current}, frozenset(reads)))
        return out


@dataclass(frozen=True)
class Chunk:
    """One ruleset to build: its branch, its rules and the fact properties they read."""

    branch: str
    rules: dict[str, dict[str, Any]]
    reads: frozenset[str]


def _reads(term: Any) -> set[str]:
    """The fact properties a JSON rule condition reads."""
    out: set[str] = set()
    if isinstance(term, list):
        for t in term:
            out |= _reads(t)
    elif isinstance(term, dict):
        for key, value in term.items():
            if key in ("$and", "$or"):
                out |= _reads(value)
            elif key.startswith("$"):
                out |= set(value)
            else:
                out.add(key)
    return out


def compile_policies(policies: Policies) -> dict[tuple[str, Side], SidePlan]:
    plans: dict[tuple[str, Side], SidePlan] = {}
    for code, loaded in policies.catalogues.items():
        for side in ("outbound", "inbound"):
            plans[(code, side)] = _Compiler(policies.taxonomy, loaded, side).plan
    return plans


def domestic_counterparties(entry: Entry) -> Counterparties:
    """Who an entry reaches inside its own country: only the recipient facts it names in
    ``wherever_located`` (the listed countries stay, for ``controlled``)."""
    cp = entry.counterparties
    controlled = "controlled" in entry.wherever_located and cp.include_controlled
    return Counterparties(
        countries=cp.countries if controlled else [],
        groups=cp.groups if controlled else [],
        include_controlled=controlled,
        include_designated="designated" in entry.wherever_located,
        except_countries=cp.except_countries,
        except_groups=cp.except_groups,
    )


def reaches_at_home(entry: Entry) -> bool:
    """Whether the entry is read for transfers inside its country at all (it names who it
    reaches wherever located, and that is some recipient fact, not everyone)."""
    return bool(entry.wherever_located) and not domestic_counterparties(entry).is_all()


def compile_domestic(policies: Policies) -> dict[str, SidePlan]:
    """Per catalogue, the outbound designations marked ``wherever_located``: read for
    transfers that stay inside the country (docs/semantics.md, section 2)."""
    plans: dict[str, SidePlan] = {}
    for code, loaded in policies.catalogues.items():
        plan = _Compiler(policies.taxonomy, loaded, "outbound", domestic=True).plan
        if plan.rules:
            plans[code] = plan
    return plans


def compile_layers(policies: Policies) -> dict[tuple[str, str], SidePlan]:
    """One outbound plan per zone layer: its base catalogue merged with the layer
    (docs/semantics.md, section 2a), keyed by (jurisdiction, zone)."""
    plans: dict[tuple[str, str], SidePlan] = {}
    for (code, zone), layer in policies.layers.items():
        base = policies.catalogues[code]
        loaded = LoadedCatalogue(
            merged(base.catalogue, layer.catalogue), layer.source, layer.digest, layer.document
        )
        plans[(code, zone)] = _Compiler(policies.taxonomy, loaded, "outbound").plan
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

    def counterparty_flag(self, cp: Counterparties) -> str | None:
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
        )
        return self.plan.counterparties.setdefault(key, f"p{len(self.plan.counterparties)}")

    def counting(self, entry: Entry | LocalisationEntry | None) -> Counting:
        own = entry.counting if entry is not None else None
        return own or self.plan.loaded.catalogue.counting

    def count_flag(self, key: CountKey) -> str:
        return self.plan.counts.setdefault(key, f"g{len(self.plan.counts)}")

    # -- rules ----------------------------------------------------------------------

    def add(self, rule: Rule, terms: list[dict[str, Any]]) -> None:
        name = f"r{len(self.plan.rules)}"
        self.plan.rules[name] = rule
        self.plan.conditions[name] = terms[0] if len(terms) == 1 else {"$and": terms}
        self.plan.reads[name] = frozenset(_reads(terms))

    def dates(self, item: Entry | LocalisationEntry | Exemption | GreenLane) -> list[dict[str, Any]]:
        terms: list[dict[str, Any]] = []
        if item.effective:
            terms.append({"$gte": {"day": item.effective.toordinal()}})
        if item.expires:
            terms.append({"$lte": {"day": item.expires.toordinal()}})
        return terms

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
        unknown = frozenset({UNKNOWN})
        terms: list[dict[str, Any]] = [{"$gte": {k: 1}}]
        tolerated: list[tuple[str, str, frozenset[int]]] = [(k, "data[{i}].category", frozenset({2}))]
        cp = entry.counterparties
        if self.domestic and isinstance(entry, Entry):
            cp = domestic_counterparties(entry)
        flag = self.counterparty_flag(cp)
        if flag:
            terms.append({"$gte": {flag: 1}})
            tolerated.append((flag, "recipient.controlled_by", CP_OPEN_CONTROL))
            tolerated.append((flag, "recipient.designated", CP_OPEN_DESIGNATED))
        terms += self.dates(entry)
        w = entry.when
        counting = self.counting(entry)
        counts: list[tuple[str, int | None, int | None]] = []
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
            if lo is not None:
                terms.append({"$gte": {f"{g}mx": lo}})
            if hi is not None:
                terms.append({"$lte": {f"{g}mn": hi}})
            counts.append((g, lo, hi))
        for name, (prop, label) in _SIMPLE_FACTS.items():
            want = getattr(w, name)
            if want is not None:
                terms.append({"$neq": {prop: 0 if want else 1}})
                tolerated.append((prop, label, unknown))
        for name, (prop, label) in _SET_FACTS.items():
            values = getattr(w, name)
            if values is not None:
                s = self.set_flag(prop, values)
                terms.append({"$neq": {s: 0}})
                tolerated.append((s, label, unknown))
        for key, want in sorted((w.context or {}).items()):
            x = self.context_flag(key)
            terms.append({"$neq": {x: 0 if want else 1}})
            tolerated.append((x, f"context.{key}", unknown))
        for key, want in sorted((w.security or {}).items()):
            y = self.security_flag(key)
            terms.append({"$neq": {y: 0 if want else 1}})
            tolerated.append((y, f"security.{key}", unknown))
        self.add(Rule(kind, index, category, tuple(tolerated), tuple(counts)), terms)

    def strict_conditions(
        self,
        w: Conditions,
        categories: tuple[str, ...] | None,
        counting: Counting,
        counts: list[tuple[str, int | None, int | None]],
    ) -> list[dict[str, Any]]:
        """Conditions that an unstated fact fails (for exemptions and green lanes).

        A count condition holds only for certain: the least the total is (over the items
        within ``categories``, None: every item) reaches the lower bound and the most it can
        be stays within the upper one; an unstated count leaves the most unbounded. Each
        count condition is also recorded in ``counts`` (the bounds case analysis splits at)."""
        terms: list[dict[str, Any]] = []
        for unit in _COUNTS:
            count = getattr(w, unit)
            if count is None:
                continue
            lo, hi = count.lower(), count.upper()
            g = self.count_flag(CountKey(categories, unit, counting.window, counting.per))
            terms.append({"$gte": {f"{g}mn": lo if lo is not None else 0}})
            if hi is not None:
                terms.append({"$lte": {f"{g}mx": hi}})
            counts.append((g, lo, hi))
        for name, (prop, _) in _SIMPLE_FACTS.items():
            want = getattr(w, name)
            if want is not None:
                terms.append({prop: 1 if want else 0})
        for name, (prop, _) in _SET_FACTS.items():
            values = getattr(w, name)
            if values is not None:
                terms.append({self.set_flag(prop, values): 1})
        for key, want in sorted((w.context or {}).items()):
            terms.append({self.context_flag(key): 1 if want else 0})
        for key, want in sorted((w.security or {}).items()):
            terms.append({self.security_flag(key): 1 if want else 0})
        return terms

    def exemption(self, index: int, exemption: Exemption) -> None:
        # Its counts are the counts of the designations it clears: over their categories,
        # counted as they are counted.
        cat = self.plan.loaded.catalogue
        targets: list[Entry | LocalisationEntry] = [e for e in cat.entries if e.id in exemption.applies_to]
        targets += [e for e in cat.localisation if e.id in exemption.applies_to]
        categories = tuple(sorted({c for e in targets for c in e.categories})) or None
        counting = self.counting(targets[0] if targets else None)
        counts: list[tuple[str, int | None, int | None]] = []
        terms = [
            *self.dates(exemption),
            *self.strict_conditions(exemption.when, categories, counting, counts),
        ]
        self.add(Rule("exemption", index, None, counts=tuple(counts)), terms)

    def lane(self, index: int, lane: GreenLane, category: str | None) -> None:
        # The seeds' proviso, in the rule itself: no national-security data and no personal
        # data that is not anonymised.
        terms: list[dict[str, Any]] = [{"ns": 0}, {"praw": 0}]
        if category is not None:
            terms.append({self.category_flag(category): 1})
        terms.append({self.set_flag("purpose", lane.purposes): 1})
        flag = self.counterparty_flag(lane.counterparties)
        if flag:
            terms.append({"$gte": {flag: 1}})
            terms.append({"$lte": {flag: 2}})
        terms += self.dates(lane)
        lane_categories = tuple(lane.categories) if lane.categories else None
        counts: list[tuple[str, int | None, int | None]] = []
        terms += self.strict_conditions(lane.when, lane_categories, self.counting(None), counts)
        self.add(Rule("green_lane", index, category, counts=tuple(counts)), terms)
