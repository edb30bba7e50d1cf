"""A plain-Python reference evaluator of docs/semantics.md, for the property tests.

Written from the specification, not from the engine: it re-tests every condition of
every designation, exemption and green lane on every data item, directly on the pydantic
models, with no rules engine, no flags and no encoding of unstated facts. The property
tests check that the engine's decisions agree with it on generated catalogues.

Where docs/semantics.md leaves a choice open, the reference makes the choice stated
here, and the comparisons in the tests depend on it:

- several exemptions fire on an item and name the same designation: the first in
  catalogue order is reported as having cleared it;
- several green lanes fire on an item: the first in catalogue order is reported as
  having cleared the item's clearable findings (every fired lane is still reported);
- the order of the missing facts within a finding is not specified: findings carry them
  sorted, and :func:`project` sorts the engine's the same way;
- section 7 groups standing findings by (designation, verdict, missing facts); a reason
  also lists safeguards, so the engine may split a group further: :func:`project` merges
  the engine's reasons on those three keys before comparing;
- safeguards (section 6a): see :data:`SAFEGUARDED_FINDINGS_STAND`. A
  safeguard scoped to a recipient does not cover a transfer that does not name its
  recipient.
  Which safeguards are relied on is only partly specified (the alternative valid
  longest; nothing says which of several equally lasting safeguards or alternatives), so
  the reference lists every optimal choice (``relied``) and :func:`unexpected_reliance`
  checks that the engine made one of them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from dataflow_rules.models.catalogue import (
    Catalogue,
    Conditions,
    Counterparties,
    Entry,
    Exemption,
    GreenLane,
    LocalisationEntry,
)
from dataflow_rules.models.common import Count
from dataflow_rules.models.decision import Decision, Verdict
from dataflow_rules.models.policies import Policies
from dataflow_rules.models.taxonomy import Taxonomy
from dataflow_rules.models.transfer import DataItem, Recipient, Safeguard, Transfer

Side = Literal["outbound", "inbound"]
Designation = Entry | LocalisationEntry

Finding = tuple[str, str, str, str, Verdict, tuple[int, ...], tuple[str, ...]]
"""(jurisdiction, side, kind, entry_id, verdict, items, missing) of a standing finding."""
Clearing = tuple[str, str, str, tuple[int, ...], tuple[str, ...]]
"""(jurisdiction, side, exemption or lane id, items, cleared entry ids)."""
Other = tuple[str, str, str, Verdict]
"""(jurisdiction, side, kind, verdict) of a default, no_catalogue or domestic reason."""
Check = tuple[str, str, str]
"""(mechanism, reference, status) of one safeguard checked against one finding."""
Safeguarded = tuple[str, str, str, int, dt.date | None]
"""(jurisdiction, side, entry_id, item, earliest last valid day of the safeguards relied on)."""
Relied = tuple[tuple[str, str], ...]
"""(mechanism, reference) of each safeguard relied on, sorted."""
Shortfall = tuple[str, str, str, int, frozenset[Check]]
"""(jurisdiction, side, entry_id, item, safeguards that fall short) of a standing finding."""

SAFEGUARDED_FINDINGS_STAND = False
"""A safeguarded finding does not stand (section 6a): with a review default, a side whose
findings are all safeguarded gets the default reason (section 7)."""

WARN_DAYS = 60
"""Section 6a: a safeguard relied on whose last valid day is this close is a warning."""


@dataclass(frozen=True)
class ReferenceDecision:
    """What the specification says the decision is, in a form easy to compare."""

    verdict: Verdict
    findings: frozenset[Finding]
    """Standing findings: reasons of kind entry, localisation and missing_fact."""
    exemptions: frozenset[Clearing]
    """Exemption reasons: each exemption that cleared something, with what it cleared."""
    green_lanes: frozenset[Clearing]
    """Green-lane reasons: every fired lane, its items, and the entries it cleared."""
    others: frozenset[Other]
    """default, no_catalogue and domestic reasons."""
    safeguarded: frozenset[Safeguarded] = field(default=frozenset())
    """Per item, findings whose requirement the safeguards in place meet."""
    shortfalls: frozenset[Shortfall] = field(default=frozenset())
    """Per item of a standing finding, the safeguards it names that fall short (if any)."""
    relied: dict[tuple[str, str, str, int], frozenset[Relied]] = field(default_factory=dict)
    """For each safeguarded (jurisdiction, side, entry_id, item): every optimal choice."""
    expires: dt.date | None = None
    """The earliest last valid day of every safeguard relied on."""
    warned: bool = False
    """Whether some safeguard relied on runs out within WARN_DAYS of the as-of date."""
    cleared_by_exemption: frozenset[tuple[str, str, str, int]] = field(default=frozenset())
    """(jurisdiction, side, designation id, item) pairs an exemption cleared."""
    cleared_by_lane: frozenset[tuple[str, str, str, int]] = field(default=frozenset())
    """(jurisdiction, side, designation id, item) pairs a green lane cleared."""

    def comparable(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "findings": self.findings,
            "exemptions": self.exemptions,
            "green_lanes": self.green_lanes,
            "others": self.others,
            "safeguarded": self.safeguarded,
            "shortfalls": self.shortfalls,
            "expires": self.expires,
            "warned": self.warned,
        }


def project(decision: Decision) -> dict[str, object]:
    """The engine's decision in the shape of :meth:`ReferenceDecision.comparable`."""
    grouped: dict[tuple[str, str, str, str, Verdict, tuple[str, ...]], set[int]] = defaultdict(set)
    exemptions: set[Clearing] = set()
    lanes: set[Clearing] = set()
    others: set[Other] = set()
    safeguarded: set[Safeguarded] = set()
    shortfalls: set[Shortfall] = set()
    for r in decision.reasons:
        ident = r.entry_id or ""
        checks = tuple(sorted((c.mechanism, c.reference, c.status) for c in r.safeguards))
        if r.kind in ("entry", "localisation", "missing_fact"):
            key = (r.jurisdiction, r.side, r.kind, ident, r.verdict, tuple(sorted(r.missing)))
            grouped[key] |= set(r.items)
            shortfalls |= {(r.jurisdiction, r.side, ident, i, frozenset(checks)) for i in r.items if checks}
        elif r.kind == "safeguarded":
            assert all(c[2] == "met" for c in checks), r
            safeguarded |= {(r.jurisdiction, r.side, ident, i, r.expires) for i in r.items}
        elif r.kind == "exemption":
            exemptions.add((r.jurisdiction, r.side, ident, tuple(r.items), tuple(r.cleared)))
        elif r.kind == "green_lane":
            lanes.add((r.jurisdiction, r.side, ident, tuple(r.items), tuple(r.cleared)))
        else:
            others.add((r.jurisdiction, r.side, r.kind, r.verdict))
    findings = {(j, s, k, e, v, tuple(sorted(items)), m) for (j, s, k, e, v, m), items in grouped.items()}
    return {
        "verdict": decision.verdict,
        "findings": frozenset(findings),
        "exemptions": frozenset(exemptions),
        "green_lanes": frozenset(lanes),
        "others": frozenset(others),
        "safeguarded": frozenset(safeguarded),
        "shortfalls": frozenset(shortfalls),
        "expires": decision.expires,
        # Section 6a's warnings: a safeguard relied on that expires soon (not the as-of notes).
        "warned": any(" expires on " in w for w in decision.warnings),
    }


def unexpected_reliance(decision: Decision, expected: ReferenceDecision) -> list[str]:
    """Safeguarded reasons relying on something other than an optimal choice (section 6a)."""
    out = []
    for r in decision.reasons:
        if r.kind != "safeguarded":
            continue
        relied = tuple(sorted((c.mechanism, c.reference) for c in r.safeguards))
        for i in r.items:
            options = expected.relied.get((r.jurisdiction, r.side, r.entry_id or "", i), frozenset())
            if relied not in options:
                out.append(f"{r.jurisdiction} {r.side} {r.entry_id} data[{i}]: {relied} not in {options}")
    return out


# -- section 1 and 8: the whole decision ----------------------------------------------


def as_of_date(transfer: Transfer, as_of: dt.date | None) -> dt.date:
    """Section 1: --as-of if given, else the transfer's date, else today."""
    return as_of or transfer.date or dt.date.today()


def reference_decide(
    policies: Policies,
    transfer: Transfer,
    as_of: dt.date | None = None,
    unlisted: Verdict | None = None,
) -> ReferenceDecision:
    """``unlisted``: ``--unlisted``; None, the default: an origin without a catalogue is
    review, a destination without one restricts nothing (section 2)."""
    day = as_of_date(transfer, as_of)
    transfer = _within_scopes(policies, transfer)
    # Section 2: each country is decided by the catalogue that covers it (a member state by
    # the EU's); both ends under one catalogue is domestic. Onward legs and zone layers are
    # not modelled here (tests/test_jurisdictions.py and tests/test_layers.py cover them).
    j_origin = _jurisdiction(policies, transfer.origin)
    j_destination = _jurisdiction(policies, transfer.destination)
    if transfer.origin == transfer.destination or (j_origin is not None and j_origin == j_destination):
        # Section 2: not cross-border, but the designations that read who the recipient is
        # ("wherever located") are still checked, on the origin's outbound side.
        inside: list[_SideEvaluation] = []
        if j_origin is not None:
            cat = policies.catalogues[j_origin].catalogue
            if any(_at_home(e) is not None for e in cat.entries):
                inside.append(
                    _SideEvaluation(policies.taxonomy, cat, "outbound", transfer, day, domestic=True)
                )
        found = {f for r in inside for f in r.findings}
        return ReferenceDecision(
            verdict=Verdict.strictest([f[4] for f in found]),
            findings=frozenset(found),
            exemptions=frozenset(x for r in inside for x in r.exemptions),
            green_lanes=frozenset(g for r in inside for g in r.lanes),
            others=frozenset({(j_origin or transfer.origin, "outbound", "domestic", Verdict.ALLOW)}),
            safeguarded=frozenset(x for r in inside for x in r.safeguarded),
            relied={k: v for r in inside for k, v in r.relied.items()},
            shortfalls=frozenset(x for r in inside for x in r.shortfalls),
            cleared_by_exemption=frozenset(c for r in inside for c in r.by_exemption),
            cleared_by_lane=frozenset(c for r in inside for c in r.by_lane),
        )
    results: list[_SideEvaluation] = []
    others: set[Other] = set()
    sides: list[tuple[str, str | None, Side]] = [
        (transfer.origin, j_origin, "outbound"),
        (transfer.destination, j_destination, "inbound"),
    ]
    for country, jurisdiction, side in sides:
        loaded = None if jurisdiction is None else policies.catalogues[jurisdiction]
        if loaded is None:
            if unlisted is not None:
                verdict = unlisted
            else:
                verdict = Verdict.REVIEW if side == "outbound" else Verdict.ALLOW
            others.add((country, side, "no_catalogue", verdict))
            continue
        code = jurisdiction
        result = _SideEvaluation(policies.taxonomy, loaded.catalogue, side, transfer, day)
        results.append(result)
        default = Verdict(loaded.catalogue.default)
        if not result.findings and (default is not Verdict.ALLOW or not result.applied):
            # Section 7: when no finding stands; an allow default only when no designation
            # applies at all (one cleared or safeguarded decided the side, and "nothing
            # restricts this data" would be false).
            others.add((code, side, "default", Verdict(loaded.catalogue.default)))
        if _before_earliest(loaded.catalogue, side, day):
            # Section 2: before the catalogue's earliest rule for the side, the law then in
            # force is not encoded: the side is review in place of its default.
            others = {o for o in others if not (o[0] == code and o[1] == side and o[2] == "default")}
            others.add((code, side, "default", Verdict.REVIEW))
    findings = {f for r in results for f in r.findings}
    last_days = [d for r in results for d in r.relied_last_days]
    finite = [d for d in last_days if d is not None]
    return ReferenceDecision(
        verdict=Verdict.strictest([f[4] for f in findings] + [o[3] for o in others]),
        findings=frozenset(findings),
        exemptions=frozenset(x for r in results for x in r.exemptions),
        green_lanes=frozenset(g for r in results for g in r.lanes),
        others=frozenset(others),
        safeguarded=frozenset(s for r in results for s in r.safeguarded),
        relied={k: v for r in results for k, v in r.relied.items()},
        shortfalls=frozenset(s for r in results for s in r.shortfalls),
        expires=min(finite, default=None),
        warned=any((d - day).days <= WARN_DAYS for d in finite),
        cleared_by_exemption=frozenset(c for r in results for c in r.by_exemption),
        cleared_by_lane=frozenset(c for r in results for c in r.by_lane),
    )


def _within_scopes(policies: Policies, transfer: Transfer) -> Transfer:
    """Section 4a, stated facts the law rules out: a context fact stated true of a
    recipient stated to be of a type outside a scope of the origin's or the destination's
    catalogue is false. (Onward legs are not modelled here.)"""
    codes = {_jurisdiction(policies, transfer.origin), _jurisdiction(policies, transfer.destination)}
    kind = transfer.recipient.type
    context = dict(transfer.context)
    claims: dict[str, bool] = {}
    for code in sorted(c for c in codes if c is not None):
        cat = policies.catalogues[code].catalogue
        for fact, scope in cat.context_scopes.items():
            if kind is not None and context.get(fact) is True and kind not in scope.recipient_types:
                context[fact] = False
        for name, scope in cat.recipient_scopes.items():  # the recipient's own claim
            if (
                kind is not None
                and getattr(transfer.recipient, name) is True
                and kind not in scope.recipient_types
            ):
                claims[name] = False
    if context != transfer.context:
        transfer = transfer.model_copy(update={"context": context})
    if claims:
        transfer = transfer.model_copy(update={"recipient": transfer.recipient.model_copy(update=claims)})
    return transfer


def _before_earliest(cat: Catalogue, side: Side, day: dt.date) -> bool:
    """Section 2: ``day`` is before the first day the catalogue encodes the side's rules
    (its effective date or an earlier designation's); a side it designates nothing on has
    no such day."""
    rules = [e for e in cat.entries if e.direction in (side, "both")]
    if side == "outbound":
        rules += list(cat.localisation)
    if not rules:
        return False
    starts = [cat.effective] + [e.effective for e in rules if e.effective is not None]
    return bool(day < min(starts))


def _jurisdiction(policies: Policies, country: str) -> str | None:
    """Section 2: the catalogue that covers ``country``, read from the catalogues themselves."""
    for code, loaded in policies.catalogues.items():
        if country == code or country in loaded.catalogue.covers:
            return code
    return None


# -- sections 2 to 7: one side ---------------------------------------------------------

_CLOSED = None
"""A condition that does not hold (as opposed to a list of missing facts: open or met)."""


class _SideEvaluation:
    def __init__(
        self,
        taxonomy: Taxonomy,
        catalogue: Catalogue,
        side: Side,
        transfer: Transfer,
        day: dt.date,
        domestic: bool = False,
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.side = side
        self.transfer = transfer
        self.day = day
        self.peer = transfer.destination if side == "outbound" else transfer.origin
        self.domestic = False
        code = catalogue.jurisdiction

        designations: list[tuple[str, Designation]] = [
            ("entry", e) for e in catalogue.entries if e.direction in (side, "both") and e.in_force(day)
        ]
        if side == "outbound":
            designations += [("localisation", e) for e in catalogue.localisation if e.in_force(day)]
        self.domestic = domestic
        if domestic:
            # Section 2: inside the country only a designation of the recipient counts.
            designations = [
                (k, e) for k, e in designations if isinstance(e, Entry) and _at_home(e) is not None
            ]
        self.applied = False
        exemptions = [x for x in catalogue.exemptions if x.in_force(day)]
        lanes = [g for g in catalogue.green_lanes if g.direction in (side, "both") and g.in_force(day)]

        fired_lanes: dict[int, list[GreenLane]] = {}
        for i, item in enumerate(transfer.data):
            fired_lanes[i] = [g for g in lanes if self.lane_fires(g, item)]

        standing: dict[tuple[str, str, Verdict, tuple[str, ...]], list[int]] = defaultdict(list)
        exempted: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        laned: dict[str, set[str]] = defaultdict(set)
        self.by_exemption: set[tuple[str, str, str, int]] = set()
        self.by_lane: set[tuple[str, str, str, int]] = set()
        self.safeguarded: set[Safeguarded] = set()
        self.relied: dict[tuple[str, str, str, int], frozenset[Relied]] = {}
        self.shortfalls: set[Shortfall] = set()
        self.relied_last_days: list[dt.date | None] = []
        for kind, entry in designations:
            for i, item in enumerate(transfer.data):
                missing = self.applies(entry, i, item)
                if missing is _CLOSED:
                    continue
                self.applied = True
                exemption = next(
                    (x for x in exemptions if entry.id in x.applies_to and self.exemption_fires(x, i, item)),
                    None,
                )
                if exemption is not None:
                    exempted[exemption.id][i].add(entry.id)
                    self.by_exemption.add((code, side, entry.id, i))
                    continue
                clearable = not entry.national_security and not entry.overrides_green_lanes
                if clearable and fired_lanes[i]:
                    laned[fired_lanes[i][0].id].add(entry.id)
                    self.by_lane.add((code, side, entry.id, i))
                    continue
                met, short = self.safeguards(entry, item)
                if met is not None:
                    options, last = met
                    self.safeguarded.add((code, side, entry.id, i, last))
                    self.relied[(code, side, entry.id, i)] = options
                    self.relied_last_days.append(last)
                    continue
                if short:
                    self.shortfalls.add((code, side, entry.id, i, frozenset(short)))
                if missing:
                    standing[("missing_fact", entry.id, Verdict.REVIEW, missing)].append(i)
                else:
                    standing[(kind, entry.id, Verdict(entry.outcome), ())].append(i)

        self.findings: set[Finding] = {
            (code, side, kind, ident, verdict, tuple(items), missing)
            for (kind, ident, verdict, missing), items in standing.items()
        }
        self.exemptions: set[Clearing] = {
            (code, side, ident, tuple(sorted(per_item)), tuple(sorted(set().union(*per_item.values()))))
            for ident, per_item in exempted.items()
        }
        self.lanes: set[Clearing] = set()
        for g in lanes:
            items = tuple(i for i, fired in fired_lanes.items() if g in fired)
            if items:
                self.lanes.add((code, side, g.id, items, tuple(sorted(laned.get(g.id, set())))))

    # -- section 3: does a designation apply to an item? ------------------------------

    def applies(self, entry: Designation, i: int, item: DataItem) -> tuple[str, ...] | None:
        """None if the designation does not apply; else the missing facts (maybe none).

        Tested once per category the designation lists; the fewest missing facts win.
        """
        best: tuple[str, ...] | None = None
        for category in entry.categories:
            missing = self.applies_through(entry, category, i, item)
            if missing is not None and (best is None or len(missing) < len(best)):
                best = missing
        return best

    def applies_through(
        self, entry: Designation, category: str, i: int, item: DataItem
    ) -> tuple[str, ...] | None:
        missing: list[str] = []
        item_line = self.tax.get(item.category).ancestors
        if category in item_line:
            pass  # the item's category is the designation's or beneath it
        elif item.category in self.tax.get(category).ancestors:
            missing.append(f"data[{i}].category")  # the item is broader: it may contain it
        else:
            return None
        cp = entry.counterparties
        if self.domestic and isinstance(entry, Entry):
            cp = _at_home(entry, self.transfer.recipient) or cp
        open_facts = self.counterparty(cp, strict=False)
        if open_facts is None:
            return None
        missing += open_facts
        open_facts = self.conditions(entry.when, i, item, strict=False, counted=tuple(entry.categories))
        if open_facts is None:
            return None
        missing += [f for f in open_facts if f not in missing]
        return tuple(sorted(missing))

    def counterparty(self, cp: Counterparties, strict: bool) -> list[str] | None:
        """Section 3.2. ``strict``: an unstated fact fails (exemptions and lanes)."""
        excluded = set(cp.except_countries)
        for g in cp.except_groups:
            excluded |= set(self.cat.groups[g].countries)
        if self.peer in excluded:
            return None  # an excluded peer never matches, whoever controls the recipient
        outbound = self.side == "outbound"
        recipient = self.transfer.recipient
        if cp.except_us_persons and outbound and recipient.us_person is True:
            # A stated U.S. person: only a designation brings it in (28 CFR 202.211(a)(5)).
            if not cp.include_designated or recipient.designated is False:
                return None
            if recipient.designated is True:
                return []
            return None if strict else ["recipient.designated"]
        if not cp.countries and not cp.groups and not cp.include_designated:
            return []
        listed = set(cp.countries)
        for g in cp.groups:
            listed |= set(self.cat.groups[g].countries)
        if self.peer in listed:
            return []
        if cp.include_designated and outbound and recipient.designated is True:
            return []
        if cp.include_controlled and outbound and recipient.controlled_by in listed:
            return []
        open_facts = []
        if cp.include_controlled and outbound and recipient.controlled_by is None:
            open_facts.append("recipient.controlled_by")
        if cp.include_designated and outbound and recipient.designated is None:
            open_facts.append("recipient.designated")
        if open_facts and not strict:
            return open_facts
        return None

    def total(self, categories: tuple[str, ...] | None, unit: str) -> tuple[int, int | None, list[str]]:
        """Section 3a: (the least the total is, the most it can be or None, the facts that
        leave it open) over the items within ``categories`` (None: every item). Items naming
        the same population count once, at their largest; a broader item may add its own
        count; an unstated count or a bulk item leaves the most unbounded."""
        by_population: dict[str, int] = {}
        extra = 0
        unbounded = False
        open_facts: list[str] = []
        for j, other in enumerate(self.transfer.data):
            line = self.tax.get(other.category).ancestors
            within = categories is None or any(c in line for c in categories)
            broader = not within and any(
                other.category in self.tax.get(c).ancestors for c in categories or ()
            )
            if not (within or broader):
                continue
            value = getattr(other, unit)
            if broader:
                open_facts.append(f"data[{j}].category")
                if value is None or other.bulk:
                    unbounded = True
                else:
                    extra += value
                continue
            if other.bulk:
                value = 10**15
            if value is None:
                unbounded = True
                open_facts.append(f"data[{j}].{unit}")
                continue
            key = other.population if other.population is not None else f"item {j}"
            by_population[key] = max(by_population.get(key, 0), value)
        low = sum(by_population.values())
        return low, None if unbounded else low + extra, open_facts

    def conditions(
        self,
        when: Conditions,
        i: int,
        item: DataItem,
        strict: bool,
        counted: tuple[str, ...] | None = None,
    ) -> list[str] | None:
        """Sections 3.3-3.5 and 6a: None if a stated fact fails a condition, else the open
        facts. ``strict`` (exemptions and lanes): an open fact fails too."""
        t = self.transfer
        missing: list[str] = []

        def check(holds: bool | None, name: str) -> bool:
            """False if the condition fails; records the fact when unstated."""
            if holds is None:
                if strict:
                    return False
                missing.append(name)
                return True
            return holds

        for name in ("individuals", "records", "devices"):
            count = getattr(when, name)
            if count is None:
                continue
            low, high, open_facts = self.total(counted, name)
            lo, hi = count.lower(), count.upper()
            certain = (lo is None or low >= lo) and (hi is None or (high is not None and high <= hi))
            possible = (lo is None or high is None or high >= lo) and (hi is None or low <= hi)
            if certain:
                continue
            if strict or not possible:
                return None
            missing.extend(f for f in open_facts if f not in missing)
        yes_no: list[tuple[bool | None, bool | None, str]] = [
            (when.anonymised, item.anonymised, f"data[{i}].anonymised"),
            (when.exporter_ciio, t.exporter.ciio, "exporter.ciio"),
            (when.recipient_affiliate, t.recipient.affiliate, "recipient.affiliate"),
        ]
        for key, want in (when.context or {}).items():
            yes_no.append((want, t.context.get(key), f"context.{key}"))
        for key, want in (when.security or {}).items():
            yes_no.append((want, t.security.get(key), f"security.{key}"))
        for want, stated, name in yes_no:
            if want is None:
                continue
            if not check(None if stated is None else stated == want, name):
                return None
        choices: list[tuple[list[str] | None, str | None, str]] = [
            (when.purposes, t.purpose, "purpose"),
            (when.transactions, t.transaction, "transaction"),
            (when.recipient_types, t.recipient.type, "recipient.type"),
            (when.disclosers, t.roles.discloser, "roles.discloser"),
            (when.recipient_roles, t.roles.recipient, "roles.recipient"),
            (when.assessment_outcomes, t.impact_assessment.outcome, "impact_assessment.outcome"),
        ]
        for allowed, stated, name in choices:
            if allowed is None:
                continue
            held = None if stated is None else stated in allowed
            if name == "purpose" and stated is None and t.purpose_bound is not None:
                # A bounded purpose: held if every purpose it allows is listed, failed if
                # none is, open otherwise (docs/semantics.md, section 3.5).
                bound = set(t.purpose_bound.purposes)
                held = True if bound <= set(allowed) else False if not bound & set(allowed) else None
            if not check(held, name):
                return None
        return missing

    # -- sections 5 and 6: exemptions and green lanes ---------------------------------

    def exemption_fires(self, exemption: Exemption, i: int, item: DataItem) -> bool:
        # Its counts are those of the designations it names, over their categories.
        named = [e for e in (*self.cat.entries, *self.cat.localisation) if e.id in exemption.applies_to]
        counted = tuple(sorted({c for e in named for c in e.categories})) or None
        return self.conditions(exemption.when, i, item, strict=True, counted=counted) is not None

    def lane_fires(self, lane: GreenLane, item: DataItem) -> bool:
        t = self.transfer
        if t.purpose is None:
            bound = t.purpose_bound
            if bound is None or not set(bound.purposes) <= set(lane.purposes):
                return False
        elif t.purpose not in lane.purposes:
            return False
        line = self.tax.get(item.category).ancestors
        if lane.categories and not any(c in line for c in lane.categories):
            return False
        category = self.tax.get(item.category)
        if category.national_security:
            return False
        if category.personal and item.anonymised is not True:
            return False
        if self.counterparty(lane.counterparties, strict=True) is None:
            return False
        counted = tuple(lane.categories) if lane.categories else None
        return self.conditions(lane.when, 0, item, strict=True, counted=counted) is not None

    # -- section 6a: safeguards in place ------------------------------------------------

    def safeguards(
        self, entry: Designation, item: DataItem
    ) -> tuple[tuple[frozenset[Relied], dt.date | None] | None, list[Check]]:
        """((every optimal choice of safeguards to rely on, their earliest last valid day)
        if the requirement is met, the safeguards the entry names that fall short)."""
        alternatives = [(m,) if isinstance(m, str) else tuple(m) for m in entry.mechanisms]
        named = {m for alternative in alternatives for m in alternative}
        together = self.total(tuple(entry.categories), "individuals")
        self._entry_categories = tuple(entry.categories)
        checked = [
            (s, self.status(s, item, together)) for s in self.transfer.safeguards if s.mechanism in named
        ]
        short = [(s.mechanism, s.reference, status) for s, status in checked if status != "met"]
        # Each fully met alternative: per mechanism, the met safeguards lasting longest.
        met_alternatives: list[tuple[dt.date, list[list[Safeguard]]]] = []
        for alternative in alternatives:
            longest: list[list[Safeguard]] = []
            for mechanism in alternative:
                met = [s for s, status in checked if s.mechanism == mechanism and status == "met"]
                if not met:
                    break
                top = max(_later_first(self.last_valid(s)) for s in met)
                longest.append([s for s in met if _later_first(self.last_valid(s)) == top])
            else:
                validity = min(_later_first(self.last_valid(group[0])) for group in longest)
                met_alternatives.append((validity, longest))
        if not met_alternatives:
            return None, short
        best = max(validity for validity, _ in met_alternatives)
        options = frozenset(
            tuple(sorted({(s.mechanism, s.reference) for s in choice}))
            for validity, longest in met_alternatives
            if validity == best
            for choice in itertools.product(*longest)
        )
        return (options, None if best == dt.date.max else best), short

    def last_valid(self, safeguard: Safeguard) -> dt.date | None:
        """The earlier of the stated expiry and the law's validity period, if any."""
        days = [safeguard.expires] if safeguard.expires else []
        ended = self.tax.mechanisms[safeguard.mechanism].available_until
        if ended:
            days.append(ended)  # the law's end for the mechanism itself
        years = self.tax.mechanisms[safeguard.mechanism].validity_years
        if years:
            obtained = safeguard.obtained
            try:
                anniversary = obtained.replace(year=obtained.year + years)
            except ValueError:  # 29 February: the anniversary is 1 March
                anniversary = dt.date(obtained.year + years, 3, 1)
            days.append(anniversary - dt.timedelta(days=1))
        return min(days, default=None)

    def status(
        self, safeguard: Safeguard, item: DataItem, together: tuple[int, int | None, list[str]] | None = None
    ) -> str:
        """Section 6a's checks, in order."""
        if safeguard.obtained > self.day:
            return "not_yet_valid"
        available = self.tax.mechanisms[safeguard.mechanism].available_from
        if available is not None and safeguard.obtained < available:
            return "not_yet_valid"  # obtained before the mechanism existed
        concluded_until = self.tax.mechanisms[safeguard.mechanism].concluded_until
        if concluded_until is not None and safeguard.obtained > concluded_until:
            return "expired"  # concluded after the mechanism was repealed for new contracts
        last = self.last_valid(safeguard)
        if last is not None and self.day > last:
            return "expired"
        scope, t = safeguard.scope, self.transfer
        if scope.recipient is not None and scope.recipient != t.recipient.name:
            return "out_of_scope"
        if scope.destinations is not None and t.destination not in scope.destinations:
            return "out_of_scope"
        line = self.tax.get(item.category).ancestors
        if scope.categories is not None and not any(c in line for c in scope.categories):
            return "out_of_scope"
        if scope.max_individuals is not None:
            # Section 6a: the cap covers the individuals counted together (section 3a) when
            # several items or records count; else the item's own count.
            counted = (
                [
                    o
                    for o in self.transfer.data
                    if any(c in self.tax.get(o.category).ancestors for c in self._entry_categories)
                ]
                if together is not None
                else []
            )
            if together is not None and len(counted) > 1:
                high = together[1]
                if high is None or high > scope.max_individuals:
                    return "out_of_scope"
            elif item.individuals is None or item.individuals > scope.max_individuals:
                return "out_of_scope"
        return "met"


def _later_first(day: dt.date | None) -> dt.date:
    """Sort key: no last valid day is the longest validity."""
    return dt.date.max if day is None else day


def _count_holds(count: Count, value: int) -> bool:
    """Section 3.3, from the bounds as the law words them (not via Count.lower/upper)."""
    return (
        (count.at_least is None or value >= count.at_least)
        and (count.more_than is None or value > count.more_than)
        and (count.less_than is None or value < count.less_than)
        and (count.at_most is None or value <= count.at_most)
    )


def _at_home(entry: Entry, recipient: Recipient | None = None) -> Counterparties | None:
    """Section 2: whom ``entry`` reaches inside its own country (None: nobody): only the
    recipient facts it names in ``wherever_located``, never the location. ``stated_foreign``
    reaches by control an entity stated not to be a U.S. person (28 CFR 202.256(b) Example
    7), never an individual there (Example 1); without ``recipient``, whether it can."""
    cp = entry.counterparties
    controlled = "controlled" in entry.wherever_located and cp.include_controlled
    if "stated_foreign" in entry.wherever_located and cp.include_controlled and cp.except_us_persons:
        controlled = (
            controlled
            or recipient is None
            or (recipient.us_person is False and recipient.type != "individual")
        )
    designated = "designated" in entry.wherever_located
    if not (controlled or designated):
        return None
    home = Counterparties(
        countries=cp.countries if controlled else [],
        groups=cp.groups if controlled else [],
        include_controlled=controlled,
        include_designated=designated,
        except_us_persons=cp.except_us_persons,
        except_countries=cp.except_countries,
        except_groups=cp.except_groups,
    )
    return None if home.is_all() else home
