"""Seeded generator of large, valid catalogues for benchmarks (not shipped, not law)."""

from __future__ import annotations

import random

import yaml

from dataflow_rules.models.taxonomy import Taxonomy

CITE = {"instrument": "Generated benchmark catalogue", "article": "n/a", "date": "2025-01-01"}


def catalogue_text(taxonomy: Taxonomy, jurisdiction: str, entries: int, seed: int = 7) -> str:
    """A catalogue with ``entries`` designations spread over the taxonomy."""
    rng = random.Random(seed)
    categories = sorted(taxonomy.categories)
    purposes = sorted(taxonomy.purposes)
    transactions = sorted(taxonomy.transactions)
    body: dict[str, object] = {
        "jurisdiction": jurisdiction,
        "title": f"Generated catalogue of {entries} entries",
        "version": f"gen-{entries}",
        "effective": "2025-01-01",
        "sources": [CITE],
        "groups": {
            "g": {"title": "g", "countries": ["RU", "IR", "KP"], "as_of": "2025-01-01", "citations": [CITE]}
        },
        "context_facts": {"flag_a": "A generated yes/no fact."},
        "entries": [],
    }
    out: list[dict[str, object]] = []
    for i in range(entries):
        when: dict[str, object] = {}
        roll = rng.random()
        if roll < 0.5:
            when["individuals"] = {"at_least": rng.choice([10, 1000, 10_000, 100_000, 1_000_000])}
        if rng.random() < 0.3:
            when["anonymised"] = False
        if rng.random() < 0.2:
            when["purposes"] = rng.sample(purposes, 2)
        if rng.random() < 0.2:
            when["transactions"] = rng.sample(transactions, 2)
        entry: dict[str, object] = {
            "id": f"gen.{i}",
            "title": f"Generated entry {i}",
            "categories": rng.sample(categories, rng.choice([1, 1, 2])),
            "direction": rng.choice(["outbound", "outbound", "inbound", "both"]),
            "outcome": rng.choice(["restrict", "review"]),
            "requirement": "determination",
            "citations": [CITE],
        }
        if rng.random() < 0.3:
            entry["counterparties"] = {"groups": ["g"], "include_controlled": rng.random() < 0.5}
        if when:
            entry["when"] = when
        out.append(entry)
    body["entries"] = out
    return yaml.dump(body, Dumper=_NoAliases, sort_keys=False)


class _NoAliases(yaml.SafeDumper):
    """Writes repeated values out in full: the loader rejects YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True
