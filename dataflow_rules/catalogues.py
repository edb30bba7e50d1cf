"""Loading a policy directory: the taxonomy and one catalogue per jurisdiction.

Schema checks live in the models; the checks that need the whole picture (categories
against the taxonomy, groups, context facts and entry ids against the catalogue, one
catalogue per jurisdiction) live here, and every failure names file, line and field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import CatalogueError, Location
from .loading import Document, parse_one, read_text
from .models.catalogue import (
    NOT_A_COUNTRY,
    Catalogue,
    Conditions,
    Counterparties,
    Entry,
    Exemption,
    LocalisationEntry,
)
from .taxonomy import Taxonomy, parse_taxonomy
from .validation import validate

TAXONOMY_FILE = "taxonomy.yaml"
MAX_CATALOGUES = 300


@dataclass(frozen=True)
class LoadedCatalogue:
    """A validated catalogue with where it came from and the digest of its bytes."""

    catalogue: Catalogue
    source: str
    digest: str
    document: Document = field(repr=False, compare=False)


@dataclass(frozen=True)
class Policies:
    """Everything a decision needs: the taxonomy and the catalogues by jurisdiction.

    ``layers`` holds zone layers by (jurisdiction, zone); ``covered`` maps each country a
    catalogue covers to that catalogue's jurisdiction (a member state to ``EU``).
    """

    taxonomy: Taxonomy
    catalogues: dict[str, LoadedCatalogue]
    taxonomy_digest: str
    layers: dict[tuple[str, str], LoadedCatalogue] = field(default_factory=dict)
    covered: dict[str, str] = field(default_factory=dict)

    def context_facts(self) -> set[str]:
        loaded = [*self.catalogues.values(), *self.layers.values()]
        return {name for lc in loaded for name in lc.catalogue.context_facts}

    def jurisdiction_of(self, country: str) -> str | None:
        """The jurisdiction whose catalogue decides ``country``'s transfers, if one is loaded."""
        if country in self.covered:
            return self.covered[country]
        return country if country in self.catalogues else None

    def layer(self, jurisdiction: str, zone: str | None) -> LoadedCatalogue | None:
        return None if zone is None else self.layers.get((jurisdiction, zone))


def default_policy_dir() -> Path:
    """The catalogues shipped inside the package, so the tool works from any directory."""
    return Path(str(resources.files("dataflow_rules") / "policies"))


def load_policies(directory: Path | None = None) -> Policies:
    """Load ``taxonomy.yaml`` and every other ``*.yaml`` in ``directory`` (default: shipped)."""
    directory = directory or default_policy_dir()
    if not directory.is_dir():
        raise CatalogueError("policy directory not found", Location(str(directory)))
    tax_path = directory / TAXONOMY_FILE
    if not tax_path.is_file():
        raise CatalogueError(f"no {TAXONOMY_FILE} in the policy directory", Location(str(directory)))
    tax_text = read_text(tax_path, CatalogueError)
    taxonomy = parse_taxonomy(parse_one(tax_text, str(tax_path), CatalogueError))
    files = sorted(p for p in directory.glob("*.y*ml") if p.name != TAXONOMY_FILE)
    if len(files) > MAX_CATALOGUES:
        raise CatalogueError(f"more than {MAX_CATALOGUES} catalogues", Location(str(directory)))
    return build_policies(taxonomy, ((str(p), read_text(p, CatalogueError)) for p in files), tax_text)


def build_policies(
    taxonomy: Taxonomy, sources: Iterable[tuple[str, str]], taxonomy_text: str = ""
) -> Policies:
    """Parse and check catalogues given as (name, text) pairs; used by tests and tools."""
    catalogues: dict[str, LoadedCatalogue] = {}
    pending: list[tuple[str, str, Document]] = []
    for source, text in sources:
        document = parse_one(text, source, CatalogueError)
        if isinstance(document.value, dict) and document.value.get("zone") is not None:
            pending.append((source, text, document))  # layers are checked against their base
            continue
        loaded = parse_catalogue(taxonomy, source, text, document)
        code = loaded.catalogue.jurisdiction
        if code in catalogues:
            raise CatalogueError(
                f"a second catalogue for {code} (the first is {catalogues[code].source})",
                loaded.document.locate(("jurisdiction",)),
            )
        catalogues[code] = loaded
    covered: dict[str, str] = {}
    for code, loaded in sorted(catalogues.items()):
        cat = loaded.catalogue
        countries = list(cat.covers)
        if code not in NOT_A_COUNTRY and code not in countries:
            countries.insert(0, code)
        for country in countries:
            first = covered.get(country)
            if first is not None and first != code:
                raise CatalogueError(
                    f"{country} is covered by two catalogues ({first} and {code})",
                    loaded.document.locate(("covers", cat.covers.index(country)))
                    if country in cat.covers
                    else loaded.document.locate(("jurisdiction",)),
                )
            covered[country] = code
    layers: dict[tuple[str, str], LoadedCatalogue] = {}
    for source, text, document in pending:
        layer = validate(Catalogue, document, CatalogueError)
        zone = str(layer.zone)
        base = catalogues.get(layer.jurisdiction)
        if base is None:
            raise CatalogueError(
                f"layer '{zone}' extends {layer.jurisdiction}, but no {layer.jurisdiction} catalogue is loaded",
                document.locate(("jurisdiction",)),
            )
        key = (layer.jurisdiction, zone)
        if key in layers:
            raise CatalogueError(
                f"a second layer for {layer.jurisdiction} zone '{zone}' (the first is {layers[key].source})",
                document.locate(("zone",)),
            )
        _Checker(taxonomy, layer, document, base.catalogue).run()
        layers[key] = LoadedCatalogue(layer, source, hashlib.sha256(text.encode()).hexdigest(), document)
    digest = hashlib.sha256(taxonomy_text.encode()).hexdigest()
    return Policies(taxonomy, dict(sorted(catalogues.items())), digest, dict(sorted(layers.items())), covered)


def parse_catalogue(
    taxonomy: Taxonomy, source: str, text: str, document: Document | None = None
) -> LoadedCatalogue:
    document = document or parse_one(text, source, CatalogueError)
    catalogue = validate(Catalogue, document, CatalogueError)
    _Checker(taxonomy, catalogue, document).run()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedCatalogue(catalogue, source, digest, document)


def merged(base: Catalogue, layer: Catalogue) -> Catalogue:
    """The catalogue a zone's exporters are decided by: the base without the designations
    and exemptions the layer disables, then the layer's own entries, lanes, exemptions,
    groups and facts.

    Base items keep their positions first, so reasons order as in the base catalogue."""
    off = set(layer.disables)
    return base.model_copy(
        update={
            "zone": layer.zone,
            "entries": [e for e in base.entries if e.id not in off] + list(layer.entries),
            "localisation": [e for e in base.localisation if e.id not in off] + list(layer.localisation),
            "exemptions": [x for x in base.exemptions if x.id not in off] + list(layer.exemptions),
            "green_lanes": list(base.green_lanes) + list(layer.green_lanes),
            "groups": {**base.groups, **layer.groups},
            "context_facts": {**base.context_facts, **layer.context_facts},
        }
    )


class _Checker:
    """Cross-reference checks for one catalogue (a layer: against its base as well)."""

    def __init__(
        self, taxonomy: Taxonomy, catalogue: Catalogue, document: Document, base: Catalogue | None = None
    ) -> None:
        self.tax = taxonomy
        self.cat = catalogue
        self.doc = document
        self.base = base
        self.groups = {**(base.groups if base else {}), **catalogue.groups}
        self.context_facts = {**(base.context_facts if base else {}), **catalogue.context_facts}

    def fail(self, message: str, path: Sequence[str | int]) -> CatalogueError:
        return CatalogueError(message, self.doc.locate(path))

    def run(self) -> None:
        cat = self.cat
        seen: dict[str, tuple[str | int, ...]] = {}
        base_ids: set[str] = set()
        if self.base is not None:
            b = self.base
            base_ids = {e.id for e in b.entries} | {e.id for e in b.localisation}
            base_ids |= {x.id for x in b.green_lanes} | {x.id for x in b.exemptions}
            self.layer_checks()
        sections: list[tuple[str, Sequence[object]]] = [
            ("entries", cat.entries),
            ("localisation", cat.localisation),
            ("green_lanes", cat.green_lanes),
            ("exemptions", cat.exemptions),
        ]
        for section, items in sections:
            for i, item in enumerate(items):
                ident = str(getattr(item, "id"))  # noqa: B009 - every section has ids
                if ident in base_ids:
                    raise self.fail(
                        f"id '{ident}' is already used in the {cat.jurisdiction} catalogue this layer extends",
                        (section, i, "id"),
                    )
                if ident in seen:
                    raise self.fail(
                        f"duplicate id '{ident}' (also at {'.'.join(map(str, seen[ident]))})",
                        (section, i, "id"),
                    )
                seen[ident] = (section, i)
        designations = {e.id for e in cat.entries} | {e.id for e in cat.localisation}
        if self.base is not None:
            designations |= {e.id for e in self.base.entries} | {e.id for e in self.base.localisation}
        for section in ("entries", "localisation"):
            for i, entry in enumerate(getattr(cat, section)):
                self.categories(entry.categories, (section, i, "categories"))
                self.counterparties(entry.counterparties, (section, i, "counterparties"))
                self.conditions(entry.when, (section, i, "when"))
                self.mechanisms(entry.mechanisms, entry.requirement, (section, i, "mechanisms"))
                if entry.requirement not in self.tax.requirements:
                    raise self.fail(
                        f"unknown requirement '{entry.requirement}'; known: "
                        + ", ".join(sorted(self.tax.requirements)),
                        (section, i, "requirement"),
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
                    raise self.fail(
                        f"exemption applies to unknown entry '{target}'",
                        ("exemptions", i, "applies_to", j),
                    )

    def layer_checks(self) -> None:
        """A layer applies to its zone's exporters only, so it has outbound rules only, and
        it may not switch off a national-security designation of its base. It may switch
        off a base exemption (only ever stricter): that is how a zone's own list replaces a
        generic national relief for its exporters."""
        assert self.base is not None
        base: dict[str, Entry | LocalisationEntry | Exemption] = {e.id: e for e in self.base.entries}
        base.update({e.id: e for e in self.base.localisation})
        base.update({x.id: x for x in self.base.exemptions})
        for j, ident in enumerate(self.cat.disables):
            target = base.get(ident)
            if target is None:
                raise self.fail(f"disables unknown base entry '{ident}'", ("disables", j))
            if not isinstance(target, Exemption) and target.national_security:
                raise self.fail(
                    f"a layer may not disable the national-security entry '{ident}'", ("disables", j)
                )
        for i, entry in enumerate(self.cat.entries):
            if entry.direction != "outbound":
                raise self.fail(
                    "a layer's entries are outbound only (it applies to exporters)",
                    ("entries", i, "direction"),
                )
        for i, lane in enumerate(self.cat.green_lanes):
            if lane.direction != "outbound":
                raise self.fail(
                    "a layer's green lanes are outbound only (it applies to exporters)",
                    ("green_lanes", i, "direction"),
                )

    def mechanisms(
        self, mechanisms: Sequence[str | Sequence[str]], requirement: str, path: tuple[str | int, ...]
    ) -> None:
        if requirement == "prohibited" and mechanisms:
            raise self.fail("a prohibited entry takes no mechanisms: nothing satisfies it", path)
        for i, alternative in enumerate(mechanisms):
            names = [alternative] if isinstance(alternative, str) else list(alternative)
            for j, name in enumerate(names):
                if name not in self.tax.mechanisms:
                    where = (*path, i) if isinstance(alternative, str) else (*path, i, j)
                    raise self.fail(
                        f"unknown mechanism '{name}'; known: {', '.join(sorted(self.tax.mechanisms))}", where
                    )

    def categories(self, ids: Sequence[str], path: tuple[str | int, ...]) -> None:
        for j, cid in enumerate(ids):
            if cid not in self.tax:
                hint = self.tax.closest(cid)
                raise self.fail(
                    f"unknown category '{cid}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                    (*path, j),
                )

    def counterparties(self, cp: Counterparties, path: tuple[str | int, ...]) -> None:
        for field_name in ("groups", "except_groups"):
            for j, group in enumerate(getattr(cp, field_name)):
                if group not in self.groups:
                    raise self.fail(f"unknown group '{group}'", (*path, field_name, j))
        if cp.include_controlled and cp.lists_all():
            raise self.fail("include_controlled needs countries or groups", (*path, "include_controlled"))

    def conditions(self, when: Conditions, path: tuple[str | int, ...]) -> None:
        self.vocabulary(when.purposes, self.tax.purposes, "purpose", (*path, "purposes"))
        self.vocabulary(when.transactions, self.tax.transactions, "transaction", (*path, "transactions"))
        self.vocabulary(
            when.recipient_types,
            self.tax.recipient_types,
            "recipient type",
            (*path, "recipient_types"),
        )
        for key in when.security or {}:
            if key not in self.tax.security_measures:
                raise self.fail(
                    f"unknown security measure '{key}'; known: {', '.join(sorted(self.tax.security_measures))}",
                    (*path, "security", key),
                )
        for key in when.context or {}:
            if key not in self.context_facts:
                raise self.fail(
                    f"context fact '{key}' is not declared in this catalogue's context_facts",
                    (*path, "context", key),
                )

    def vocabulary(
        self,
        values: Sequence[str] | None,
        known: dict[str, str],
        what: str,
        path: tuple[str | int, ...],
    ) -> None:
        for j, value in enumerate(values or ()):
            if value not in known:
                raise self.fail(f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", (*path, j))
