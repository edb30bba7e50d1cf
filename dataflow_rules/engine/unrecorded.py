"""The presumption a decision makes when no ledger was read: that no earlier transfer of
the same exporter inside the law's window counts with this one.

China counts the individuals an exporter has provided abroad since 1 January (2024
Provisions Arts 7-8), the US rule over the preceding 12 months with the same counterparty
(28 CFR 202.205). A decision made without the audit trail (``check`` without ``--ledger``,
``batch`` without ``--cumulative``, ``Engine.decide`` without ``prior``) compares this
transfer's own totals only. That may be the law's answer or an undercount; the decision
must say which it assumed and how to count for real (docs/semantics.md, section 3a).

Likewise what the default takes of a destination with no catalogue (no conditions on
receiving data, section 2): an unchecked law the decision must name.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right

from ..models.catalogue import Catalogue, Counting, Entry, LocalisationEntry
from ..models.decision import Assumption, Decision, Verdict
from ..models.policies import Policies
from ..models.transfer import Transfer
from .counting import _relation, window_start

_UNITS = ("individuals", "records", "devices")

_MEMO_SIZE = 4096
"""Answers remembered by :func:`_counted_across` and :func:`_assumption` (each a pure
function of the loaded catalogues and a few values of the transfer); emptied when full."""
_FOUND: dict[tuple[int, int, str, frozenset[str], int], tuple[object, object, Found]] = {}
_SAID: dict[tuple[str, int, int, dt.date | None], tuple[object, object, Assumption]] = {}

_PER = {
    "exporter": "of the same exporter",
    "exporter_and_recipient": "of the same exporter to the same recipient",
}


def unrecorded_assumptions(
    policies: Policies, transfer: Transfer, decision: Decision, day: dt.date
) -> list[Assumption]:
    """One assumption per catalogue checked whose count conditions count across transfers
    and could apply to one of the transfer's items (whatever its count: a total below the
    threshold is exactly where earlier transfers would matter). None for a restrict:
    earlier transfers only ever add to a total, so they cannot change that answer."""
    if decision.verdict is Verdict.RESTRICT:
        return []
    sides = sorted({(r.jurisdiction, r.side) for r in decision.reasons if r.kind != "domestic"})
    out: list[Assumption] = []
    seen: set[str] = set()
    categories: frozenset[str] | None = None
    for code, side in sides:
        loaded = policies.catalogues.get(code)
        if loaded is None or code in seen:
            continue
        if categories is None:
            categories = frozenset(item.category for item in transfer.data)
        found = _counted_across(policies, loaded.catalogue, side, categories, day)
        if found is None:
            continue
        seen.add(code)
        out.append(_assumption(code, *found, day))
    return out


def _assumption(code: str, entry: Entry | LocalisationEntry, how: Counting, day: dt.date) -> Assumption:
    """The assumption's words depend on the catalogue, the entry and the window's start
    only: built once per (catalogue, entry, its counting, start) and shared (the model is
    frozen)."""
    since = window_start(how.window, day)
    key = (code, id(entry), id(how), since)
    held = _SAID.get(key)
    if held is not None and held[0] is entry and held[1] is how:
        return held[2]
    if len(_SAID) >= _MEMO_SIZE:
        _SAID.clear()
    window = f"since {since}" if since is not None else ""
    made = Assumption(
        fact="ledger",
        value="no earlier transfers",
        source=f"presumption {code}",
        sentence=(
            f"No earlier transfer {_PER[how.per]} {window} was counted with this one: "
            f"{code} counts its thresholds across transfers ({entry.id} and others), and "
            "no ledger was read, so this decision compares this transfer's own totals only."
        ),
        override=(
            "give the audit trail of earlier decisions with --ledger DB (or --record), "
            "or decide a corpus together with batch --cumulative"
        ),
        citations=list(entry.citations[-1:]),
    )
    _SAID[key] = (entry, how, made)
    return made


Found = tuple[Entry | LocalisationEntry, Counting] | None


def _counted_across(
    policies: Policies, catalogue: Catalogue, side: str, categories: frozenset[str], day: dt.date
) -> Found:
    """The first designation of ``catalogue`` on ``side`` in force on ``day`` with a count
    condition counted across transfers that one of the transfer's items (of ``categories``)
    falls within (or may contain): a rule of another period counts over its own window and
    cites its own law. Remembered per (taxonomy, catalogue, side, the items' categories,
    period of ``day``): it reads no more. The period (:func:`_period`), not the day: a
    generated corpus or a ledger states a different day nearly every transfer, and the
    answer can change only where an entry comes into force or lapses."""
    key = (id(policies.taxonomy), id(catalogue), side, categories, _period(catalogue, side, day))
    held = _FOUND.get(key)
    if held is not None and held[0] is policies.taxonomy and held[1] is catalogue:
        return held[2]
    found = _first_counted(policies, catalogue, side, categories, day)
    if len(_FOUND) >= _MEMO_SIZE:
        _FOUND.clear()
    _FOUND[key] = (policies.taxonomy, catalogue, found)
    return found


_POINTS: dict[tuple[int, str], tuple[object, tuple[int, ...]]] = {}
"""(catalogue, side) -> the days (ordinals) on which some designation of that side comes into
force or lapses (the day after its ``expires``)."""


def _period(catalogue: Catalogue, side: str, day: dt.date) -> int:
    """Which of the periods between :data:`_POINTS` ``day`` falls in: every designation's
    ``in_force`` (``effective <= day <= expires``) is the same on every day of a period,
    so :func:`_first_counted` gives the same answer on them all."""
    held = _POINTS.get((id(catalogue), side))
    if held is None or held[0] is not catalogue:
        points: set[int] = set()
        for entry in _designations(catalogue, side):
            if entry.effective is not None:
                points.add(entry.effective.toordinal())
            if entry.expires is not None:
                points.add(entry.expires.toordinal() + 1)
        if len(_POINTS) >= _MEMO_SIZE:
            _POINTS.clear()
        held = _POINTS[(id(catalogue), side)] = (catalogue, tuple(sorted(points)))
    return bisect_right(held[1], day.toordinal())


def _designations(catalogue: Catalogue, side: str) -> list[Entry | LocalisationEntry]:
    """The designations of ``catalogue`` that apply on ``side``, in the order they are tried."""
    designations: list[Entry | LocalisationEntry] = [
        e for e in catalogue.entries if e.direction in (side, "both")
    ]
    if side == "outbound":
        designations += catalogue.localisation
    return designations


def _first_counted(
    policies: Policies, catalogue: Catalogue, side: str, items: frozenset[str], day: dt.date
) -> Found:
    for entry in _designations(catalogue, side):
        how = entry.counting or catalogue.counting
        if (
            not entry.in_force(day)
            or how.window == "transfer"
            or all(getattr(entry.when, u) is None for u in _UNITS)
        ):
            continue
        categories = tuple(entry.categories)
        if any(_relation(policies.taxonomy, categories, category) for category in items):
            return entry, how
    return None


def unlisted_assumptions(decision: Decision) -> list[Assumption]:
    """One assumption per destination without a catalogue that the default took to restrict
    nothing inbound (docs/semantics.md, section 2): the decision must say it did not check
    that country's law, and how to have it reviewed instead."""
    codes = sorted(
        {
            r.jurisdiction
            for r in decision.reasons
            if r.kind == "no_catalogue" and r.side == "inbound" and r.verdict is Verdict.ALLOW
        }
    )
    return [_UNLISTED.get(code) or _unlisted(code) for code in codes]


_UNLISTED: dict[str, Assumption] = {}


def _unlisted(code: str) -> Assumption:
    made = Assumption(
        fact=f"{code} inbound",
        value="no conditions",
        source=f"no catalogue for {code}",
        sentence=f"No catalogue for {code}: taken to place no conditions on receiving data.",
        override="--unlisted review to ask",
    )
    if len(_UNLISTED) < _MEMO_SIZE:
        _UNLISTED[code] = made
    return made
