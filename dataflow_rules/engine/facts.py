"""Flat facts for the rules: one per data item per side, built from a transfer.

Facts carry only small integers and short strings (durable-rules caps properties per
object, notes point 7); the full transfer stays on the Python side. See compile.py for
what each flag means and how an unstated fact is encoded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ..models.taxonomy import Taxonomy
from ..models.transfer import DataItem, Transfer
from .compile import UNKNOWN, SidePlan
from .counting import BIG, ZERO, PriorItem, Tally, tally, window_start
from .volume import volume_of

_NOTHING = ZERO


def _flag(value: bool | None) -> int:
    return UNKNOWN if value is None else int(value)


def purpose_bound(transfer: Transfer) -> frozenset[str] | None:
    """The purposes an unstated purpose can be (``transfer.purpose_bound``); None when the
    purpose is stated or nothing bounds it."""
    if transfer.purpose is not None or transfer.purpose_bound is None:
        return None
    return frozenset(transfer.purpose_bound.purposes)


def side_base(
    plan: SidePlan,
    taxonomy: Taxonomy,
    transfer: Transfer,
    as_of: dt.date,
    prior: Sequence[PriorItem] = (),
    totals: Totals | None = None,
) -> tuple[dict[str, Any], dict[str, Tally]]:
    """The properties shared by every item's fact on this side, and the tallies behind its
    count properties (the most each total can be, ``<g>mx``, and the least it is, ``<g>mn``).

    ``totals``: the tallies one decision has counted so far, by (what is counted,
    :func:`counts_key`): its branches mostly change facts no total reads, so each total is
    counted once a decision, not once a branch."""
    tallies: dict[str, Tally] = {}
    counts = plan.counts
    if counts:  # most plans count nothing: no item need be looked at
        counted: set[str] = set()
        for item in transfer.data:
            counted |= plan.counted_by(taxonomy, item.category)
        same: tuple[Any, ...] | None = None
        for count_key, prefix in counts.items():
            if prefix not in counted and (not prior or window_start(count_key.window, as_of) is None):
                # Nothing it counts is in this transfer, and no earlier transfer can count: the
                # total is exactly zero (what tally() returns then, without walking the items).
                tallies[prefix] = _NOTHING
                continue
            if totals is None:
                tallies[prefix] = tally(taxonomy, count_key, transfer, as_of, prior)
                continue
            if same is None:
                same = counts_key(transfer, as_of, prior)
            held = totals.get((count_key, same))
            if held is None:
                held = totals[(count_key, same)] = (
                    transfer,
                    tally(taxonomy, count_key, transfer, as_of, prior),
                )
            tallies[prefix] = held[1]
    ciio, affiliate = transfer.exporter.ciio, transfer.recipient.affiliate
    base: dict[str, Any] = {
        "day": as_of.toordinal(),
        "ciio": UNKNOWN if ciio is None else int(ciio),
        "aff": UNKNOWN if affiliate is None else int(affiliate),
    }
    set_flags = plan.set_flags
    if set_flags:
        recipient, roles = transfer.recipient, transfer.roles
        values = {
            "rtype": recipient.type,
            "purpose": transfer.purpose,
            "txn": transfer.transaction,
            # Issue 18: roles and the impact assessment (compile.py _SET_FACTS).
            "disc": roles.discloser,
            "rrole": roles.recipient,
            "tia": transfer.impact_assessment.outcome,
        }
        bound = purpose_bound(transfer)
        for name, allowed, prop in set_flags:
            value = values[name]
            if value is None and name == "purpose" and bound is not None:
                # A bounded purpose (issue 19): certain when every purpose it allows meets the
                # condition, or none does; open otherwise (case analysis decides over the bound).
                base[prop] = 1 if bound <= allowed else 0 if not bound & allowed else UNKNOWN
                continue
            base[prop] = UNKNOWN if value is None else int(value in allowed)
    if plan.context:
        context = transfer.context
        for key, prop in plan.context.items():
            stated = context.get(key)
            base[prop] = UNKNOWN if stated is None else int(stated)
    if plan.security:
        security = transfer.security
        for key, prop in plan.security.items():
            stated = security.get(key)
            base[prop] = UNKNOWN if stated is None else int(stated)
    if counts:
        for prefix, most, least in plan.count_properties:
            t = tallies[prefix]
            if t is _NOTHING:
                base[most] = base[least] = 0
                continue
            high, low = t.high, t.low  # (Tally.most and .least, read once each)
            base[most] = BIG if high is None or high > BIG else high
            base[least] = BIG if low > BIG else low
    flags = plan.counterparty_flags
    if flags:
        outbound = plan.side == "outbound"
        peer = transfer.destination if outbound else transfer.origin
        control = transfer.recipient.controlled_by
        designated = transfer.recipient.designated
        us_person = transfer.recipient.us_person is True
        # Inside the country a recipient is a U.S. person ("any person in the United
        # States", 28 CFR 202.256(a)) unless it is an entity stated not to be one: a company
        # organised under a country of concern's laws is a foreign person "including its U.S.
        # branch" (202.256(b) Example 7); an individual there is always one (Example 1).
        # An entity whose status is not stated, controlled from a listed country, may be
        # either (a U.S. subsidiary is a U.S. person, Example 8): open on recipient.us_person.
        entity = transfer.recipient.type != "individual"
        foreign_entity = transfer.recipient.us_person is False and entity
        maybe_foreign = transfer.recipient.us_person is None and entity
        for (
            countries,
            every,
            excluded,
            include_controlled,
            include_designated,
            except_us,
            foreign,
            prop,
        ) in flags:
            if foreign and not foreign_entity:
                # Only a designation brings a U.S. person at home in ((a)(5)).
                if designated is True:
                    base[prop] = 1
                elif maybe_foreign and control is not None and control in countries:
                    base[prop] = 7 if designated is None else 6
                else:
                    base[prop] = 4 if designated is None else 0
            elif peer in excluded:
                base[prop] = 0  # an excluded peer never matches, whoever controls the recipient
            elif except_us and us_person:
                # A U.S. person is no covered person of 28 CFR 202.211(a)(1)-(4), wherever it
                # is or whoever owns it; only a designation ((a)(5)) brings it in.
                if not include_designated or designated is False:
                    base[prop] = 0
                else:
                    base[prop] = 1 if designated is True else 4
            elif every or peer in countries or (include_designated and designated is True):
                base[prop] = 1
            elif include_controlled and control is not None and control in countries:
                base[prop] = 2
            elif include_controlled and control is None:
                base[prop] = 5 if include_designated and designated is None else 3
            else:
                base[prop] = 4 if include_designated and designated is None else 0
    return base, tallies


def item_properties(plan: SidePlan, taxonomy: Taxonomy, item: DataItem) -> dict[str, int]:
    """The properties of one item's fact that are its own (category flags, anonymised, the
    lane proviso's flags); the rest of the fact is the side's (:func:`side_base`). They
    depend on the category and the anonymised flag alone, so each pair is built once per
    plan (callers only read the dictionary)."""
    key = (item.category, item.anonymised)
    own = plan.own_facts.get(key)
    if own is None:
        own = plan.own_facts[key] = _own(plan, taxonomy, item)
    return own


def _own(plan: SidePlan, taxonomy: Taxonomy, item: DataItem) -> dict[str, int]:
    category = taxonomy.get(item.category)
    own = dict(plan.category_flags(taxonomy, item.category))
    own["anon"] = _flag(item.anonymised)
    own["ns"] = int(category.national_security)
    own["praw"] = int(category.personal and item.anonymised is not True)
    return own


def item_fact(plan: SidePlan, taxonomy: Taxonomy, base: dict[str, Any], item: DataItem) -> dict[str, Any]:
    return {**base, **item_properties(plan, taxonomy, item)}


_SET_FIELDS: dict[str, Callable[[Transfer], object]] = {
    "rtype": lambda t: t.recipient.type,
    "purpose": lambda t: (t.purpose, id(t.purpose_bound)),
    "txn": lambda t: t.transaction,
    "disc": lambda t: t.roles.discloser,
    "rrole": lambda t: t.roles.recipient,
    "tia": lambda t: t.impact_assessment.outcome,
}
"""Per choice flag of compile.py's _SET_FACTS (named as :func:`side_base` names them), the
part of the transfer it reads."""


def _set_readers(plan: SidePlan) -> tuple[Callable[[Transfer], object], ...]:
    readers = plan.set_readers
    if readers is None:
        names = dict.fromkeys(name for name, _, _ in plan.set_flags)
        readers = plan.set_readers = tuple(_SET_FIELDS[name] for name in names)
    return readers


Totals = dict[tuple[Any, ...], tuple[Transfer, Tally]]
"""(count key, :func:`counts_key`) -> (a transfer of that key, kept alive for the ids the key
holds; its tally)."""


def counts_key(transfer: Transfer, as_of: dt.date, prior: Sequence[PriorItem]) -> tuple[Any, ...]:
    """Everything counting.tally reads of a transfer (with the as-of day and the earlier
    records): the items, the exporter's and recipient's identity, the volume bound and
    ``prior``. The items, the bound and ``prior`` are keyed by identity (a branch that sets
    an item's fact copies the list; one over totals forces a new bound), so the caller
    keeps the transfer alive while its key is in use."""
    exporter, recipient = transfer.exporter, transfer.recipient
    return (
        as_of,
        id(prior),
        exporter.id,
        exporter.name,
        recipient.id,
        recipient.name,
        id(transfer.data),
        id(volume_of(transfer)),
    )


def side_key(
    plan: SidePlan, transfer: Transfer, as_of: dt.date, prior: Sequence[PriorItem]
) -> tuple[Any, ...]:
    """Everything of ``transfer`` that deciding one side of ``plan`` reads: two transfers
    with the same key give the same fact documents, tallies, firings and reasons on that
    side, so the branches of one decision (presumptions, case analysis) that change a fact
    only the other side reads share this side's evaluation (Engine._evaluate).

    A superset of what :func:`side_base`, the item facts, counting.tally (items, exporter
    and recipient identity, the volume bound) and decide._side_reasons (items, safeguards,
    countries, recipient name) read; a choice fact, a context fact or a security measure
    only when the plan has a rule on it. The items, the safeguards, the purpose bound, the
    volume bound and ``prior`` are keyed by identity (a branch that sets an item's fact
    copies the list, and no branch changes the others but by a new object): the caller
    keeps the transfer alive while its key is in use."""
    exporter, recipient = transfer.exporter, transfer.recipient
    return (
        # counts_key's members, written out (a branch makes one key per plan it evaluates)
        as_of,
        id(prior),
        exporter.id,
        exporter.name,
        recipient.id,
        recipient.name,
        id(transfer.data),
        id(volume_of(transfer)),
        transfer.origin,
        transfer.destination,
        exporter.ciio,
        exporter.zone,
        recipient.affiliate,
        recipient.controlled_by,
        recipient.designated,
        recipient.us_person,
        recipient.type,
        tuple([read(transfer) for read in _set_readers(plan)]),
        tuple(map(transfer.context.get, plan.context)),
        tuple(map(transfer.security.get, plan.security)),
        id(transfer.safeguards),
    )
