"""``lint``: problems a schema cannot see, each with a stable code (docs/workbench.md).

Runs on what ``validate`` could read: load errors are reported under their own codes
(unknown group, category, country, ...), and every catalogue that fits the schema is
also checked for shadowed entries, conflicting overlaps, green lanes that can never
apply, placeholder or future-dated citations and rules past their end date.

The shadowing and overlap checks are conservative: they report a pair only when the
catalogue's text proves it (categories, directions, counterparties, conditions, dates,
exemptions, green-lane clearing and satisfying mechanisms all compared), so a report is
always true, and some real overlaps written in roundabout ways go unreported.

A zone layer is linted twice over. On its own, for what needs no base (citations, dates,
green lanes); and on the catalogue its zone's exporters are actually decided by
(``catalogues.merged``), where the pair checks run and each problem is reported in the
file that holds the item (the layer, or the base for base items; a base-only problem the
base's own lint reports is not repeated). Layer-specific checks (DFR064-DFR068) look for
a layer that does less than it seems to: nothing at all, exemptions that can never
clear, entries the base already makes, groups that silently change base rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..errors import Location
from ..loading import Document
from ..models.catalogue import (
    CHOICES,
    COUNTS,
    Catalogue,
    Conditions,
    Counterparties,
    Designation,
    Exemption,
    LocalisationEntry,
    alternatives,
)
from ..models.common import Citation, Count, alpha_2_codes
from ..models.policies import merged
from ..models.problems import Problem, ordered
from ..models.taxonomy import Taxonomy
from .validate import CatalogueFile, validate_directory

Dated = Designation | Exemption
Path_ = tuple[str | int, ...]
Locator = Callable[[Sequence[str | int]], Location]
_EVERY = alpha_2_codes()
_PLACEHOLDER = re.compile(r"^\s*(n/?a|tbd|todo|tba|xxx+|\?+|-+|none|unknown|see above)\s*$", re.IGNORECASE)


def lint_directory(directory: Path | None = None, as_of: dt.date | None = None) -> list[Problem]:
    """Every problem of the policy directory. A pair of designations the law means to
    overlap is marked in the catalogue itself (``overlaps:``), so DFR051 is not raised."""
    return _lint_all(directory, as_of)


def _lint_all(directory: Path | None, as_of: dt.date | None) -> list[Problem]:
    checked = validate_directory(directory)
    problems = list(checked.problems)
    day = as_of or dt.date.today()
    if checked.taxonomy is not None:
        own: dict[str, list[Problem]] = {}
        for catalogue, document in checked.catalogues():
            own[document.source] = lint_catalogue(checked.taxonomy, catalogue, document, day)
            problems += own[document.source]
        for f in checked.files:
            if f.base is not None:
                problems += lint_layer(checked.taxonomy, f, day, own.get(f.base.source, []))
    return ordered(problems)


def lint_catalogue(
    taxonomy: Taxonomy, catalogue: Catalogue, document: Document, day: dt.date
) -> list[Problem]:
    return list(_Lint(taxonomy, catalogue, document, day).run())


def lint_layer(
    taxonomy: Taxonomy, layer: CatalogueFile, day: dt.date, base_problems: Sequence[Problem] = ()
) -> list[Problem]:
    """The zone-only problems of a layer whose base was found (``layer.base``).

    ``base_problems`` are what the base's own lint reported: a problem found again on
    the merged catalogue, at the same place with the same words, is about the base alone
    and is not repeated; one that is new but lives in the base file is prefixed with the
    zone, since it holds only for that zone's exporters."""
    base = layer.base
    if layer.catalogue is None or layer.document is None or base is None:
        return []
    if base.catalogue is None or base.document is None:
        return []
    checks = _LayerLint(taxonomy, layer.catalogue, layer.document, base.catalogue, base.document, day)
    known = set(base_problems)
    out = []
    for p in checks.run():
        if p.file == base.source:
            if p in known:
                continue
            p = dataclasses.replace(
                p, message=f"for zone '{layer.catalogue.zone}' ({layer.source}): {p.message}"
            )
        out.append(p)
    return out


def _designations(cat: Catalogue) -> list[tuple[str, int, Designation]]:
    return [("entries", i, e) for i, e in enumerate(cat.entries)] + [
        ("localisation", i, e) for i, e in enumerate(cat.localisation)
    ]


def _direction(d: Designation) -> set[str]:
    if isinstance(d, LocalisationEntry):
        return {"outbound"}
    return {"outbound", "inbound"} if d.direction == "both" else {d.direction}


class _Lint:
    def __init__(
        self,
        taxonomy: Taxonomy,
        catalogue: Catalogue,
        document: Document,
        day: dt.date,
        locate: Locator | None = None,
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.day = day
        self.locate = locate or document.locate
        """Where a path of ``catalogue`` was written: for a merged catalogue, in two files."""

    def at(self, code: str, message: str, *path: str | int) -> Problem:
        return Problem.at(self.locate(path), code, message)

    def run(self) -> Iterator[Problem]:
        yield from self.citations()
        yield from self.expired()
        yield from self.lanes()
        if self.cat.zone is not None or not self._references_ok():
            return  # pairwise checks need every category and group to resolve (a layer's: in its base)
        yield from self.pairs()

    def pair_path(self, a: Path_, b: Path_) -> Path_:
        """Where a problem about the pair (``a``, ``b``) is reported: at ``a``."""
        return a

    def pairs(self) -> Iterator[Problem]:
        designations = _designations(self.cat)
        for (sa, ia, a), (sb, ib, b) in itertools.permutations(designations, 2):
            if self.shadows(b, a):
                yield self.at(
                    "DFR050",
                    f"'{a.id}' ({a.outcome}) can never change a verdict: '{b.id}' ({b.outcome}) applies "
                    "whenever it does, cannot be cleared when it can, and no safeguard that satisfies "
                    f"'{b.id}' leaves '{a.id}' unsatisfied",
                    *self.pair_path((sa, ia), (sb, ib)),
                    "id",
                )
        for (sa, ia, a), (sb, ib, b) in itertools.combinations(designations, 2):
            if (
                a.outcome != b.outcome
                and b.id not in a.overlaps
                and a.id not in b.overlaps
                and not self.shadows(a, b)
                and not self.shadows(b, a)
                and self.overlap(a, b)
            ):
                yield self.at(
                    "DFR051",
                    f"'{a.id}' ({a.outcome}) and '{b.id}' ({b.outcome}) can both apply to the same data; "
                    "the stricter decides, so check that this is meant",
                    *self.pair_path((sa, ia), (sb, ib)),
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
        """An expired rule, unless it was superseded: another rule of the catalogue takes
        effect the day after it expires, so the catalogue encodes a change of the law on
        that day (China's rules before and from 22 March 2024), not a forgotten end date.
        The earlier rule still decides transfers as of its own period."""
        sections = ("entries", "localisation", "green_lanes", "exemptions")
        starts = {r.effective for sec in sections for r in getattr(self.cat, sec) if r.effective}
        for section in sections:
            for i, rule in enumerate(getattr(self.cat, section)):
                if rule.expires is not None and rule.expires < self.day:
                    if rule.expires + dt.timedelta(days=1) in starts:
                        continue
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
        return self.covers(b, a)

    def covers(self, b: Designation, a: Designation) -> bool:
        """Whenever ``a`` applies, ``b`` applies, stays when ``a`` stays, and is met by no
        safeguard that leaves ``a`` unmet (outcomes are the caller's to compare)."""
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
        if b.counterparties.except_us_persons and not a.counterparties.except_us_persons:
            return False  # b leaves out a U.S. person that a reaches
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


def _windows_meet(a: Dated, b: Dated) -> bool:
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
    for name in COUNTS:
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
    for name in CHOICES:
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
    return not _conflicts(a, b)


def _conflicts(a: Conditions, b: Conditions) -> list[str]:
    """The facts on which no transfer can meet both ``a`` and ``b`` (empty: some can)."""
    out = []
    for name in COUNTS:
        (la, ha), (lb, hb) = _range(getattr(a, name)), _range(getattr(b, name))
        if max(la, lb) > min(ha, hb):
            out.append(name)
    for name in ("anonymised", "exporter_ciio", "recipient_affiliate"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            out.append(name)
    for name in CHOICES:
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and not set(x) & set(y):
            out.append(name)
    for mapping in ("context", "security"):
        x, y = getattr(a, mapping) or {}, getattr(b, mapping) or {}
        out += [f"{mapping}.{k}" for k, v in x.items() if k in y and y[k] != v]
    return out


# -- zone layers -------------------------------------------------------------------------

SECTIONS = ("entries", "localisation", "green_lanes", "exemptions")


class _Origins:
    """Where each item of ``catalogues.merged(base, layer)`` was written.

    ``merged`` keeps the base's items first (less the designations the layer disables),
    then the layer's; groups and context facts come from the layer when it defines them,
    everything else from the base. The reading is checked against the merged lists id for
    id, so a change to ``merged`` cannot silently misplace a problem."""

    def __init__(
        self, base: Catalogue, base_doc: Document, layer: Catalogue, layer_doc: Document, mixed: Catalogue
    ) -> None:
        self.base_doc, self.layer, self.layer_doc = base_doc, layer, layer_doc
        off = set(layer.disables)
        self.items: dict[tuple[str, int], tuple[Document, int]] = {}
        for section in SECTIONS:
            drops = section in ("entries", "localisation", "exemptions")
            kept = [
                (base_doc, i, x.id)
                for i, x in enumerate(getattr(base, section))
                if not (drops and x.id in off)
            ]
            kept += [(layer_doc, i, x.id) for i, x in enumerate(getattr(layer, section))]
            ids = [x.id for x in getattr(mixed, section)]
            if [ident for _, _, ident in kept] != ids:
                raise AssertionError(f"lint's reading of catalogues.merged() is out of date ({section})")
            for k, (doc, i, _) in enumerate(kept):
                self.items[(section, k)] = (doc, i)

    def locate(self, path: Sequence[str | int]) -> Location:
        p = tuple(path)
        if len(p) >= 2 and isinstance(p[0], str) and isinstance(p[1], int) and (p[0], p[1]) in self.items:
            doc, i = self.items[(p[0], p[1])]
            return doc.locate((p[0], i, *p[2:]))
        if len(p) >= 2 and p[0] == "groups" and p[1] in self.layer.groups:
            return self.layer_doc.locate(p)
        if len(p) >= 2 and p[0] == "context_facts" and p[1] in self.layer.context_facts:
            return self.layer_doc.locate(p)
        return self.base_doc.locate(p)

    def in_layer(self, section: str | int, index: str | int) -> bool:
        if not isinstance(section, str) or not isinstance(index, int):
            return False
        found = self.items.get((section, index))
        return found is not None and found[0] is self.layer_doc


class _MergedLint(_Lint):
    """The pair checks on the catalogue a zone is decided by, located in the right file."""

    def __init__(self, taxonomy: Taxonomy, mixed: Catalogue, origins: _Origins, day: dt.date) -> None:
        super().__init__(taxonomy, mixed, origins.layer_doc, day, origins.locate)
        self.origins = origins

    def pair_path(self, a: Path_, b: Path_) -> Path_:
        """A pair of a base item and a layer item exists only in the zone, because of the
        layer: it is reported at the layer's item, which is what the drafter can change."""
        if not self.origins.in_layer(*a) and self.origins.in_layer(*b):
            return b
        return a


class _LayerLint:
    """Checks that need a layer and its base together (docs/workbench.md, zone layers).

    Each is about a layer that does less, or other, than its text suggests, and each
    reports only what the text proves, like the pair checks."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        layer: Catalogue,
        layer_doc: Document,
        base: Catalogue,
        base_doc: Document,
        day: dt.date,
    ) -> None:
        self.layer, self.layer_doc = layer, layer_doc
        self.base, self.base_doc = base, base_doc
        self.zone = str(layer.zone)
        self.off = set(layer.disables)
        mixed = merged(base, layer)
        self.lint = _MergedLint(taxonomy, mixed, _Origins(base, base_doc, layer, layer_doc, mixed), day)

    def at(self, code: str, message: str, *path: str | int) -> Problem:
        return Problem.at(self.layer_doc.locate(path), code, message)

    def in_base(self, *path: str | int) -> str:
        where = self.base_doc.locate(path)
        return f"{where.file}:{where.line}"

    def run(self) -> Iterator[Problem]:
        yield from self.duplicate_disables()
        redefined = list(self.redefined_groups())
        yield from redefined
        yield from self.empty(bool(redefined))
        yield from self.exemptions()
        if self.lint._references_ok():
            yield from self.lint.pairs()
            yield from self.redundant_entries()

    def duplicate_disables(self) -> Iterator[Problem]:
        first: dict[str, int] = {}
        for j, ident in enumerate(self.layer.disables):
            if ident in first:
                yield self.at(
                    "DFR064",
                    f"'{ident}' is disabled twice (also disables[{first[ident]}]); once is enough",
                    "disables",
                    j,
                )
            else:
                first[ident] = j

    def _base_rules(self) -> Iterator[tuple[str, Counterparties]]:
        """The base rules that still decide the zone's exports: outbound, not disabled."""
        for _, _, d in _designations(self.base):
            if d.id not in self.off and "outbound" in _direction(d):
                yield d.id, d.counterparties
        for lane in self.base.green_lanes:
            if lane.direction in ("outbound", "both"):
                yield lane.id, lane.counterparties

    def redefined_groups(self) -> Iterator[Problem]:
        """``merged`` lets a layer's group replace the base's group of the same name, so
        base rules naming it match other countries for the zone: silent, and easy to do by
        copying a group into the layer."""
        for name, group in self.layer.groups.items():
            old = self.base.groups.get(name)
            if old is None:
                continue
            added = sorted(set(group.countries) - set(old.countries))
            dropped = sorted(set(old.countries) - set(group.countries))
            users = [
                ident for ident, cp in self._base_rules() if name in cp.groups or name in cp.except_groups
            ]
            if not (added or dropped) or not users:
                continue
            change = " and ".join(
                part
                for part in (
                    f"adds {', '.join(added)}" if added else "",
                    f"drops {', '.join(dropped)}" if dropped else "",
                )
                if part
            )
            rules, match = ("the base rule", "matches") if len(users) == 1 else ("the base rules", "match")
            yield self.at(
                "DFR068",
                f"group '{name}' redefines the {self.base.jurisdiction} catalogue's group '{name}' "
                f"({self.in_base('groups', name)}) for zone '{self.zone}' exporters: it {change}, "
                f"so {rules} {', '.join(repr(u) for u in users)} {match} other countries in the zone; "
                "give the layer's group a name of its own unless this is meant",
                "groups",
                name,
            )

    def empty(self, redefines: bool) -> Iterator[Problem]:
        layer = self.layer
        if layer.entries or layer.localisation or layer.exemptions or layer.green_lanes or layer.disables:
            return
        if redefines:
            return
        rest = " (its groups and context facts alone change no base rule)" if layer.groups else ""
        yield self.at(
            "DFR065",
            f"layer '{self.zone}' changes nothing: it has no entries, exemptions, green lanes or "
            f"disables{rest}, so its zone's exporters are decided exactly as by the "
            f"{self.base.jurisdiction} catalogue",
            "zone",
        )

    def exemptions(self) -> Iterator[Problem]:
        """A layer's exemption is how a zone relieves national procedures; one that can never
        clear what it names leaves the zone's exporters under those procedures unnoticed."""
        designations = {d.id: d for _, _, d in _designations(self.base)}
        designations.update({d.id: d for _, _, d in _designations(self.layer)})
        for i, x in enumerate(self.layer.exemptions):
            dead: list[tuple[int, str, str]] = []
            known = 0
            for j, target in enumerate(x.applies_to):
                d = designations.get(target)
                if d is None:
                    continue  # an unknown id: validate reports it (DFR013)
                known += 1
                why = self._never_clears(x, d)
                if why:
                    dead.append((j, target, why))
            for j, target, why in dead:
                whole = f"; '{x.id}' clears nothing" if len(dead) == known else ""
                yield self.at(
                    "DFR066",
                    f"exemption '{x.id}' can never clear '{target}' for zone '{self.zone}' exporters: "
                    f"{why}{whole}",
                    "exemptions",
                    i,
                    "applies_to",
                    j,
                )

    def _never_clears(self, x: Exemption, d: Designation) -> str | None:
        if d.id in self.off:
            return "this layer disables it"
        if "outbound" not in _direction(d):
            return "it is an inbound entry, and a layer decides only its zone's exports"
        if not _windows_meet(d, x):
            return f"its dates ({_window(d)}) and the exemption's ({_window(x)}) never overlap"
        conflicts = _conflicts(d.when, x.when)
        if conflicts:
            return f"its conditions and the exemption's contradict each other on {', '.join(conflicts)}"
        return None

    def redundant_entries(self) -> Iterator[Problem]:
        """A layer entry the base already makes, same outcome, adds only a reason: usually a
        replacement whose base entry was not listed in ``disables``. (A base entry of a
        stronger outcome is DFR050, found by the pair checks on the merged catalogue.)"""
        active = [(s, i, d) for s, i, d in _designations(self.base) if d.id not in self.off]
        for section, i, a in _designations(self.layer):
            for bs, bi, b in active:
                if a.outcome == b.outcome and self.lint.covers(b, a):
                    fix = (
                        f"a layer cannot disable the national-security entry '{b.id}', so leave '{a.id}' out"
                        if b.national_security
                        else f"if '{a.id}' replaces it, list '{b.id}' in disables"
                    )
                    yield self.at(
                        "DFR067",
                        f"'{a.id}' adds nothing for zone '{self.zone}' exporters: the base entry '{b.id}' "
                        f"({self.in_base(bs, bi, 'id')}) applies whenever it does with the same outcome "
                        f"({a.outcome}), cannot be cleared when it can, and no safeguard that satisfies "
                        f"'{b.id}' leaves '{a.id}' unsatisfied; {fix}",
                        section,
                        i,
                        "id",
                    )
                    break


def _window(d: Dated) -> str:
    return f"{d.effective or 'always'} to {d.expires or 'open'}"
