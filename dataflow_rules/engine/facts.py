"""Flat facts for the rules: one per data item per side, built from a transfer.

Facts carry only small integers and short strings (durable-rules caps properties per
object, notes point 7); the full transfer stays on the Python side. See compile.py for
what each flag means and how an unstated fact is encoded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models.transfer import DataItem, Transfer
from ..taxonomy import Taxonomy
from .compile import BIG, UNKNOWN, SidePlan


def _flag(value: bool | None) -> int:
    return UNKNOWN if value is None else int(value)


def side_base(plan: SidePlan, transfer: Transfer, as_of: dt.date) -> dict[str, Any]:
    """The properties shared by every item's fact on this side."""
    base: dict[str, Any] = {
        "day": as_of.toordinal(),
        "ciio": _flag(transfer.exporter.ciio),
        "aff": _flag(transfer.recipient.affiliate),
    }
    values = {
        "rtype": transfer.recipient.type,
        "purpose": transfer.purpose,
        "txn": transfer.transaction,
        # Issue 18: roles and the impact assessment (compile.py _SET_FACTS).
        "disc": transfer.roles.discloser,
        "rrole": transfer.roles.recipient,
        "tia": transfer.impact_assessment.outcome,
    }
    for (name, allowed), prop in plan.sets.items():
        value = values[name]
        base[prop] = UNKNOWN if value is None else int(value in allowed)
    for key, prop in plan.context.items():
        base[prop] = _flag(transfer.context.get(key))
    for key, prop in plan.security.items():
        base[prop] = _flag(transfer.security.get(key))
    outbound = plan.side == "outbound"
    peer = transfer.destination if outbound else transfer.origin
    control = transfer.recipient.controlled_by
    for (countries, every, excluded, include_controlled), prop in plan.counterparties.items():
        if peer in excluded:
            base[prop] = 0  # an excluded peer never matches, whoever controls the recipient
        elif every or peer in countries:
            base[prop] = 1
        elif include_controlled and control is not None:
            base[prop] = 2 if control in countries else 0
        elif include_controlled:
            base[prop] = 3
        else:
            base[prop] = 0
    return base


def item_fact(plan: SidePlan, taxonomy: Taxonomy, base: dict[str, Any], item: DataItem) -> dict[str, Any]:
    category = taxonomy.get(item.category)
    fact = dict(base)
    fact.update(plan.category_flags(taxonomy, item.category))
    for name, value in (("ind", item.individuals), ("rec", item.records), ("dev", item.devices)):
        if value is None:
            fact[f"{name}_lo"], fact[f"{name}_hi"] = BIG, -1
        else:
            fact[name] = fact[f"{name}_lo"] = fact[f"{name}_hi"] = value
    fact["anon"] = _flag(item.anonymised)
    fact["ns"] = int(category.national_security)
    fact["praw"] = int(category.personal and item.anonymised is not True)
    return fact
