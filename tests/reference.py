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
  sorted, and :func:`project` sorts the engine's the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from dataflow_rules.catalogues import Policies
from dataflow_rules.models.catalogue import (
    Catalogue,
    Conditions,
    Counterparties,
    Entry,
    Exemption,
    GreenLane,
    LocalisationEntry,
)
from dataflow_rules.models.decision import Decision, Verdict
from dataflow_rules.models.transfer import DataItem, Transfer
from dataflow_rules.taxonomy import Taxonomy

Side = Literal["outbound", "inbound"]
Designation = Entry | LocalisationEntry

Finding = tuple[str, str, str, str, Verdict, tuple[int, ...], tuple[str, ...]]
"""(jurisdiction, side, kind, entry_id, verdict, items, missing) of a standing finding."""
Clearing = tuple[str, str, str, tuple[int, ...], tuple[str, ...]]
"""(jurisdiction, side, exemption or lane id, items, cleared entry ids)."""
Other = tuple[str, str, str, Verdict]
"""(jurisdiction, side, kind, verdict) of a default, no_catalogue or domestic reason."""


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
        }


def project(decision: Decision) -> dict[str, object]:
    """The engine's decision in the shape of :meth:`ReferenceDecision.comparable`."""
    findings: set[Finding] = set()
    exemptions: set[Clearing] = set()
    lanes: set[Clearing] = set()
    others: set[Other] = set()
    for r in decision.reasons:
        if r.kind in ("entry", "localisation", "missing_fact"):
            findings.add(
                (
                    r.jurisdiction,
                    r.side,
                    r.kind,
                    r.entry_id or "",
                    r.verdict,
                    tuple(r.items),
                    tuple(sorted(r.missing)),
                )
            )
        elif r.kind == "exemption":
            exemptions.add((r.jurisdiction, r.side, r.entry_id or "", tuple(r.items), tuple(r.cleared)))
        elif r.kind == "green_lane":
            lanes.add((r.jurisdiction, r.side, r.entry_id or "", tuple(r.items), tuple(r.cleared)))
        else:
            others.add((r.jurisdiction, r.side, r.kind, r.verdict))
    return {
        "verdict": decision.verdict,
        "findings": frozenset(findings),
        "exemptions": frozenset(exemptions),
        "green_lanes": frozenset(lanes),
        "others": frozenset(others),
    }


# -- section 1 and 8: the whole decision ----------------------------------------------


def as_of_date(transfer: Transfer, as_of: dt.date | None) -> dt.date:
    """Section 1: --as-of if given, else the transfer's date, else today."""
    return as_of or transfer.date or dt.date.today()


def reference_decide(
    policies: Policies,
    transfer: Transfer,
    as_of: dt.date | None = None,
    unlisted: Verdict = Verdict.REVIEW,
) -> ReferenceDecision:
    day = as_of_date(transfer, as_of)
    if transfer.origin == transfer.destination:
        return ReferenceDecision(
            verdict=Verdict.ALLOW,
            findings=frozenset(),
            exemptions=frozenset(),
            green_lanes=frozenset(),
            others=frozenset({(transfer.origin, "outbound", "domestic", Verdict.ALLOW)}),
        )
    findings: set[Finding] = set()
    exemptions: set[Clearing] = set()
    lanes: set[Clearing] = set()
    others: set[Other] = set()
    by_exemption: set[tuple[str, str, str, int]] = set()
    by_lane: set[tuple[str, str, str, int]] = set()
    sides: list[tuple[str, Side]] = [(transfer.origin, "outbound"), (transfer.destination, "inbound")]
    for code, side in sides:
        loaded = policies.catalogues.get(code)
        if loaded is None:
            others.add((code, side, "no_catalogue", unlisted))
            continue
        result = _SideEvaluation(policies.taxonomy, loaded.catalogue, side, transfer, day)
        findings |= result.findings
        exemptions |= result.exemptions
        lanes |= result.lanes
        by_exemption |= result.by_exemption
        by_lane |= result.by_lane
        if not result.findings:
            others.add((code, side, "default", Verdict(loaded.catalogue.default)))
    verdict = Verdict.strictest([f[4] for f in findings] + [o[3] for o in others])
    return ReferenceDecision(
        verdict=verdict,
        findings=frozenset(findings),
        exemptions=frozenset(exemptions),
        green_lanes=frozenset(lanes),
        others=frozenset(others),
        cleared_by_exemption=frozenset(by_exemption),
        cleared_by_lane=frozenset(by_lane),
    )


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
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.side = side
        self.transfer = transfer
        self.day = day
        self.peer = transfer.destination if side == "outbound" else transfer.origin
        code = catalogue.jurisdiction

        designations: list[tuple[str, Designation]] = [
            ("entry", e) for e in catalogue.entries if e.direction in (side, "both") and e.in_force(day)
        ]
        if side == "outbound":
            designations += [("localisation", e) for e in catalogue.localisation if e.in_force(day)]
        exemptions = [x for x in catalogue.exemptions if x.in_force(day)]
        lanes = [g for g in catalogue.green_lanes if g.in_force(day)]

        fired_lanes: dict[int, list[GreenLane]] = {}
        for i, item in enumerate(transfer.data):
            fired_lanes[i] = [g for g in lanes if self.lane_fires(g, item)]

        standing: dict[tuple[str, str, Verdict, tuple[str, ...]], list[int]] = defaultdict(list)
        exempted: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        laned: dict[str, set[str]] = defaultdict(set)
        self.by_exemption: set[tuple[str, str, str, int]] = set()
        self.by_lane: set[tuple[str, str, str, int]] = set()
        for kind, entry in designations:
            for i, item in enumerate(transfer.data):
                missing = self.applies(entry, i, item)
                if missing is _CLOSED:
                    continue
                exemption = next(
                    (x for x in exemptions if entry.id in x.applies_to and self.exemption_fires(x, item)),
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
        open_facts = self.counterparty(entry.counterparties, strict=False)
        if open_facts is None:
            return None
        missing += open_facts
        open_facts = self.conditions(entry.when, i, item, strict=False)
        if open_facts is None:
            return None
        missing += open_facts
        return tuple(sorted(missing))

    def counterparty(self, cp: Counterparties, strict: bool) -> list[str] | None:
        """Section 3.2. ``strict``: an unstated fact fails (exemptions and lanes)."""
        if not cp.countries and not cp.groups:
            return []
        listed = set(cp.countries)
        for g in cp.groups:
            listed |= set(self.cat.groups[g].countries)
        if self.peer in listed:
            return []
        if cp.include_controlled and self.side == "outbound":
            control = self.transfer.recipient.controlled_by
            if control is None:
                return None if strict else ["recipient.controlled_by"]
            return [] if control in listed else None
        return None

    def conditions(self, when: Conditions, i: int, item: DataItem, strict: bool) -> list[str] | None:
        """Sections 3.3-3.5: None if a stated fact fails a condition, else the open facts.

        ``strict`` (exemptions and lanes): an open fact fails too.
        """
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
            value = getattr(item, name)
            if not check(None if value is None else _count_holds(count, value), f"data[{i}].{name}"):
                return None
        yes_no: list[tuple[bool | None, bool | None, str]] = [
            (when.anonymised, item.anonymised, f"data[{i}].anonymised"),
            (when.exporter_ciio, t.exporter.ciio, "exporter.ciio"),
            (when.recipient_affiliate, t.recipient.affiliate, "recipient.affiliate"),
        ]
        for key, want in (when.context or {}).items():
            yes_no.append((want, t.context.get(key), f"context.{key}"))
        for want, stated, name in yes_no:
            if want is None:
                continue
            if not check(None if stated is None else stated == want, name):
                return None
        choices: list[tuple[list[str] | None, str | None, str]] = [
            (when.purposes, t.purpose, "purpose"),
            (when.transactions, t.transaction, "transaction"),
            (when.recipient_types, t.recipient.type, "recipient.type"),
        ]
        for allowed, stated, name in choices:
            if allowed is None:
                continue
            if not check(None if stated is None else stated in allowed, name):
                return None
        return missing

    # -- sections 5 and 6: exemptions and green lanes ---------------------------------

    def exemption_fires(self, exemption: Exemption, item: DataItem) -> bool:
        return self.conditions(exemption.when, 0, item, strict=True) is not None

    def lane_fires(self, lane: GreenLane, item: DataItem) -> bool:
        t = self.transfer
        if t.purpose is None or t.purpose not in lane.purposes:
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
        return self.conditions(lane.when, 0, item, strict=True) is not None


def _count_holds(count: object, value: int) -> bool:
    """Section 3.3, from the bounds as the law words them (not via Count.holds)."""
    at_least = getattr(count, "at_least", None)
    more_than = getattr(count, "more_than", None)
    less_than = getattr(count, "less_than", None)
    at_most = getattr(count, "at_most", None)
    return (
        (at_least is None or value >= at_least)
        and (more_than is None or value > more_than)
        and (less_than is None or value < less_than)
        and (at_most is None or value <= at_most)
    )
