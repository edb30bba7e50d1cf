"""The checks a schema cannot make on a policy directory: every name a catalogue uses
resolves (categories against the taxonomy, groups, context facts and entry ids against the
catalogue, a layer against its base), and the directory's catalogues combine (one per
jurisdiction, one layer per zone). Every failure names file, line and field.

Those checks are written once and report each problem to a :data:`Report`: the loader's
raises the first, ``dataflow-rules validate`` collects them all (workbench.references),
so the two can never disagree about what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NoReturn, TypeVar

from .errors import CatalogueError, Location
from .loading import Document
from .models.catalogue import (
    NOT_A_COUNTRY,
    Catalogue,
    Conditions,
    Counterparties,
    Designation,
    Exemption,
)
from .models.taxonomy import Taxonomy

T = TypeVar("T")


Path_ = tuple[str | int, ...]

Report = Callable[[str, str, Location, str], None]
"""Where the checks below send a problem: ``(code, message, location, detail)``.

One implementation of the rules serves two callers that want different things from it:
the loader stops at the first problem (:func:`raise_first`), ``validate`` collects every
one (``workbench.references``). ``code`` is the stable DFR code ``validate`` reports
(docs/workbench.md); ``message`` is what the loader says and has always said; ``detail``
is context only ``validate`` prints after it (what the names could have been, where the
clash is), because a drafter fixing every problem at once needs more than a one-line
error, and the loader's messages are pinned by users' scripts and by tests."""


def raise_first(code: str, message: str, where: Location, detail: str) -> NoReturn:
    """The loader's report: the first problem stops the load, in the loader's words."""
    raise CatalogueError(message, where)


class Combination:
    """The rules about how a directory's catalogues combine: one catalogue per
    jurisdiction and one layer per zone, each country decided by one catalogue, each layer
    on a loaded base. The loader and ``validate`` read files differently (the loader
    stops at the first fault), so each feeds these checks in its own order."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.firsts: dict[tuple[str, str | None], str] = {}

    def is_first(self, catalogue: Catalogue, document: Document) -> bool:
        """Whether ``catalogue`` is the first for its jurisdiction (a layer: for its zone);
        a second one is reported, naming the first."""
        key = (catalogue.jurisdiction, catalogue.zone)
        first = self.firsts.get(key)
        if first is None:
            self.firsts[key] = document.source
            return True
        if catalogue.zone is None:
            message, path = f"a second catalogue for {key[0]} (the first is {first})", "jurisdiction"
        else:
            message, path = f"a second layer for {key[0]} zone '{key[1]}' (the first is {first})", "zone"
        self.report("DFR016", message, document.locate((path,)), "")
        return False

    def base(self, layer: Catalogue, document: Document, bases: Mapping[str, T]) -> T | None:
        """The catalogue ``layer`` extends, from ``bases`` by jurisdiction; reported if none."""
        base = bases.get(layer.jurisdiction)
        if base is None:
            self.report(
                "DFR060",
                f"layer '{layer.zone}' extends {layer.jurisdiction}, but no {layer.jurisdiction} "
                "catalogue is loaded",
                document.locate(("jurisdiction",)),
                f" (loaded: {', '.join(sorted(bases)) or 'none'})",
            )
        return base

    def coverage(self, catalogues: Iterable[tuple[Catalogue, Document]]) -> dict[str, str]:
        """Which jurisdiction decides each country: a catalogue's own code (unless it is not
        a country) and its ``covers``. Pass the catalogues sorted by jurisdiction, so the
        later of two claiming one country is the one reported."""
        covered: dict[str, str] = {}
        for cat, document in catalogues:
            code = cat.jurisdiction
            countries = list(cat.covers)
            if code not in NOT_A_COUNTRY and code not in countries:
                countries.insert(0, code)
            for country in countries:
                first = covered.setdefault(country, code)
                if first != code:
                    path: Path_ = (
                        ("covers", cat.covers.index(country)) if country in cat.covers else ("jurisdiction",)
                    )
                    self.report(
                        "DFR016",
                        f"{country} is covered by two catalogues ({first} and {code})",
                        document.locate(path),
                        "",
                    )
        return covered


def check_references(
    taxonomy: Taxonomy,
    catalogue: Catalogue,
    document: Document,
    report: Report = raise_first,
    base: tuple[Catalogue, Document] | None = None,
) -> None:
    """Check what a schema cannot: every name ``catalogue`` uses resolves (in the taxonomy,
    its groups, facts and ids) and no id repeats; a layer (``base`` given) resolves in its
    base as well and follows the layering rules. Each problem goes to ``report``, in the
    order the loader has always met them, so its first error is unchanged."""
    _References(taxonomy, catalogue, document, report, base).run()


class _References:
    def __init__(
        self,
        taxonomy: Taxonomy,
        catalogue: Catalogue,
        document: Document,
        report: Report,
        base: tuple[Catalogue, Document] | None,
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.report = report
        self.base: Catalogue | None = base[0] if base else None
        self.base_doc: Document | None = base[1] if base else None
        # A layer's references resolve in what its zone is decided by (merged): the base's
        # groups and facts with the layer's on top.
        self.groups = {**(self.base.groups if self.base else {}), **catalogue.groups}
        self.context_facts = {**(self.base.context_facts if self.base else {}), **catalogue.context_facts}

    def problem(self, code: str, message: str, path: Path_, detail: str = "") -> None:
        self.report(code, message, self.doc.locate(path), detail)

    def run(self) -> None:
        cat = self.cat
        if self.base is not None:
            self.layer_rules(self.base)
        seen: dict[str, Path_] = {}
        base_ids = _id_paths(self.base) if self.base else {}
        for section in _SECTIONS:
            for i, item in enumerate(getattr(cat, section)):
                ident = str(item.id)
                if ident in base_ids:
                    self.problem(
                        "DFR015",
                        f"id '{ident}' is already used in the {cat.jurisdiction} catalogue this layer extends",
                        (section, i, "id"),
                        self.in_base(base_ids[ident]),
                    )
                elif ident in seen:
                    first = ".".join(map(str, seen[ident]))
                    self.problem("DFR015", f"duplicate id '{ident}' (also at {first})", (section, i, "id"))
                else:
                    seen[ident] = (section, i)
        designations = {e.id for e in cat.entries} | {e.id for e in cat.localisation}
        if self.base is not None:
            designations |= {e.id for e in self.base.entries} | {e.id for e in self.base.localisation}
        for i, combined in enumerate(cat.combined):  # 28 CFR 202.205(g) (issue 19)
            self.categories(list(combined.thresholds), ("combined", i, "thresholds"))
        for fact, scope in cat.context_scopes.items():  # stated facts the law makes impossible together
            if fact not in self.context_facts:
                self.problem(
                    "DFR014",
                    f"context_scopes names context fact '{fact}', which is not declared in this catalogue's context_facts",
                    ("context_scopes", fact),
                    " or its base's" if self.base else "",
                )
            self.vocabulary(
                scope.recipient_types,
                self.tax.recipient_types,
                "recipient type",
                ("context_scopes", fact, "recipient_types"),
            )
        for field_name, scope in cat.recipient_scopes.items():  # a recipient's own claim
            self.vocabulary(
                scope.recipient_types,
                self.tax.recipient_types,
                "recipient type",
                ("recipient_scopes", field_name, "recipient_types"),
            )
        for section in ("entries", "localisation"):
            for i, entry in enumerate(getattr(cat, section)):
                self.categories(entry.categories, (section, i, "categories"))
                self.counterparties(entry.counterparties, (section, i, "counterparties"))
                self.conditions(entry.when, (section, i, "when"))
                self.mechanisms(entry.mechanisms, entry.requirement, (section, i, "mechanisms"))
                if entry.requirement not in self.tax.requirements:
                    self.problem(
                        "DFR014",
                        f"unknown requirement '{entry.requirement}'; known: "
                        + ", ".join(sorted(self.tax.requirements)),
                        (section, i, "requirement"),
                    )
                for j, other in enumerate(entry.overlaps):
                    if other not in designations:
                        self.problem(
                            "DFR013",
                            f"overlaps names unknown entry '{other}'",
                            (section, i, "overlaps", j),
                        )
        for i, lane in enumerate(cat.green_lanes):
            if lane.categories:
                self.categories(lane.categories, ("green_lanes", i, "categories"))
            self.vocabulary(lane.purposes, self.tax.purposes, "purpose", ("green_lanes", i, "purposes"))
            self.counterparties(lane.counterparties, ("green_lanes", i, "counterparties"))
            self.conditions(lane.when, ("green_lanes", i, "when"))
        for i, exemption in enumerate(cat.exemptions):
            self.conditions(exemption.when, ("exemptions", i, "when"))
            for j, target in enumerate(exemption.applies_to):
                if target not in designations:
                    self.problem(
                        "DFR013",
                        f"exemption applies to unknown entry '{target}'",
                        ("exemptions", i, "applies_to", j),
                        " (not an entry or localisation entry of this layer or its base)"
                        if self.base
                        else "",
                    )

    def layer_rules(self, base: Catalogue) -> None:
        """A layer applies to its zone's exporters only, so it has outbound rules only, and
        it may not switch off a national-security designation of its base. It may switch
        off a base exemption (only ever stricter): that is how a zone's own list replaces a
        generic national relief for its exporters."""
        targets: dict[str, Designation | Exemption] = {e.id: e for e in base.entries}
        targets.update({e.id: e for e in base.localisation})
        targets.update({x.id: x for x in base.exemptions})
        for j, ident in enumerate(self.cat.disables):
            target = targets.get(ident)
            if target is None:
                self.problem(
                    "DFR061",
                    f"disables unknown base entry '{ident}'",
                    ("disables", j),
                    self.why_unknown(base, ident),
                )
            elif not isinstance(target, Exemption) and target.national_security:
                self.problem(
                    "DFR062",
                    f"a layer may not disable the national-security entry '{ident}'",
                    ("disables", j),
                )
        for i, entry in enumerate(self.cat.entries):
            if entry.direction != "outbound":
                self.problem(
                    "DFR063",
                    "a layer's entries are outbound only (it applies to exporters)",
                    ("entries", i, "direction"),
                    f": entry '{entry.id}' is {entry.direction}",
                )
        for i, lane in enumerate(self.cat.green_lanes):
            if lane.direction != "outbound":
                unwritten = "direction" not in lane.model_fields_set
                self.problem(
                    "DFR063",
                    "a layer's green lanes are outbound only (it applies to exporters)",
                    ("green_lanes", i, "direction"),
                    f": green lane '{lane.id}' is {lane.direction}"
                    + (" (a lane's direction defaults to both)" if unwritten else ""),
                )

    def in_base(self, path: Path_) -> str:
        """Where the base writes ``path``, for a message: `` (cn.yaml:97)``."""
        where = self.base_doc.locate(path) if self.base_doc else None
        return f" ({where.file}:{where.line})" if where else ""

    def why_unknown(self, base: Catalogue, ident: str) -> str:
        """Why ``disables`` cannot name ``ident``: what the id is, if anything."""
        if ident in {x.id for x in base.green_lanes}:
            return (
                ": it is a green lane of the base; only entries, localisation entries and exemptions can be"
            )
        if ident in {e.id for e in self.cat.entries} | {e.id for e in self.cat.localisation}:
            return ": it is this layer's own entry; leave it out instead"
        return f": the {base.jurisdiction} catalogue has no entry, localisation entry or exemption of that id"

    def mechanisms(self, mechanisms: Sequence[str | Sequence[str]], requirement: str, path: Path_) -> None:
        if requirement == "prohibited" and mechanisms:
            self.problem("DFR017", "a prohibited entry takes no mechanisms: nothing satisfies it", path)
        for i, alternative in enumerate(mechanisms):
            names = [alternative] if isinstance(alternative, str) else list(alternative)
            for j, name in enumerate(names):
                if name not in self.tax.mechanisms:
                    where = (*path, i) if isinstance(alternative, str) else (*path, i, j)
                    self.problem(
                        "DFR014",
                        f"unknown mechanism '{name}'; known: {', '.join(sorted(self.tax.mechanisms))}",
                        where,
                    )

    def categories(self, ids: Sequence[str], path: Path_) -> None:
        for j, cid in enumerate(ids):
            if cid not in self.tax:
                hint = self.tax.closest(cid)
                self.problem(
                    "DFR011",
                    f"unknown category '{cid}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                    (*path, j),
                )

    def counterparties(self, cp: Counterparties, path: Path_) -> None:
        for field_name in ("groups", "except_groups"):
            for j, group in enumerate(getattr(cp, field_name)):
                if group not in self.groups:
                    who = "this layer and its base define" if self.base else "this catalogue defines"
                    known = ", ".join(sorted(self.groups)) or "none"
                    self.problem(
                        "DFR010", f"unknown group '{group}'", (*path, field_name, j), f"; {who}: {known}"
                    )
        if cp.include_controlled and cp.lists_all():
            self.problem(
                "DFR017", "include_controlled needs countries or groups", (*path, "include_controlled")
            )

    def conditions(self, when: Conditions, path: Path_) -> None:
        self.vocabulary(when.purposes, self.tax.purposes, "purpose", (*path, "purposes"))
        self.vocabulary(when.transactions, self.tax.transactions, "transaction", (*path, "transactions"))
        self.vocabulary(
            when.recipient_types, self.tax.recipient_types, "recipient type", (*path, "recipient_types")
        )
        for key in when.security or {}:
            if key not in self.tax.security_measures:
                self.problem(
                    "DFR014",
                    f"unknown security measure '{key}'; known: {', '.join(sorted(self.tax.security_measures))}",
                    (*path, "security", key),
                )
        for key in when.context or {}:
            if key not in self.context_facts:
                self.problem(
                    "DFR014",
                    f"context fact '{key}' is not declared in this catalogue's context_facts",
                    (*path, "context", key),
                    " or its base's" if self.base else "",
                )

    def vocabulary(self, values: Sequence[str] | None, known: dict[str, str], what: str, path: Path_) -> None:
        for j, value in enumerate(values or ()):
            if value not in known:
                self.problem(
                    "DFR014", f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", (*path, j)
                )


_SECTIONS = ("entries", "localisation", "green_lanes", "exemptions")


def _id_paths(catalogue: Catalogue) -> dict[str, Path_]:
    """Where each id of ``catalogue`` is written (the first, if an id repeats)."""
    out: dict[str, Path_] = {}
    for section in _SECTIONS:
        for i, item in enumerate(getattr(catalogue, section)):
            out.setdefault(str(item.id), (section, i, "id"))
    return out
