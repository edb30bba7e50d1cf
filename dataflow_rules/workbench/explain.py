"""``explain``: the full trace of a decision, condition by condition.

Policy engines usually report the ids of the rules that decided; a drafter needs to know
which condition failed, on which fact, with which value against which bound. This module
re-tests every designation, exemption and green lane of both sides on every data item,
directly on the catalogue models (docs/semantics.md sections 2-7), and records each
condition as held, failed or unknown (the fact is unstated). It decides nothing: the
verdict is always the engine's, and tests check that the entries this trace says apply
are exactly the engine's findings, on every example and on generated transfers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..engine.compile import domestic_counterparties, reaches_at_home
from ..engine.counting import CountKey, PriorItem, Unit, tally
from ..engine.legs import onward_hops
from ..engine.safeguards import evaluate
from ..models.catalogue import (
    Catalogue,
    Conditions,
    Counterparties,
    Counting,
    Entry,
    Exemption,
    GreenLane,
    LocalisationEntry,
    alternatives,
)
from ..models.common import Count
from ..models.policies import Policies, merged
from ..models.taxonomy import Taxonomy
from ..models.transfer import DataItem, Transfer

Status = Literal["held", "failed", "unknown"]
Side = Literal["outbound", "inbound"]
AttemptKind = Literal["entry", "localisation", "exemption", "green_lane"]
Designation = Entry | LocalisationEntry


@dataclass(frozen=True)
class Check:
    """One condition tested: the fact read, its value, what it was compared with."""

    condition: str
    fact: str
    value: str
    expected: str
    status: Status


@dataclass(frozen=True)
class Attempt:
    """One designation, exemption or green lane tested on one data item.

    A designation or lane listing several categories is tested once per category, as
    the engine does; ``category`` names the one tested (None for exemptions and lanes
    without categories).
    """

    kind: AttemptKind
    id: str
    index: int
    item: int
    category: str | None
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        if any(c.status == "failed" for c in self.checks):
            return "failed"
        return "unknown" if any(c.status == "unknown" for c in self.checks) else "held"

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.fact for c in self.checks if c.status == "unknown"))

    def fires(self) -> bool:
        """Exemptions and lanes fire only on stated facts; a designation applies unless a
        stated fact fails it (unstated facts make it a missing-fact review)."""
        if self.kind in ("exemption", "green_lane"):
            return self.status == "held"
        return self.status != "failed"


Fate = Literal["stands", "safeguarded", "exempted", "green_lane"]


@dataclass(frozen=True)
class Finding:
    """A designation that applies to an item, and what became of it."""

    kind: Literal["entry", "localisation"]
    id: str
    index: int
    item: int
    missing: tuple[str, ...]
    fate: Fate
    by: str | None = None
    """The exemption or lane that cleared it."""
    outcome: str = "restrict"


@dataclass
class SideTrace:
    jurisdiction: str
    side: Side
    loaded: bool
    attempts: list[Attempt] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lanes_fired: dict[str, list[int]] = field(default_factory=dict)
    """Lane id -> items it fired on."""
    exemptions_fired: dict[str, list[int]] = field(default_factory=dict)
    catalogue: Catalogue | None = field(default=None, repr=False)
    """The catalogue tested (a zone's: its base merged with the layer)."""


@dataclass
class Leg:
    """One hop the engine decides on its own: the transfer itself, or an onward leg."""

    label: str | None
    origin: str
    destination: str
    domestic: str | None
    """The jurisdiction both ends belong to, when the hop does not leave it."""
    sides: list[SideTrace]


@dataclass
class Trace:
    transfer_id: str
    as_of: dt.date
    legs: list[Leg]

    @property
    def domestic(self) -> bool:
        return self.legs[0].domestic is not None

    @property
    def sides(self) -> list[SideTrace]:
        return [s for leg in self.legs for s in leg.sides]

    def applying(self) -> set[tuple[str, str, str, int]]:
        """(jurisdiction, side, designation id, item) for every designation that applies."""
        return {(s.jurisdiction, s.side, f.id, f.item) for s in self.sides for f in s.findings}


def _catalogue_for(policies: Policies, code: str, side: Side, transfer: Transfer) -> Catalogue:
    """The catalogue the engine uses: for an exporter in a zone with a loaded layer, the
    base merged with the layer (docs/semantics.md, section 2a)."""
    base = policies.catalogues[code].catalogue
    zone = transfer.exporter.zone
    if side == "outbound" and zone is not None and (code, zone) in policies.layers:
        return merged(base, policies.layers[(code, zone)].catalogue)
    return base


def _leg(
    policies: Policies, transfer: Transfer, day: dt.date, label: str | None, outbound_only: bool = False
) -> Leg:
    j_origin = policies.jurisdiction_of(transfer.origin)
    j_destination = policies.jurisdiction_of(transfer.destination)
    if transfer.origin == transfer.destination or (j_origin is not None and j_origin == j_destination):
        # Inside the country only the designations read "wherever located" are checked.
        inside = []
        if j_origin is not None:
            cat = policies.catalogues[j_origin].catalogue
            if any(reaches_at_home(e) for e in cat.entries):
                inside.append(_Side(policies.taxonomy, cat, "outbound", transfer, day, domestic=True).run())
        return Leg(label, transfer.origin, transfer.destination, j_origin or transfer.origin, inside)
    sides = []
    pairs: list[tuple[str, str | None, Side]] = [
        (transfer.origin, j_origin, "outbound"),
        (transfer.destination, j_destination, "inbound"),
    ]
    for country, code, side in pairs[:1] if outbound_only else pairs:
        if code is None:
            sides.append(SideTrace(country, side, False))
        else:
            catalogue = _catalogue_for(policies, code, side, transfer)
            sides.append(_Side(policies.taxonomy, catalogue, side, transfer, day).run())
    return Leg(label, transfer.origin, transfer.destination, None, sides)


def trace(policies: Policies, transfer: Transfer, as_of: dt.date | None = None) -> Trace:
    """Every condition of every rule that could apply to ``transfer``, tested in Python,
    hop by hop as the engine decides them (onward legs: docs/semantics.md, section 8a)."""
    day = as_of or transfer.date or dt.date.today()
    legs = [_leg(policies, transfer, day, None)]
    for hop in onward_hops(policies, transfer):
        legs.append(_leg(policies, hop.transfer, day, hop.label, outbound_only=hop.outbound_only))
    return Trace(transfer.id, day, legs)


# -- formatting values ------------------------------------------------------------------


def _show(value: object) -> str:
    if value is None:
        return "unstated"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _one_of(values: Sequence[str]) -> str:
    return "one of " + ", ".join(values)


# -- one side -----------------------------------------------------------------------------


class _Side:
    def __init__(
        self,
        taxonomy: Taxonomy,
        catalogue: Catalogue,
        side: Side,
        transfer: Transfer,
        day: dt.date,
        domestic: bool = False,
    ):
        self.domestic = domestic
        self.prior: tuple[PriorItem, ...] = ()
        self.tax = taxonomy
        self.cat = catalogue
        self.side = side
        self.t = transfer
        self.day = day
        self.peer = transfer.destination if side == "outbound" else transfer.origin
        self.out = SideTrace(catalogue.jurisdiction, side, True, catalogue=catalogue)

    def run(self) -> SideTrace:
        cat, side = self.cat, self.side
        designations: list[tuple[Literal["entry", "localisation"], int, Designation]] = [
            ("entry", i, e) for i, e in enumerate(cat.entries) if e.direction in (side, "both")
        ]
        if side == "outbound":
            designations += [("localisation", i, e) for i, e in enumerate(cat.localisation)]
        if self.domestic:
            designations = [
                (k, i, e) for k, i, e in designations if isinstance(e, Entry) and reaches_at_home(e)
            ]
        lanes = [(i, g) for i, g in enumerate(cat.green_lanes) if g.direction in (side, "both")]
        fired_lanes: dict[int, list[int]] = {}
        fired_exemptions: dict[int, list[int]] = {}
        for n, item in enumerate(self.t.data):
            fired_lanes[n] = []
            for i, lane in lanes:
                hit = False
                lane_categories: list[str | None] = [*lane.categories] if lane.categories else [None]
                for category in lane_categories:
                    attempt = self.lane(i, lane, category, n, item)
                    self.out.attempts.append(attempt)
                    hit = hit or attempt.fires()
                if hit:
                    fired_lanes[n].append(i)
                    self.out.lanes_fired.setdefault(lane.id, []).append(n)
            fired_exemptions[n] = []
            for i, exemption in enumerate(cat.exemptions):
                attempt = self.exemption(i, exemption, n, item)
                self.out.attempts.append(attempt)
                if attempt.fires():
                    fired_exemptions[n].append(i)
                    self.out.exemptions_fired.setdefault(exemption.id, []).append(n)
        for kind, i, entry in designations:
            for n, item in enumerate(self.t.data):
                best: tuple[str, ...] | None = None
                for category in entry.categories:
                    attempt = self.designation(kind, i, entry, category, n, item)
                    self.out.attempts.append(attempt)
                    if attempt.fires():
                        missing = attempt.missing
                        if best is None or (len(missing), missing) < (len(best), best):
                            best = missing
                if best is not None:
                    self.out.findings.append(
                        self.fate(kind, i, entry, n, best, fired_exemptions[n], fired_lanes[n])
                    )
        return self.out

    def fate(
        self,
        kind: Literal["entry", "localisation"],
        index: int,
        entry: Designation,
        item: int,
        missing: tuple[str, ...],
        exemptions: list[int],
        lanes: list[int],
    ) -> Finding:
        """Sections 5, 6, 6a: exemption first, then a lane, then safeguards."""
        exemption = next((x for x in exemptions if entry.id in self.cat.exemptions[x].applies_to), None)
        common: dict[str, Any] = {
            "kind": kind,
            "id": entry.id,
            "index": index,
            "item": item,
            "missing": missing,
            "outcome": "review" if missing else entry.outcome,
        }
        if exemption is not None:
            return Finding(fate="exempted", by=self.cat.exemptions[exemption].id, **common)
        if lanes and not entry.national_security and not entry.overrides_green_lanes:
            return Finding(fate="green_lane", by=self.cat.green_lanes[min(lanes)].id, **common)
        if self.t.safeguards and entry.mechanisms:
            how = entry.counting or self.cat.counting
            key = CountKey(tuple(entry.categories), "individuals", how.window, how.per)
            total = tally(self.tax, key, self.t, self.day, self.prior)
            outcome = evaluate(alternatives(entry.mechanisms), self.t, item, self.tax, self.day, total)
            if outcome.met:
                return Finding(fate="safeguarded", by=", ".join(c.reference for c in outcome.used), **common)
        return Finding(fate="stands", **common)

    # -- the conditions -------------------------------------------------------------------

    def in_force(self, rule: Entry | LocalisationEntry | Exemption | GreenLane) -> Iterator[Check]:
        if rule.effective is None and rule.expires is None:
            return
        window = f"from {rule.effective or 'always'} to {rule.expires or 'no end'}"
        yield Check(
            "in force", "as_of", self.day.isoformat(), window, "held" if rule.in_force(self.day) else "failed"
        )

    def category(self, category: str, n: int, item: DataItem, broader_ok: bool) -> Check:
        fact = f"data[{n}].category"
        if category in self.tax.get(item.category).ancestors:
            return Check("category", fact, item.category, f"within {category}", "held")
        if broader_ok and item.category in self.tax.get(category).ancestors:
            # The item is broader than the designation: it may contain that data.
            return Check("category", fact, item.category, f"within {category}", "unknown")
        return Check("category", fact, item.category, f"within {category}", "failed")

    def counterparty(self, cp: Counterparties, strict: bool) -> Iterator[Check]:
        if cp.is_all():
            return
        listed = set(cp.countries)
        for g in cp.groups:
            listed |= set(self.cat.groups[g].countries)
        excluded = set(cp.except_countries)
        for g in cp.except_groups:
            excluded |= set(self.cat.groups[g].countries)
        every = cp.lists_all() and not cp.include_designated  # as the engine: a designation is asked
        names = [*cp.countries, *(f"group {g}" for g in cp.groups)]
        peer_fact = "destination" if self.side == "outbound" else "origin"
        controlled = cp.include_controlled and self.side == "outbound"
        expected = ("any country" if every else _one_of(names)) + (
            " (or a recipient controlled from one)" if controlled else ""
        )
        if excluded:
            expected += ", except " + ", ".join(
                [*cp.except_countries, *(f"group {g}" for g in cp.except_groups)]
            )
        if self.peer in excluded:
            yield Check("counterparty", peer_fact, self.peer, expected, "failed")
            return
        if every or self.peer in listed:
            yield Check("counterparty", peer_fact, self.peer, expected, "held")
            return
        designated = cp.include_designated and self.side == "outbound"
        if designated:
            expected += " (or a recipient designated wherever it is)"
        stated = self.t.recipient.designated
        control = self.t.recipient.controlled_by
        if designated and stated is True:
            yield Check("counterparty", "recipient.designated", "true", expected, "held")
            return
        if controlled and control is not None and control in listed:
            yield Check("counterparty", "recipient.controlled_by", control, expected, "held")
            return
        opened = [
            fact
            for fact, on, value in (
                ("recipient.controlled_by", controlled, control),
                ("recipient.designated", designated, stated),
            )
            if on and value is None
        ]
        if not opened:
            yield Check("counterparty", peer_fact, self.peer, expected, "failed")
            return
        for fact in opened:
            yield Check("counterparty", fact, "unstated", expected, "failed" if strict else "unknown")

    def conditions(
        self,
        when: Conditions,
        n: int,
        item: DataItem,
        strict: bool,
        counted: tuple[str, ...] | None = None,
        counting: Counting | None = None,
    ) -> Iterator[Check]:
        """Sections 3.3-3.5, in the engine's order (so missing facts come out alike).

        ``strict`` (exemptions, lanes): an unstated fact is reported unknown but the rule
        does not fire; for a designation it makes a missing-fact review. Counts compare
        the total over the items within ``counted`` (None: every item), tallied by the
        engine's own counting (section 3a).
        """
        t = self.t
        how = counting or self.cat.counting
        for name in ("individuals", "records", "devices"):
            count: Count | None = getattr(when, name)
            if count is None:
                continue
            unit: Unit = name
            total = tally(self.tax, CountKey(counted, unit, how.window, how.per), t, self.day, self.prior)
            lo, hi = count.lower(), count.upper()
            shown = f"{total.least:,}" if total.high == total.low else f"at least {total.least:,}"
            # One item's own count is named as that item's; a total as the total.
            fact = (
                f"data[{total.items[0]}].{name}"
                if len(total.items) == 1 and not total.records
                else f"total {name} ({', '.join(f'data[{i}]' for i in total.items) or 'no item'})"
            )
            status: Status
            if total.certain(lo, hi):
                status = "held"
                yield Check(name, fact, shown, count.describe(), status)
            elif (lo is None or total.most >= lo) and (hi is None or total.least <= hi) and total.open_items:
                for fact in total.open_items:
                    yield Check(name, fact, shown, count.describe(), "unknown")
            else:
                yield Check(name, fact, shown, count.describe(), "failed")
        yes_no: list[tuple[str, bool | None, bool | None, str]] = [
            ("anonymised", when.anonymised, item.anonymised, f"data[{n}].anonymised"),
            ("exporter_ciio", when.exporter_ciio, t.exporter.ciio, "exporter.ciio"),
            ("recipient_affiliate", when.recipient_affiliate, t.recipient.affiliate, "recipient.affiliate"),
        ]
        for condition, want, said, fact in yes_no:
            if want is not None:
                yield _equal(condition, fact, want, said)
        choices: list[tuple[str, Sequence[str] | None, str | None, str]] = [
            ("recipient_types", when.recipient_types, t.recipient.type, "recipient.type"),
            ("purposes", when.purposes, t.purpose, "purpose"),
            ("transactions", when.transactions, t.transaction, "transaction"),
            ("disclosers", when.disclosers, t.roles.discloser, "roles.discloser"),
            ("recipient_roles", when.recipient_roles, t.roles.recipient, "roles.recipient"),
            (
                "assessment_outcomes",
                when.assessment_outcomes,
                t.impact_assessment.outcome,
                "impact_assessment.outcome",
            ),
        ]
        for condition, allowed, stated, fact in choices:
            if allowed is None:
                continue
            status = "unknown" if stated is None else ("held" if stated in allowed else "failed")
            yield Check(condition, fact, _show(stated), _one_of(allowed), status)
        for key, want in sorted((when.context or {}).items()):
            yield _equal(f"context.{key}", f"context.{key}", want, t.context.get(key))
        for key, want in sorted((when.security or {}).items()):
            yield _equal(f"security.{key}", f"security.{key}", want, t.security.get(key))

    # -- the rules ------------------------------------------------------------------------

    def designation(
        self,
        kind: Literal["entry", "localisation"],
        index: int,
        entry: Designation,
        category: str,
        n: int,
        item: DataItem,
    ) -> Attempt:
        checks = [
            self.category(category, n, item, broader_ok=True),
            *self.counterparty(
                domestic_counterparties(entry)
                if self.domestic and isinstance(entry, Entry)
                else entry.counterparties,
                strict=False,
            ),
            *self.in_force(entry),
            *self.conditions(
                entry.when, n, item, strict=False, counted=tuple(entry.categories), counting=entry.counting
            ),
        ]
        return Attempt(kind, entry.id, index, n, category, tuple(checks))

    def exemption(self, index: int, exemption: Exemption, n: int, item: DataItem) -> Attempt:
        named: list[Designation] = [e for e in self.cat.entries if e.id in exemption.applies_to]
        named += [e for e in self.cat.localisation if e.id in exemption.applies_to]
        counted = tuple(sorted({c for e in named for c in e.categories})) or None
        how = named[0].counting if named else None
        checks = [
            *self.in_force(exemption),
            *self.conditions(exemption.when, n, item, strict=True, counted=counted, counting=how),
        ]
        return Attempt("exemption", exemption.id, index, n, None, tuple(checks))

    def lane(self, index: int, lane: GreenLane, category: str | None, n: int, item: DataItem) -> Attempt:
        info = self.tax.get(item.category)
        purpose = self.t.purpose
        checks = [
            Check(
                "purpose",
                "purpose",
                _show(purpose),
                _one_of(lane.purposes),
                "unknown" if purpose is None else ("held" if purpose in lane.purposes else "failed"),
            ),
        ]
        if category is not None:
            checks.append(self.category(category, n, item, broader_ok=False))
        checks.append(
            Check(
                "not national security",
                f"data[{n}].category",
                item.category,
                "a category not flagged national_security",
                "failed" if info.national_security else "held",
            )
        )
        if info.personal:
            checks.append(
                Check(
                    "personal data anonymised",
                    f"data[{n}].anonymised",
                    _show(item.anonymised),
                    "true (personal data qualifies only anonymised)",
                    "held"
                    if item.anonymised is True
                    else ("unknown" if item.anonymised is None else "failed"),
                )
            )
        checks += [
            *self.counterparty(lane.counterparties, strict=True),
            *self.in_force(lane),
            *self.conditions(
                lane.when, n, item, strict=True, counted=tuple(lane.categories) if lane.categories else None
            ),
        ]
        return Attempt("green_lane", lane.id, index, n, category, tuple(checks))


def _equal(condition: str, fact: str, want: bool, stated: bool | None) -> Check:
    status: Status = "unknown" if stated is None else ("held" if stated == want else "failed")
    return Check(condition, fact, _show(stated), _show(want), status)
