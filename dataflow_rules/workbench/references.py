"""The loader's cross-reference checks, collecting every failure as a :class:`Problem`.

The rules themselves live once, in :mod:`dataflow_rules.catalogues` (the workbench
imports the core, never the reverse): the loader's report stops at the first problem,
the one here keeps them all, each with its stable DFR code and, after the loader's
message, the detail a drafter fixing everything at once wants (the names that were
possible, where a clashing id is written). A zone layer is checked against its base, as
the loader checks it.
"""

from __future__ import annotations

from ..crossref import Report, check_references
from ..errors import Location
from ..loading import Document
from ..models.catalogue import Catalogue
from ..models.problems import Problem
from ..models.taxonomy import Taxonomy


def collecting(out: list[Problem]) -> Report:
    """A report that appends every problem to ``out``, the detail after the message."""

    def report(code: str, message: str, where: Location, detail: str) -> None:
        out.append(Problem.at(where, code, message + detail))

    return report


def reference_problems(
    taxonomy: Taxonomy,
    catalogue: Catalogue,
    document: Document,
    base: tuple[Catalogue, Document] | None = None,
) -> list[Problem]:
    """Every reference problem of ``catalogue``; pass ``base`` for a zone layer."""
    out: list[Problem] = []
    check_references(taxonomy, catalogue, document, collecting(out), base)
    return out
