"""Cross-reference checks of one schema-valid catalogue, collecting every failure.

The same rules as the loader's checks in :mod:`dataflow_rules.catalogues` (which stop at
the first failure), each failure a :class:`Problem` with a stable code. A zone layer is
checked against its base catalogue, as the loader checks it: its groups, context facts
and exemption targets resolve in the base too, its ids must not repeat the base's, and
the layering rules (``disables``, outbound only) are reported under codes of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..loading import Document
from ..models.catalogue import Catalogue, Conditions, Counterparties, Entry, Exemption, LocalisationEntry
from ..taxonomy import Taxonomy
from .problems import Problem

Path_ = tuple[str | int, ...]
SECTIONS = ("entries", "localisation", "green_lanes", "exemptions")


@dataclass(frozen=True)
class Base:
    """The catalogue a layer extends, with its document so problems can point into it."""

    catalogue: Catalogue
    document: Document


def reference_problems(
    taxonomy: Taxonomy, catalogue: Catalogue, document: Document, base: Base | None = None
) -> list[Problem]:
    """Every reference problem of ``catalogue``; pass ``base`` for a zone layer."""
    return _References(taxonomy, catalogue, document, base).run()


def item_paths(catalogue: Catalogue) -> dict[str, Path_]:
    """Where each id of a catalogue is written (the first, if an id repeats)."""
    out: dict[str, Path_] = {}
    for section in SECTIONS:
        for i, item in enumerate(getattr(catalogue, section)):
            out.setdefault(str(item.id), (section, i, "id"))
    return out


class _References:
    def __init__(
        self, taxonomy: Taxonomy, catalogue: Catalogue, document: Document, base: Base | None = None
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.base = base
        # What a layer's references resolve against is what its zone is decided by
        # (catalogues.merged): the base's groups and facts with the layer's on top.
        inherited = base.catalogue if base else None
        self.groups = {**(inherited.groups if inherited else {}), **catalogue.groups}
        self.facts = {**(inherited.context_facts if inherited else {}), **catalogue.context_facts}
        self.out: list[Problem] = []

    def add(self, code: str, message: str, path: Path_) -> None:
        self.out.append(Problem.at(self.doc.locate(path), code, message))

    def run(self) -> list[Problem]:
        cat = self.cat
        seen: dict[str, Path_] = {}
        base_ids = item_paths(self.base.catalogue) if self.base else {}
        for section in SECTIONS:
            for i, item in enumerate(getattr(cat, section)):
                ident = str(item.id)
                if ident in base_ids and self.base is not None:
                    where = self.base.document.locate(base_ids[ident])
                    self.add(
                        "DFR015",
                        f"id '{ident}' is already used in the {cat.jurisdiction} catalogue this layer "
                        f"extends ({where.file}:{where.line})",
                        (section, i, "id"),
                    )
                elif ident in seen:
                    first = ".".join(map(str, seen[ident]))
                    self.add("DFR015", f"duplicate id '{ident}' (also at {first})", (section, i, "id"))
                else:
                    seen[ident] = (section, i)
        designations = {e.id for e in cat.entries} | {e.id for e in cat.localisation}
        if self.base is not None:
            designations |= {e.id for e in self.base.catalogue.entries}
            designations |= {e.id for e in self.base.catalogue.localisation}
            self.layer_rules()
        for section in ("entries", "localisation"):
            for i, entry in enumerate(getattr(cat, section)):
                self.categories(entry.categories, (section, i, "categories"))
                self.counterparties(entry.counterparties, (section, i, "counterparties"))
                self.conditions(entry.when, (section, i, "when"))
                self.mechanisms(entry.mechanisms, entry.requirement, (section, i, "mechanisms"))
                if entry.requirement not in self.tax.requirements:
                    self.add(
                        "DFR014", f"unknown requirement '{entry.requirement}'", (section, i, "requirement")
                    )
        for i, lane in enumerate(cat.green_lanes):
            self.categories(lane.categories or [], ("green_lanes", i, "categories"))
            self.words(lane.purposes, self.tax.purposes, "purpose", ("green_lanes", i, "purposes"))
            self.counterparties(lane.counterparties, ("green_lanes", i, "counterparties"))
            self.conditions(lane.when, ("green_lanes", i, "when"))
        for i, exemption in enumerate(cat.exemptions):
            self.conditions(exemption.when, ("exemptions", i, "when"))
            for j, target in enumerate(exemption.applies_to):
                if target not in designations:
                    hint = " (not an entry or localisation entry of this layer or its base)"
                    self.add(
                        "DFR013",
                        f"exemption applies to unknown entry '{target}'" + (hint if self.base else ""),
                        ("exemptions", i, "applies_to", j),
                    )
        return self.out

    def layer_rules(self) -> None:
        """The loader's layering rules: a layer applies to its zone's exporters only, so its
        entries and lanes are outbound, and it may turn off only base designations that are
        not national-security ones (catalogues._Checker.layer_checks)."""
        assert self.base is not None
        base = self.base.catalogue
        targets: dict[str, Entry | LocalisationEntry | Exemption] = {e.id: e for e in base.entries}
        targets.update({e.id: e for e in base.localisation})
        targets.update({x.id: x for x in base.exemptions})
        other = {x.id: "green lane" for x in base.green_lanes}
        own = {e.id for e in self.cat.entries} | {e.id for e in self.cat.localisation}
        for j, ident in enumerate(self.cat.disables):
            target = targets.get(ident)
            if target is None:
                if ident in other:
                    why = (
                        f"it is a {other[ident]} of the base; only entries, localisation entries "
                        "and exemptions can be"
                    )
                elif ident in own:
                    why = "it is this layer's own entry; leave it out instead"
                else:
                    why = (
                        f"the {base.jurisdiction} catalogue has no entry, localisation entry or "
                        "exemption of that id"
                    )
                self.add("DFR061", f"disables unknown base entry '{ident}': {why}", ("disables", j))
            elif not isinstance(target, Exemption) and target.national_security:
                self.add(
                    "DFR062",
                    f"a layer may not disable the national-security entry '{ident}'",
                    ("disables", j),
                )
        for i, entry in enumerate(self.cat.entries):
            if entry.direction != "outbound":
                self.add(
                    "DFR063",
                    f"entry '{entry.id}' is {entry.direction}: a layer's entries are outbound only "
                    "(it applies to its zone's exporters)",
                    ("entries", i, "direction"),
                )
        for i, lane in enumerate(self.cat.green_lanes):
            if lane.direction != "outbound":
                self.add(
                    "DFR063",
                    f"green lane '{lane.id}' is {lane.direction} (a lane's direction defaults to both): "
                    "a layer's green lanes are outbound only",
                    ("green_lanes", i, "direction"),
                )

    def categories(self, ids: Sequence[str], path: Path_) -> None:
        for j, cid in enumerate(ids):
            if cid not in self.tax:
                hint = self.tax.closest(cid)
                self.add(
                    "DFR011",
                    f"unknown category '{cid}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                    (*path, j),
                )

    def counterparties(self, cp: Counterparties, path: Path_) -> None:
        for field_name in ("groups", "except_groups"):
            for j, group in enumerate(getattr(cp, field_name)):
                if group not in self.groups:
                    known = ", ".join(sorted(self.groups)) or "none"
                    who = "this layer and its base define" if self.base else "this catalogue defines"
                    self.add(
                        "DFR010",
                        f"unknown group '{group}'; {who}: {known}",
                        (*path, field_name, j),
                    )
        if cp.include_controlled and cp.lists_all():
            self.add("DFR017", "include_controlled needs countries or groups", (*path, "include_controlled"))

    def mechanisms(self, mechanisms: Sequence[str | Sequence[str]], requirement: str, path: Path_) -> None:
        if requirement == "prohibited" and mechanisms:
            self.add("DFR017", "a prohibited entry takes no mechanisms: nothing satisfies it", path)
        for i, alternative in enumerate(mechanisms):
            names = [alternative] if isinstance(alternative, str) else list(alternative)
            for j, name in enumerate(names):
                if name not in self.tax.mechanisms:
                    where = (*path, i) if isinstance(alternative, str) else (*path, i, j)
                    self.add("DFR014", f"unknown mechanism '{name}'", where)

    def conditions(self, when: Conditions, path: Path_) -> None:
        self.words(when.purposes, self.tax.purposes, "purpose", (*path, "purposes"))
        self.words(when.transactions, self.tax.transactions, "transaction", (*path, "transactions"))
        self.words(
            when.recipient_types, self.tax.recipient_types, "recipient type", (*path, "recipient_types")
        )
        for key in when.security or {}:
            if key not in self.tax.security_measures:
                self.add("DFR014", f"unknown security measure '{key}'", (*path, "security", key))
        for key in when.context or {}:
            if key not in self.facts:
                whose = "this layer's or its base's" if self.base else "this catalogue's"
                self.add(
                    "DFR014",
                    f"context fact '{key}' is not declared in {whose} context_facts",
                    (*path, "context", key),
                )

    def words(self, values: Sequence[str] | None, known: dict[str, str], what: str, path: Path_) -> None:
        for j, value in enumerate(values or ()):
            if value not in known:
                self.add("DFR014", f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", (*path, j))
