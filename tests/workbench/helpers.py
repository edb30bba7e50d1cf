"""Small policy directories for workbench tests: the shipped taxonomy and given catalogues."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

from dataflow_rules.catalogues import default_policy_dir

CITE = {"instrument": "Test Act", "article": "Art 1", "date": "2020-01-01"}


def base_catalogue() -> dict[str, Any]:
    """A clean catalogue: lint finds nothing in it."""
    return copy.deepcopy(
        {
            "jurisdiction": "NZ",
            "title": "Test catalogue",
            "version": "1",
            "effective": "2020-01-01",
            "sources": [CITE],
            "groups": {
                "concern": {
                    "title": "Concern",
                    "countries": ["CN", "RU"],
                    "as_of": "2020-01-01",
                    "citations": [CITE],
                }
            },
            "entries": [
                {
                    "id": "nz.health",
                    "title": "Health data of 1,000 or more people",
                    "categories": ["personal.health"],
                    "direction": "outbound",
                    "when": {"individuals": {"at_least": 1000}},
                    "outcome": "restrict",
                    "requirement": "determination",
                    "citations": [CITE],
                },
                {
                    "id": "nz.climate",
                    "title": "Climate data to countries of concern",
                    "categories": ["research.climate"],
                    "direction": "outbound",
                    "counterparties": {"groups": ["concern"]},
                    "outcome": "restrict",
                    "requirement": "determination",
                    "citations": [CITE],
                },
            ],
            "green_lanes": [],
            "exemptions": [],
        }
    )


class _NoAliases(yaml.SafeDumper):
    """Writes repeated values out in full: the loader rejects YAML aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump(catalogue: dict[str, Any]) -> str:
    return yaml.dump(catalogue, Dumper=_NoAliases, sort_keys=False, allow_unicode=True)


def write_policies(directory: Path, catalogues: dict[str, dict[str, Any] | str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(default_policy_dir() / "taxonomy.yaml", directory / "taxonomy.yaml")
    for name, body in catalogues.items():
        (directory / name).write_text(body if isinstance(body, str) else dump(body), encoding="utf-8")
    return directory


def transfer(ident: str, destination: str, category: str, **item: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "origin": "NZ",
        "destination": destination,
        "date": "2026-03-02",
        "purpose": item.pop("purpose", "business_operations"),
        "recipient": {"type": "company", "controlled_by": destination},
        "data": [{"category": category, **item}],
    }
