"""Loading a policy directory: the taxonomy and one catalogue per jurisdiction.

Schema checks live in the models, the checks that need the whole picture in
:mod:`dataflow_rules.crossref`; this module reads the files, runs both and builds the
:class:`~dataflow_rules.models.policies.Policies` model the engine decides against.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CatalogueError, Location
from .loading import parse_one, read_text
from .models.policies import LoadedCatalogue, Policies, merged
from .models.taxonomy import Taxonomy
from .shipped import shipped_dir

if TYPE_CHECKING:
    from .loading import Document

# The checks (crossref, validation, the taxonomy reader) are imported where a load from the
# files runs them: a load the policy cache answers (the cold ``check``) never needs them.

# Policies, LoadedCatalogue and merged moved to models.policies; named here as well so
# callers on branches written before the move keep importing them from the loader.
__all__ = [
    "LoadedCatalogue",
    "Policies",
    "build_policies",
    "default_policy_dir",
    "load_policies",
    "merged",
    "parse_catalogue",
]

TAXONOMY_FILE = "taxonomy.yaml"
MAX_CATALOGUES = 300


def default_policy_dir() -> Path:
    """The catalogues shipped inside the package, so the tool works from any directory."""
    return shipped_dir("policies")


def load_policies(directory: Path | None = None, *, cache: bool = False) -> Policies:
    """Load ``taxonomy.yaml`` and every other ``*.yaml`` in ``directory`` (default: shipped).

    ``cache``: reuse the result of an earlier load of the same bytes by the same code
    (:mod:`dataflow_rules.policy_cache`; the command line asks for it, to start fast). Any
    doubt about a cached entry means a load from the files, and only a load that succeeded
    is kept, so the answer and every error are the same with or without it."""
    directory = directory or default_policy_dir()
    if not directory.is_dir():
        raise CatalogueError("policy directory not found", Location(str(directory)))
    tax_path = directory / TAXONOMY_FILE
    if not tax_path.exists() and not tax_path.is_symlink():  # a FIFO or a bad link: read_text says which
        raise CatalogueError(f"no {TAXONOMY_FILE} in the policy directory", Location(str(directory)))
    tax_text = read_text(tax_path, CatalogueError)
    files = sorted(p for p in directory.glob("*.y*ml") if p.name != TAXONOMY_FILE)
    if len(files) > MAX_CATALOGUES:
        raise CatalogueError(f"more than {MAX_CATALOGUES} catalogues", Location(str(directory)))
    if cache:
        return _cached(directory, (str(tax_path), tax_text), files)
    return _load(tax_path, tax_text, ((str(p), read_text(p, CatalogueError)) for p in files))


def _load(tax_path: Path, tax_text: str, sources: Iterable[tuple[str, str]]) -> Policies:
    from .taxonomy import parse_taxonomy

    taxonomy = parse_taxonomy(parse_one(tax_text, str(tax_path), CatalogueError))
    return build_policies(taxonomy, sources, tax_text)


def _cached(directory: Path, taxonomy: tuple[str, str], files: list[Path]) -> Policies:
    """A load through the cache. Every file is read first (the key is their bytes); if one
    cannot be read, the plain load runs instead, so its error is the one it always gave."""
    from . import policy_cache

    tax_path = Path(taxonomy[0])
    try:
        sources = [(str(p), read_text(p, CatalogueError)) for p in files]
    except CatalogueError:
        return _load(tax_path, taxonomy[1], ((str(p), read_text(p, CatalogueError)) for p in files))
    wanted = policy_cache.key(taxonomy, sources)
    if wanted is not None:
        found = policy_cache.load(directory, wanted, dict(sources))
        if found is not None:
            return found
    policies = _load(tax_path, taxonomy[1], sources)
    if wanted is not None:
        policy_cache.store(directory, wanted, policies)
    return policies


def build_policies(
    taxonomy: Taxonomy, sources: Iterable[tuple[str, str]], taxonomy_text: str = ""
) -> Policies:
    """Parse and check catalogues given as (name, text) pairs; used by tests and tools."""
    from .crossref import Combination, check_references, raise_first
    from .models.catalogue import Catalogue
    from .validation import validate

    catalogues: dict[str, LoadedCatalogue] = {}
    pending: list[tuple[str, str, Document]] = []
    combination = Combination(raise_first)
    for source, text in sources:
        document = parse_one(text, source, CatalogueError)
        if isinstance(document.value, dict) and document.value.get("zone") is not None:
            pending.append((source, text, document))  # layers are checked against their base
            continue
        loaded = parse_catalogue(taxonomy, source, text, document)
        combination.is_first(loaded.catalogue, document)
        catalogues[loaded.catalogue.jurisdiction] = loaded
    covered = combination.coverage((lc.catalogue, lc.document) for _, lc in sorted(catalogues.items()))
    layers: dict[tuple[str, str], LoadedCatalogue] = {}
    for source, text, document in pending:
        layer = validate(Catalogue, document, CatalogueError)
        base = combination.base(layer, document, catalogues)
        if base is not None and combination.is_first(layer, document):
            check_references(taxonomy, layer, document, raise_first, (base.catalogue, base.document))
            digest = hashlib.sha256(text.encode()).hexdigest()
            layers[(layer.jurisdiction, str(layer.zone))] = LoadedCatalogue(layer, source, digest, document)
    digest = hashlib.sha256(taxonomy_text.encode()).hexdigest()
    return Policies(taxonomy, dict(sorted(catalogues.items())), digest, dict(sorted(layers.items())), covered)


def parse_catalogue(
    taxonomy: Taxonomy, source: str, text: str, document: Document | None = None
) -> LoadedCatalogue:
    from .crossref import check_references
    from .models.catalogue import Catalogue
    from .validation import validate

    document = document or parse_one(text, source, CatalogueError)
    catalogue = validate(Catalogue, document, CatalogueError)
    check_references(taxonomy, catalogue, document)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedCatalogue(catalogue, source, digest, document)
