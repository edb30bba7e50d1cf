"""The engine's own trace of a decision: every rule considered, condition by condition.

Nothing here re-tests the catalogue. For each data item's fact document the engine
asserted into durable-rules, each compiled rule's explicit conditions
(:class:`~.compile.Condition`) are described against that same document: held, failed,
or unknown (the transfer leaves the fact unstated). Whether the rule fired is what
durable-rules answered. (The text sent to durable-rules writes the day and count totals
as the least value of their interval among the ruleset's bounds, engine.py ``_Payload``;
every condition is true of it exactly when it is of the document described here.) How each finding was disposed of (stands, cleared by an
exemption or a green lane, safeguarded) is recorded by :mod:`.decide` as it decides.
``explain``, remediation and ``test --coverage`` read this; a rule change touches the
compiler alone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..models.catalogue import Catalogue
from ..models.decision import Decision
from ..models.transfer import Transfer
from .compile import Condition, Rule, RuleKind, Side
from .counting import Tally

Status = Literal["held", "failed", "unknown"]
Fate = Literal["stands", "safeguarded", "exempted", "green_lane"]


@dataclass(frozen=True)
class Check:
    """One condition described: the fact read, its value, what it was compared with."""

    condition: str
    fact: str
    value: str
    expected: str
    status: Status


@dataclass(frozen=True)
class Threshold:
    """A count condition as the rule compared it: the total's range against the bounds."""

    unit: str
    lower: int | None
    upper: int | None
    least: int
    most: int


@dataclass(frozen=True)
class Attempt:
    """One compiled rule (a designation, exemption or green lane for one category) on one
    data item's fact. ``fired`` is durable-rules' answer; ``evaluated`` says whether the
    fact was asserted into the rule's ruleset at all (a rule only in rulesets of categories
    unrelated to the item's is described, its category failing, but never asked)."""

    kind: RuleKind
    id: str
    index: int
    item: int
    category: str | None
    checks: tuple[Check, ...]
    fired: bool = False
    evaluated: bool = True
    thresholds: tuple[Threshold, ...] = ()

    @property
    def status(self) -> Status:
        if any(c.status == "failed" for c in self.checks):
            return "failed"
        return "unknown" if any(c.status == "unknown" for c in self.checks) else "held"

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.fact for c in self.checks if c.status == "unknown"))

    def fires(self) -> bool:
        """What durable-rules answered for this rule and fact."""
        return self.fired

    def derived_fires(self) -> bool:
        """Whether the conditions, as described, let the rule fire: a designation unless a
        condition failed, an exemption or lane only when every condition held. Equal to
        :meth:`fires` whenever the explicit form and the generated ruleset agree (tested)."""
        if self.kind in ("exemption", "green_lane"):
            return self.status == "held"
        return self.status != "failed"


@dataclass(frozen=True)
class Finding:
    """A designation that applies to an item, and what the engine's decision made of it."""

    kind: Literal["entry", "localisation"]
    id: str
    index: int
    item: int
    missing: tuple[str, ...]
    fate: Fate
    by: str | None = None
    """The exemption or lane that cleared it, or the safeguards relied on."""
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
    """The catalogue decided by (a zone's: its base merged with the layer)."""
    verdict: str | None = None
    """How the side's reasons came out: the side's strictest standing verdict."""


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
    decision: Decision | None = None
    """The rules' own decision this trace is of (no presumption, no case analysis)."""

    @property
    def domestic(self) -> bool:
        return self.legs[0].domestic is not None

    @property
    def sides(self) -> list[SideTrace]:
        return [s for leg in self.legs for s in leg.sides]

    def applying(self) -> set[tuple[str, str, str, int]]:
        """(jurisdiction, side, designation id, item) for every designation that applies."""
        return {(s.jurisdiction, s.side, f.id, f.item) for s in self.sides for f in s.findings}


# -- describing a rule against the fact the engine asserted -------------------------------

_ITEM = re.compile(r"^data\[(\d+)\]\.(\w+)$")


def _show(value: object) -> str:
    if value is None:
        return "unstated"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _stated(transfer: Transfer, path: str) -> object:
    """The transfer's value at a user-facing path, for display only (the status of every
    condition comes from the fact document)."""
    m = _ITEM.match(path)
    if m:
        return getattr(transfer.data[int(m.group(1))], m.group(2))
    head, _, name = path.partition(".")
    part: Any = getattr(transfer, head)
    if not name:
        return part
    return part.get(name) if isinstance(part, dict) else getattr(part, name)


def _status(c: Condition, fact: Mapping[str, Any], item: int) -> tuple[Status, list[str]]:
    holds = c.compare(fact.get(c.fact))
    unstated = c.unstated(fact, item)
    if unstated and not (c.unknown == "fails" and holds):
        return "unknown", unstated
    return ("held" if holds else "failed"), []


def _count_checks(conds: list[Condition], fact: Mapping[str, Any], t: Tally) -> tuple[list[Check], Threshold]:
    c = conds[0]
    assert c.tally is not None and c.unit is not None
    least, most = int(fact[f"{c.tally}mn"]), int(fact[f"{c.tally}mx"])
    lo, hi = c.lower, c.higher
    threshold = Threshold(c.unit, lo, hi, least, most)
    shown = f"{least:,}" if most == least else f"at least {least:,}"
    # One item's own count is named as that item's; a total as the total.
    label = (
        f"data[{t.items[0]}].{c.unit}"
        if len(t.items) == 1 and not t.records
        else f"total {c.unit} ({', '.join(f'data[{i}]' for i in t.items) or 'no item'})"
    )
    if (lo is None or least >= lo) and (hi is None or most <= hi):
        return [Check(c.name, label, shown, c.expected, "held")], threshold
    if (lo is not None and most < lo) or (hi is not None and least > hi) or not t.open_items:
        return [Check(c.name, label, shown, c.expected, "failed")], threshold
    return [Check(c.name, f, shown, c.expected, "unknown") for f in t.open_items], threshold


def _in_force(conds: list[Condition], fact: Mapping[str, Any], item: int) -> Check:
    """A rule's effective and expiry dates, as one check."""
    start = next((dt.date.fromordinal(c.bound) for c in conds if c.op == ">="), None)
    end = next((dt.date.fromordinal(c.bound) for c in conds if c.op == "<="), None)
    held = all(_status(c, fact, item)[0] == "held" for c in conds)
    day = dt.date.fromordinal(int(fact["day"])).isoformat()
    window = f"from {start or 'always'} to {end or 'no end'}"
    return Check(conds[0].name, "as_of", day, window, "held" if held else "failed")


def describe(
    rule: Rule,
    item: int,
    fact: Mapping[str, Any],
    tallies: Mapping[str, Tally],
    transfer: Transfer,
    fired: bool,
    evaluated: bool,
) -> Attempt:
    """``rule`` on data item ``item``'s fact document, condition by condition."""
    checks: list[Check] = []
    thresholds: list[Threshold] = []
    done: set[str] = set()
    for c in rule.conditions:
        if c.tally is not None:
            if c.tally in done:
                continue
            done.add(c.tally)
            group = [d for d in rule.conditions if d.tally == c.tally]
            more, threshold = _count_checks(group, fact, tallies[c.tally])
            checks += more
            thresholds.append(threshold)
            continue
        status, unstated = _status(c, fact, item)
        if c.fact == "day":
            if "day" in done:
                continue
            done.add("day")
            checks.append(_in_force([d for d in rule.conditions if d.fact == "day"], fact, item))
            continue
        subject = c.subject.format(i=item)
        value = fact.get(c.fact)
        if c.name == "counterparty" and value == 2:
            subject = "recipient.controlled_by"
        elif (
            c.name == "counterparty"
            and value == 0
            and c.claim
            and getattr(transfer.recipient, c.claim) is True
        ):
            subject = f"recipient.{c.claim}"  # a U.S. person, matched only as designated
        elif c.name == "counterparty" and value not in (0, 1, 2):
            for name in unstated:
                checks.append(Check(c.name, name, "unstated", c.expected, status))
            continue
        shown = _show(_stated(transfer, subject) if subject not in ("destination", "origin") else None)
        if subject in ("destination", "origin"):
            shown = transfer.destination if subject == "destination" else transfer.origin
        elif subject == "purpose" and transfer.purpose is None and transfer.purpose_bound is not None:
            bound = transfer.purpose_bound  # what decided the condition (issue 19)
            shown = f"unstated, one of {', '.join(sorted(set(bound.purposes)))} ({bound.source})"
        checks.append(Check(c.name, subject, shown, c.expected, status))
    return Attempt(
        rule.kind,
        rule.entry_id,
        rule.index,
        item,
        rule.category,
        tuple(checks),
        fired,
        evaluated,
        tuple(thresholds),
    )
