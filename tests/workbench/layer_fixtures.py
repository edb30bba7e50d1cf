"""The layer fixtures (tests/workbench/layer_catalogues: a base nz.yaml and a clean layer
nz-zone.yaml on it) and an entry builder, shared by the lint and checks-agree tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "layer_catalogues"
Catalogue = dict[str, Any]


def load(name: str) -> Catalogue:
    body = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


BASE = load("nz.yaml")
LAYER = load("nz-zone.yaml")
CITE = {"instrument": "Zone Act", "article": "Art 9", "date": dt.date(2020, 1, 1)}


def entry(ident: str, **fields: Any) -> Catalogue:
    """An outbound review entry on personal.health, with ``fields`` changed."""
    body = {
        "id": ident,
        "title": ident,
        "categories": ["personal.health"],
        "direction": "outbound",
        "outcome": "review",
        "requirement": "determination",
        "citations": [CITE],
    }
    return {**body, **fields}
