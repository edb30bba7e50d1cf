"""What a decision is made against: the taxonomy and the catalogues by jurisdiction, with
their zone layers, as loaded (where each came from, the digest of its bytes).

A model only: reading a policy directory is :mod:`dataflow_rules.catalogues`, checking how
its files refer to each other is :mod:`dataflow_rules.crossref`. The engine imports this,
never the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .catalogue import Catalogue
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..loading import Document


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
