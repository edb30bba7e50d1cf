"""``validate``: every schema and reference error in every catalogue, all at once.

The loader (:mod:`dataflow_rules.catalogues`) stops at the first error, which is right
for deciding and slow for drafting. This module reads the same files the same way and
collects every error instead, each with file, line, column, field path and a plain
message; a directory it passes, the loader loads (tested). The reference rules and the
rules on how catalogues combine are the loader's own code (``catalogues.check_references``
and ``catalogues.Combination``) given a report that collects instead of raising, so the
two cannot drift apart. Zone layers are checked after every other file is read, against
the catalogue they extend, as the loader checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..catalogues import TAXONOMY_FILE, default_policy_dir, load_policies
from ..crossref import Combination
from ..errors import CatalogueError, Location
from ..loading import Document, parse_one, read_text
from ..models.catalogue import Catalogue
from ..models.problems import Problem, ordered
from ..models.taxonomy import Taxonomy
from ..taxonomy import parse_taxonomy
from ..validation import describe
from .references import collecting, reference_problems


@dataclass
class CatalogueFile:
    """One catalogue file as far as it could be read: document and model may be missing."""

    source: str
    document: Document | None = None
    catalogue: Catalogue | None = None
    base: CatalogueFile | None = None
    """A zone layer's base catalogue file, when one is loaded and fits the schema: ``lint``
    checks the layer on the catalogue its zone is decided by (``catalogues.merged``)."""


@dataclass
class Checked:
    """A policy directory after validation: what was read and every problem found."""

    directory: Path
    taxonomy: Taxonomy | None
    files: list[CatalogueFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def catalogues(self) -> list[tuple[Catalogue, Document]]:
        return [(f.catalogue, f.document) for f in self.files if f.catalogue and f.document]


def validate_directory(directory: Path | None = None) -> Checked:
    """Read ``taxonomy.yaml`` and every other ``*.y*ml`` in ``directory``; collect all errors."""
    directory = directory or default_policy_dir()
    problems: list[Problem] = []
    if not directory.is_dir():
        problems.append(Problem.at(Location(str(directory)), "DFR002", "policy directory not found"))
        return Checked(directory, None, [], problems)
    taxonomy: Taxonomy | None = None
    tax_path = directory / TAXONOMY_FILE
    try:
        taxonomy = parse_taxonomy(
            parse_one(read_text(tax_path, CatalogueError), str(tax_path), CatalogueError)
        )
    except CatalogueError as exc:
        code = "DFR002" if not tax_path.is_file() or "YAML" in exc.message else "DFR001"
        problems.append(Problem.at(exc.location or Location(str(tax_path)), code, exc.message))
    files: list[CatalogueFile] = []
    combination = Combination(collecting(problems))
    for path in sorted(p for p in directory.glob("*.y*ml") if p.name != TAXONOMY_FILE):
        checked = check_catalogue(str(path), _read(path, problems), taxonomy, problems)
        files.append(checked)
        if checked.catalogue and checked.document:
            combination.is_first(checked.catalogue, checked.document)
    check_layers(files, taxonomy, combination, problems)
    if not problems:
        # The loader has the last word: whatever it still rejects (a limit such as the
        # number of catalogues, or a rule added there and not yet fed through a report)
        # is reported too.
        try:
            load_policies(directory)
        except CatalogueError as exc:
            problems.append(Problem.at(exc.location or Location(str(directory)), "DFR001", exc.message))
    return Checked(directory, taxonomy, files, ordered(problems))


def check_layers(
    files: list[CatalogueFile],
    taxonomy: Taxonomy | None,
    combination: Combination,
    problems: list[Problem],
) -> None:
    """Check how the catalogues combine (each country covered once, each layer on a base),
    find each schema-valid layer's base (setting ``base``) and check the layer against it.

    A layer's references resolve in its base, so they can only be checked once every file
    is read. When the base file exists but does not fit the schema, its own errors are
    reported and the layer waits for it: saying "no base" then would send the drafter to
    the wrong file."""
    bases: dict[str, CatalogueFile] = {}
    unreadable: set[str] = set()
    for f in files:
        if f.catalogue is not None and f.document is not None and f.catalogue.zone is None:
            bases.setdefault(f.catalogue.jurisdiction, f)  # the first, as DFR016 names it
        elif f.document is not None and isinstance(f.document.value, dict) and f.catalogue is None:
            raw = f.document.value
            if raw.get("zone") is None:  # a base that does not fit the schema: it reports itself
                unreadable.add(str(raw.get("jurisdiction", "")).upper())
    combination.coverage(
        (b.catalogue, b.document) for _, b in sorted(bases.items()) if b.catalogue and b.document
    )
    for f in files:
        layer, document = f.catalogue, f.document
        if layer is None or document is None or layer.zone is None:
            continue
        if layer.jurisdiction in unreadable and layer.jurisdiction not in bases:
            continue
        base = combination.base(layer, document, bases)
        if base is None or base.catalogue is None or base.document is None:
            continue
        f.base = base
        if taxonomy is not None:
            problems += reference_problems(taxonomy, layer, document, (base.catalogue, base.document))


def _read(path: Path, problems: list[Problem]) -> str | None:
    try:
        return read_text(path, CatalogueError)
    except CatalogueError as exc:
        problems.append(Problem.at(exc.location or Location(str(path)), "DFR002", exc.message))
        return None


def check_catalogue(
    source: str, text: str | None, taxonomy: Taxonomy | None, problems: list[Problem]
) -> CatalogueFile:
    """Parse, schema-check and (with a taxonomy) reference-check one catalogue's text.

    A zone layer is only schema-checked here: :func:`check_layers` checks its references
    once its base is known."""
    out = CatalogueFile(source)
    if text is None:
        return out
    try:
        out.document = parse_one(text, source, CatalogueError)
    except CatalogueError as exc:
        problems.append(Problem.at(exc.location or Location(source), "DFR002", exc.message))
        return out
    try:
        out.catalogue = Catalogue.model_validate(out.document.value)
    except ValidationError as exc:
        problems.extend(schema_problems(exc, out.document))
        return out
    if taxonomy is not None and out.catalogue.zone is None:
        problems.extend(reference_problems(taxonomy, out.catalogue, out.document))
    return out


def schema_problems(exc: ValidationError, document: Document) -> list[Problem]:
    """Every pydantic error, each classified under the most specific code that fits."""
    out = []
    for err in exc.errors():
        path = tuple(err["loc"])
        message = describe(err)
        out.append(Problem.at(document.locate(path), _classify(err, path, message), message))
    return out


def _classify(err: Any, path: tuple[str | int, ...], message: str) -> str:
    if "ISO 3166-1 alpha-2" in message:
        return "DFR012"
    if "range is empty" in message:
        return "DFR040"
    if "expires is before effective" in message:
        return "DFR041"
    names = [p for p in path if isinstance(p, str)]
    if names and names[-1] in ("citations", "sources") and err.get("type") in ("too_short", "missing"):
        return "DFR020"
    if "citations" in names or "sources" in names:
        return "DFR021"
    return "DFR001"
