"""Cross-reference checks of one schema-valid catalogue, collecting every failure.

The same rules as the loader's checks in :mod:`dataflow_rules.catalogues` (which stop at
the first failure), each failure a :class:`Problem` with a stable code.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..loading import Document
from ..models.catalogue import Catalogue, Conditions, Counterparties
from ..taxonomy import Taxonomy
from .problems import Problem

Path_ = tuple[str | int, ...]


def reference_problems(taxonomy: Taxonomy, catalogue: Catalogue, document: Document) -> list[Problem]:
    return _References(taxonomy, catalogue, document).run()


class _References:
    def __init__(self, taxonomy: Taxonomy, catalogue: Catalogue, document: Document) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.out: list[Problem] = []

    def add(self, code: str, message: str, path: Path_) -> None:
        self.out.append(Problem.at(self.doc.locate(path), code, message))

    def run(self) -> list[Problem]:
        cat = self.cat
        seen: dict[str, Path_] = {}
        sections: list[tuple[str, Sequence[object]]] = [
            ("entries", cat.entries),
            ("localisation", cat.localisation),
            ("green_lanes", cat.green_lanes),
            ("exemptions", cat.exemptions),
        ]
        for section, items in sections:
            for i, item in enumerate(items):
                ident = str(getattr(item, "id"))  # noqa: B009 - every section has ids
                if ident in seen:
                    first = ".".join(map(str, seen[ident]))
                    self.add("DFR015", f"duplicate id '{ident}' (also at {first})", (section, i, "id"))
                else:
                    seen[ident] = (section, i)
        designations = {e.id for e in cat.entries} | {e.id for e in cat.localisation}
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
                    self.add(
                        "DFR013",
                        f"exemption applies to unknown entry '{target}'",
                        ("exemptions", i, "applies_to", j),
                    )
        return self.out

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
        for j, group in enumerate(cp.groups):
            if group not in self.cat.groups:
                known = ", ".join(sorted(self.cat.groups)) or "none"
                self.add(
                    "DFR010",
                    f"unknown group '{group}'; this catalogue defines: {known}",
                    (*path, "groups", j),
                )
        if cp.include_controlled and cp.is_all():
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
            if key not in self.cat.context_facts:
                self.add(
                    "DFR014",
                    f"context fact '{key}' is not declared in this catalogue's context_facts",
                    (*path, "context", key),
                )

    def words(self, values: Sequence[str] | None, known: dict[str, str], what: str, path: Path_) -> None:
        for j, value in enumerate(values or ()):
            if value not in known:
                self.add("DFR014", f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", (*path, j))
