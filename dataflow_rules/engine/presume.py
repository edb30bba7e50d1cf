"""Facts taken as given, always stated: a facts file's facts and a catalogue's presumptions.

Two sources fill facts a description leaves unstated, and both are named in the decision
as an :class:`Assumption` with how to say otherwise:

- a facts file (models/facts.py) fills the exporter, recipient, context and security facts
  of every transfer that does not state them;
- a catalogue's ``presumptions`` fill a fact its law presumes (PIPL Art 4 and 73(4):
  personal information is identifiable unless anonymisation is claimed), but only a fact
  that an open finding of that catalogue lacks. A presumption never clears a finding that
  stands on stated facts: the engine keeps the verdict of those (docs/semantics.md, 4a).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from ..models.catalogue import Presumption
from ..models.decision import Assumption, Decision
from ..models.policies import Policies
from ..models.transfer import PurposeBound, Transfer, updated
from .volume import VolumeBound, bound_transfer

if TYPE_CHECKING:
    from ..models.facts import Facts  # built only when a facts file is read
    from .compile import SidePlan

_ITEM = re.compile(r"^data\[(\d+)\]\.anonymised$")
_ITEM_FACT = re.compile(r"^data\[(\d+)\]\.(\w+)$")
_LEG_FACT = re.compile(r"^onward\[(\d+)\]\.((exporter|recipient)\.(\w+))$")
"""A fact of an onward leg's own exporter or recipient (legs.Hop.path)."""


def apply_facts(
    transfer: Transfer, facts: Facts | None, purposes: Collection[str] = ()
) -> tuple[Transfer, list[Assumption]]:
    """``transfer`` with the facts file's facts where it states none; what was taken.

    ``purposes``: the taxonomy's purposes, for the file's ``excluded_purposes`` (a transfer
    stating no purpose is bounded to the others; the bound is stated by
    :func:`bound_assumptions`)."""
    if facts is None:
        return transfer, []
    transfer = _exclude_purposes(transfer, facts, purposes)
    if facts.volume:  # stated by volume.volume_notes once the decision shows what it capped
        transfer = bound_transfer(transfer, VolumeBound(dict(facts.volume), facts.source))
    taken: list[Assumption] = []
    source = facts.source

    def take(fact: str, value: bool | str) -> None:
        taken.append(
            Assumption(
                fact=fact,
                value=value,
                source=source,
                sentence=f"{fact} is {show_value(value)}, as {source} states for every transfer.",
                override=f"state {fact} in the transfer, or change {source}",
            )
        )

    def fill(head: str, given: Any, stated: Any, names: tuple[str, ...]) -> dict[str, Any]:
        """The facts file's ``head`` facts the transfer leaves unstated, each taken."""
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(given, name)
            if value is not None and getattr(stated, name) is None:
                out[name] = value
                take(f"{head}.{name}", value)
        return out

    exporter = fill("exporter", facts.exporter, transfer.exporter, ("id", "name", "ciio", "zone"))
    recipient = fill(
        "recipient", facts.recipient, transfer.recipient, ("type", "affiliate", "controlled_by", "designated")
    )
    context = dict(transfer.context)
    for key, value in sorted(facts.context.items()):
        if key not in context:
            context[key] = value
            take(f"context.{key}", value)
    security = dict(transfer.security)
    for key, value in sorted(facts.security.items()):
        if key not in security:
            security[key] = value
            take(f"security.{key}", value)
    if not taken:
        return transfer, []
    return (
        transfer.model_copy(
            update={
                "exporter": transfer.exporter.model_copy(update=exporter),
                "recipient": transfer.recipient.model_copy(update=recipient),
                "context": context,
                "security": security,
            }
        ),
        taken,
    )


def _exclude_purposes(transfer: Transfer, facts: Facts, purposes: Collection[str]) -> Transfer:
    """``transfer`` bounded to the purposes the facts file does not exclude, when it states
    no purpose (a bound it already has, such as a Fides data use's, is narrowed)."""
    excluded = set(facts.excluded_purposes)
    if transfer.purpose is not None or not excluded or not purposes:
        return transfer
    bound = transfer.purpose_bound
    current = set(bound.purposes) if bound is not None else set(purposes)
    left = sorted(current - excluded)
    if not left or left == sorted(current):
        return transfer  # nothing excluded, or nothing left to decide over: unchanged
    said = f"{facts.source} (excluded_purposes: {', '.join(sorted(excluded & current))})"
    source = f"{bound.source}, less what {said} excludes" if bound is not None else said
    return transfer.model_copy(update={"purpose_bound": PurposeBound(purposes=left, source=source)})


def bound_assumptions(
    transfer: Transfer, plans: Iterable[SidePlan], vocabulary: Collection[str] = ()
) -> list[Assumption]:
    """The purpose bound (``transfer.purpose_bound``) as an assumption, when the purpose is
    unstated and a rule the decision reads looks at the purpose: the decision considered
    only the bound's purposes, and says which description bounded them (issue 19)."""
    bound = transfer.purpose_bound
    if transfer.purpose is not None or bound is None:
        return []
    if not any(name == "purpose" for plan in plans for name, _, _ in plan.set_flags):
        return []
    within = set(bound.purposes)
    left_out = sorted(set(vocabulary) - within)
    if vocabulary and len(left_out) < len(within):
        value = f"any but {', '.join(left_out)}"  # shorter said by what it leaves out
    else:
        value = f"one of {', '.join(sorted(within))}"
    return [
        Assumption(
            fact="purpose",
            value=value,
            source=bound.source,
            sentence=f"purpose is {value}, as {bound.source} bounds it; no other purpose was considered.",
            override="state purpose in the transfer (for a Fides or ODCS manifest, in its sidecar)",
        )
    ]


def presume(
    policies: Policies, transfer: Transfer, decision: Decision, day: dt.date
) -> tuple[Transfer, list[Assumption]]:
    """``transfer`` with every fact an open finding lacks and its catalogue presumes on
    ``day`` (the decision's as-of day)."""
    return presume_lacking(
        policies,
        transfer,
        [(r.jurisdiction, r.missing) for r in decision.reasons if r.kind == "missing_fact"],
        day,
    )


def presume_lacking(
    policies: Policies,
    transfer: Transfer,
    findings: Iterable[tuple[str, Iterable[str]]],
    day: dt.date,
) -> tuple[Transfer, list[Assumption]]:
    """:func:`presume` from each open finding's (jurisdiction, facts it lacks) alone: what
    the engine knows of a decision before its reasons are written (decide.Outline). Only a
    presumption in force on ``day`` fills a fact: a law presumes nothing before it exists."""
    lacking: dict[str, set[str]] = {}
    for code, missing in findings:
        for m in missing:
            lacking.setdefault(m, set()).add(code)
    if not lacking:
        return transfer, []
    chosen: dict[str, tuple[Presumption, str]] = {}
    conflicting: set[str] = set()
    for fact, codes in sorted(lacking.items()):
        for code in sorted(codes):
            loaded = policies.catalogues.get(code)
            if loaded is None:
                continue
            for p in loaded.catalogue.presumptions:
                if not p.in_force(day) or not _covers(policies, p, fact, transfer):
                    continue
                if fact in chosen and chosen[fact][0].value != p.value:
                    conflicting.add(fact)  # two laws presume differently: presume nothing
                chosen.setdefault(fact, (p, code))
    for fact in conflicting:
        chosen.pop(fact, None)
    if not chosen:
        return transfer, []
    updated = transfer
    taken: list[Assumption] = []
    for fact, (p, code) in sorted(chosen.items()):
        updated = set_fact(updated, fact, p.value)
        taken.append(_presumed(fact, p, code))
    return updated, taken


_PRESUMED: dict[tuple[str, str, int], tuple[Presumption, Assumption]] = {}
"""(fact, catalogue, id(presumption)) -> the assumption it states (the model is frozen)."""


def _presumed(fact: str, p: Presumption, code: str) -> Assumption:
    """The assumption presumption ``p`` of ``code``'s catalogue states for ``fact``: its
    words depend on these alone, so it is built once for each (half the decisions of a
    generated corpus presume a fact) rather than once per decision."""
    key = (fact, code, id(p))
    held = _PRESUMED.get(key)
    if held is not None and held[0] is p:
        return held[1]
    made = Assumption(
        fact=fact,
        value=p.value,
        source=f"presumption {code}",
        sentence=p.sentence,
        override=f"state {fact}: {show_value(not p.value)} in the transfer if it is so",
        citations=list(p.citations),
    )
    if len(_PRESUMED) >= 4096:
        _PRESUMED.clear()
    _PRESUMED[key] = (p, made)
    return made


def _covers(policies: Policies, p: Presumption, fact: str, transfer: Transfer) -> bool:
    """Whether presumption ``p`` speaks to the open fact ``fact``. A presumption about the
    recipient (or the exporter) is about who a party is, so it holds of each recipient the
    data reaches: it speaks to an onward leg's own recipient's fact too."""
    leg = _LEG_FACT.match(fact)
    if leg:
        return p.fact == leg.group(2)
    m = _ITEM.match(fact)
    if m:
        if p.fact != "data.anonymised":
            return False
        i = int(m.group(1))
        if p.categories is None:
            return True
        line = policies.taxonomy.get(transfer.data[i].category).ancestors
        return any(c in line for c in p.categories)
    return p.fact == fact


def set_fact(transfer: Transfer, fact: str, value: Any) -> Transfer:
    """``transfer`` with one fact, as users write its path, set to ``value``
    (``onward[0].recipient.designated``: the first onward leg's own recipient's)."""
    leg = _LEG_FACT.match(fact)
    if leg:
        i, head, name = int(leg.group(1)), leg.group(3), leg.group(4)
        legs = list(transfer.onward)
        legs[i] = updated(legs[i], {head: updated(getattr(legs[i], head), {name: value})})
        return updated(transfer, {"onward": legs})
    m = _ITEM_FACT.match(fact)
    if m:
        i, name = int(m.group(1)), m.group(2)
        data = list(transfer.data)
        data[i] = updated(data[i], {name: value})
        return updated(transfer, {"data": data})
    head, _, name = fact.partition(".")
    if head in ("exporter", "recipient") and name:
        part = getattr(transfer, head)
        return updated(transfer, {head: updated(part, {name: value})})
    if head in ("context", "security") and name:
        return updated(transfer, {head: {**getattr(transfer, head), name: value}})
    if head in ("purpose", "transaction") and not name:
        return updated(transfer, {head: value})
    raise ValueError(f"not a settable fact: {fact}")


def show_value(value: bool | str) -> str:
    """A fact's value as users write it: true, false, or the word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
