"""Reading the taxonomy file (``policies/taxonomy.yaml``) into the model of
:mod:`dataflow_rules.models.taxonomy`, every schema error at its file, line and field."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .errors import CatalogueError
from .loading import Document, parse_one, read_text
from .models.taxonomy import Category, Mechanism, Taxonomy
from .models.taxonomy_file import _TaxonomyFile

__all__ = ["Category", "Mechanism", "Taxonomy", "load_taxonomy", "parse_taxonomy"]


def parse_taxonomy(document: Document) -> Taxonomy:
    try:
        parsed = _TaxonomyFile.model_validate(document.value)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CatalogueError(err["msg"], document.locate(err["loc"])) from None
    return Taxonomy(parsed, document.source)


def load_taxonomy(path: Path) -> Taxonomy:
    return parse_taxonomy(parse_one(read_text(path, CatalogueError), str(path), CatalogueError))
