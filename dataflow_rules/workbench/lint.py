"""``lint``: problems a schema cannot see, each with a stable code (docs/workbench.md).

Runs on what ``validate`` could read: load errors are reported under their own codes
(unknown group, category, country, ...), and every catalogue that fits the schema is
also checked for shadowed entries, conflicting overlaps, green lanes that can never
apply, placeholder or future-dated citations and rules past their end date.

The shadowing and overlap checks are conservative: they report a pair only when the
catalogue's text proves it (categories, directions, counterparties, conditions, dates,
exemptions, green-lane clearing and satisfying mechanisms all compared), so a report is
always true, and some real overlaps written in roundabout ways go unreported.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pycountry

from ..loading import Document
from ..models.catalogue import Catalogue, Conditions, Counterparties, Entry, LocalisationEntry, alternatives
from ..models.common import Citation, Count
from ..taxonomy import Taxonomy
from .problems import Problem, ordered
from .validate import validate_directory

Designation = Entry | LocalisationEntry
_EVERY = frozenset(str(c.alpha_2) for c in pycountry.countries)
_PLACEHOLDER = re.compile(r"^\s*(n/?a|tbd|todo|tba|xxx+|\?+|-+|none|unknown|see above)\s*$", re.IGNORECASE)


def lint_directory(directory: Path | None = None, as_of: dt.date | None = None) -> list[Problem]:
    checked = validate_directory(directory)
    problems = list(checked.problems)
    day = as_of or dt.date.today()
    if checked.taxonomy is not None:
        for catalogue, document in checked.catalogues():
            problems += lint_catalogue(checked.taxonomy, catalogue, document, day)
    return ordered(problems)


def lint_catalogue(
    taxonomy: Taxonomy, catalogue: Catalogue, document: Document, day: dt.date
) -> list[Problem]:
    return list(_Lint(taxonomy, catalogue, document, day).run())


def _designations(cat: Catalogue) -> list[tuple[str, int, Designation]]:
    return [("entries", i, e) for i, e in enumerate(cat.entries)] + [
        ("localisation", i, e) for i, e in enumerate(cat.localisation)
    ]


def _direction(d: Designation) -> set[str]:
    if isinstance(d, LocalisationEntry):
        return {"outbound"}
    return {"outbound", "inbound"} if d.direction == "both" else {d.direction}


class _Lint:
    def __init__(self, taxonomy: Taxonomy, catalogue: Catalogue, document: Document, day: dt.date) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.day = day

    def at(self, code: str, message: str, *path: str | int) -> Problem:
        return Problem.at(self.doc.locate(path), code, message)

    def run(self) -> Iterator[Problem]:
        yield from self.citations()
        yield from self.expired()
        yield from self.lanes()
        if self.cat.zone is not None or not self._references_ok():
            return  # pairwise checks need every category and group to resolve (a layer's: in its base)
        designations = _designations(self.cat)
        for (sa, ia, a), (_sb, _ib, b) in itertools.permutations(designations, 2):
            if self.shadows(b, a):
                yield self.at(
                    "DFR050",
                    f"'{a.id}' ({a.outcome}) can never change a verdict: '{b.id}' ({b.outcome}) applies "
                    "whenever it does, cannot be cleared when it can, and no safeguard that satisfies "
                    f"'{b.id}' leaves '{a.id}' unsatisfied",
                    sa,
                    ia,
                    "id",
                )
        for (sa, ia, a), (_sb, _ib, b) in itertools.combinations(designations, 2):
            if (
                a.outcome != b.outcome
                and not self.shadows(a, b)
                and not self.shadows(b, a)
                and self.overlap(a, b)
            ):
                yield self.at(
                    "DFR051",
                    f"'{a.id}' ({a.outcome}) and '{b.id}' ({b.outcome}) can both apply to the same data; "
                    "the stricter decides, so check that this is meant",
                    sa,
                    ia,
                    "id",
                )

    def _references_ok(self) -> bool:
        for _, _, d in _designations(self.cat):
            cp = d.counterparties
            if any(c not in self.tax for c in d.categories) or any(
                g not in self.cat.groups for g in [*cp.groups, *cp.except_groups]
            ):
                return False
        return True

    # -- citations and dates -------------------------------------------------------------

    def citations(self) -> Iterator[Problem]:
        sections: list[tuple[str, list[object]]] = [
            ("entries", list(self.cat.entries)),
            ("localisation", list(self.cat.localisation)),
            ("green_lanes", list(self.cat.green_lanes)),
            ("exemptions", list(self.cat.exemptions)),
        ]
        places: list[tuple[tuple[str | int, ...], list[Citation]]] = [(("sources",), list(self.cat.sources))]
        for section, items in sections:
            for i, item in enumerate(items):
                places.append(((section, i, "citations"), list(getattr(item, "citations"))))  # noqa: B009
        for name, group in self.cat.groups.items():
            places.append((("groups", name, "citations"), list(group.citations)))
        for path, cites in places:
            for j, c in enumerate(cites):
                for field in ("instrument", "article"):
                    if _PLACEHOLDER.match(getattr(c, field)):
                        yield self.at(
                            "DFR021",
                            f"citation {field} '{getattr(c, field)}' is a placeholder",
                            *path,
                            j,
                            field,
                        )
                if c.date > self.day:
                    yield self.at(
                        "DFR021", f"citation dated {c.date}, after {self.day}: not yet law", *path, j, "date"
                    )

    def expired(self) -> Iterator[Problem]:
        for section in ("entries", "localisation", "green_lanes", "exemptions"):
            for i, rule in enumerate(getattr(self.cat, section)):
                if rule.expires is not None and rule.expires < self.day:
                    yield self.at(
                        "DFR030",
                        f"'{rule.id}' expired on {rule.expires}; it no longer applies",
                        section,
                        i,
                        "expires",
                    )

    # -- green lanes ---------------------------------------------------------------------

    def lanes(self) -> Iterator[Problem]:
        for i, lane in enumerate(self.cat.green_lanes):
            roots = lane.categories or [c for c in self.tax.categories if "." not in c]
            if any(c not in self.tax for c in roots):
                continue
            eligible = [
                d for c in roots for d in self.tax.descendants(c) if not self.tax.get(d).national_security
            ]
            if not eligible:
                yield self.at(
                    "DFR052",
                    f"green lane '{lane.id}' covers only national-security categories, which no lane may free",
                    "green_lanes",
                    i,
                    "categories",
                )
            elif lane.when.anonymised is False and all(self.tax.get(d).personal for d in eligible):
                yield self.at(
                    "DFR052",
                    f"green lane '{lane.id}' requires anonymised: false, but covers only personal data, "
                    "which a lane frees only when anonymised",
                    "green_lanes",
                    i,
                    "when",
                    "anonymised",
                )
            elif not _satisfiable(lane.when):
                yield self.at(
                    "DFR052",
                    f"green lane '{lane.id}' has conditions no transfer can meet",
                    "green_lanes",
                    i,
                    "when",
                )

    # -- pairs ---------------------------------------------------------------------------

    def _within(self, narrow: str, broad: str) -> bool:
        return broad in self.tax.get(narrow).ancestors

    def _countries(self, cp: Counterparties) -> set[str] | None:
        """The peers the counterparties match (None: every country), exclusions applied."""
        if cp.is_all():
            return None
        out = set(_EVERY) if cp.lists_all() else set(cp.countries)
        for g in cp.groups:
            out |= set(self.cat.groups[g].countries)
        for c in cp.except_countries:
            out.discard(c)
        for g in cp.except_groups:
            out -= set(self.cat.groups[g].countries)
        return out

    def shadows(self, b: Designation, a: Designation) -> bool:
        """Whenever ``a`` applies, ``b`` applies with a verdict at least as strict, stays when
        ``a`` stays, and is met by no safeguard that leaves ``a`` unmet: ``a`` never matters."""
        if not (b.outcome == "restrict" and a.outcome == "review"):
            return False
        if not _direction(a) <= _direction(b):
            return False
        if not all(any(self._within(ca, cb) for cb in b.categories) for ca in a.categories):
            return False
        ka, kb = self._countries(a.counterparties), self._countries(b.counterparties)
        if kb is not None and (
            ka is None
            or not ka <= kb
            or (a.counterparties.include_controlled and not b.counterparties.include_controlled)
        ):
            return False
        if not _window_covers(b, a) or not _weaker(b.when, a.when):
            return False
        b_fixed = b.national_security or b.overrides_green_lanes
        a_fixed = a.national_security or a.overrides_green_lanes
        if a_fixed and not b_fixed:
            return False  # a lane can clear b and leave a standing
        exempt_b = {x.id for x in self.cat.exemptions if b.id in x.applies_to}
        exempt_a = {x.id for x in self.cat.exemptions if a.id in x.applies_to}
        if not exempt_b <= exempt_a:
            return False
        alts_a = alternatives(a.mechanisms)
        return all(any(set(x) <= set(y) for x in alts_a) for y in alternatives(b.mechanisms))

    def overlap(self, a: Designation, b: Designation) -> bool:
        """Some transfer can meet both (on stated facts, with one data item)."""
        if not _direction(a) & _direction(b):
            return False
        if not any(self._within(x, y) or self._within(y, x) for x in a.categories for y in b.categories):
            return False
        ka, kb = self._countries(a.counterparties), self._countries(b.counterparties)
        controlled = a.counterparties.include_controlled or b.counterparties.include_controlled
        if ka is not None and kb is not None and not (ka & kb) and not controlled:
            return False
        if not _windows_meet(a, b):
            return False
        return _satisfiable_together(a.when, b.when)


def _window_covers(b: Designation, a: Designation) -> bool:
    lo_ok = b.effective is None or (a.effective is not None and a.effective >= b.effective)
    hi_ok = b.expires is None or (a.expires is not None and a.expires <= b.expires)
    return lo_ok and hi_ok


def _windows_meet(a: Designation, b: Designation) -> bool:
    start = max((d for d in (a.effective, b.effective) if d), default=dt.date.min)
    end = min((d for d in (a.expires, b.expires) if d), default=dt.date.max)
    return start <= end


def _range(c: Count | None) -> tuple[int, float]:
    if c is None:
        return 0, float("inf")
    lo, hi = c.lower(), c.upper()
    return (lo or 0), (float("inf") if hi is None else hi)


def _weaker(b: Conditions, a: Conditions) -> bool:
    """Every transfer meeting ``a``'s conditions meets ``b``'s."""
    for name in ("individuals", "records", "devices"):
        cb = getattr(b, name)
        if cb is None:
            continue
        ca = getattr(a, name)
        if ca is None:
            return False
        (la, ha), (lb, hb) = _range(ca), _range(cb)
        if not (lb <= la and ha <= hb):
            return False
    for name in ("anonymised", "exporter_ciio", "recipient_affiliate"):
        want = getattr(b, name)
        if want is not None and getattr(a, name) != want:
            return False
    for name in ("recipient_types", "purposes", "transactions"):
        allowed = getattr(b, name)
        if allowed is not None and (getattr(a, name) is None or not set(getattr(a, name)) <= set(allowed)):
            return False
    for mapping in ("context", "security"):
        need = getattr(b, mapping) or {}
        have = getattr(a, mapping) or {}
        if any(have.get(k) != v for k, v in need.items()):
            return False
    return True


def _satisfiable(w: Conditions) -> bool:
    return _satisfiable_together(w, Conditions())


def _satisfiable_together(a: Conditions, b: Conditions) -> bool:
    for name in ("individuals", "records", "devices"):
        (la, ha), (lb, hb) = _range(getattr(a, name)), _range(getattr(b, name))
        if max(la, lb) > min(ha, hb):
            return False
    for name in ("anonymised", "exporter_ciio", "recipient_affiliate"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            return False
    for name in ("recipient_types", "purposes", "transactions"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and not set(x) & set(y):
            return False
    for mapping in ("context", "security"):
        x, y = getattr(a, mapping) or {}, getattr(b, mapping) or {}
        if any(k in y and y[k] != v for k, v in x.items()):
            return False
    return True
