"""The shared data taxonomy's shape: a tree of category ids and the closed vocabularies.

The taxonomy is data (``policies/taxonomy.yaml``, read by :mod:`dataflow_rules.taxonomy`);
this module only gives it a shape and answers the two questions evaluation asks: what are a
category's ancestors, and is it personal or national-security data.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import CatalogueError, Location
from .common import Citation, Date

if TYPE_CHECKING:  # the file's shape, read only when the taxonomy file is parsed
    from .taxonomy_file import _Node, _TaxonomyFile

_SEGMENT = re.compile(r"^[a-z][a-z0-9_]*$")


class Mechanism(BaseModel):
    """A way of meeting a legal requirement (an assessment passed, a contract filed, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    description: str = Field(min_length=1)
    validity_years: int | None = Field(default=None, ge=1, le=50)
    """How long the law says a result stays valid, where it says so."""
    citation: Citation | None = None
    """Where the law sets the validity period (required with ``validity_years``)."""
    available_from: Date | None = None
    """The day the mechanism first existed in law (its instrument's entry into force), set
    only where confirmed: a safeguard "obtained" before it cannot be this mechanism, so it
    is not in place (a contract signed in 2020 is no CAC standard contract of 2023)."""
    available_citation: Citation | None = None
    """The instrument that brought the mechanism into force (required with
    ``available_from``)."""
    concluded_until: Date | None = None
    """The last day the law let a safeguard of this mechanism be concluded (its instrument
    repealed for new contracts), set only where confirmed: one "obtained" later cannot be
    this mechanism (a contract of 2022 on the 2010 clauses is none)."""
    available_until: Date | None = None
    """The last day the law let a safeguard of this mechanism be relied on (the end of a
    transitional period), set only where confirmed: after it, any safeguard of it has
    expired, whatever its own expiry."""
    until_citation: Citation | None = None
    """The instrument that ended the mechanism (required with ``concluded_until`` or
    ``available_until``)."""
    related_recipients_only: bool = False
    """The mechanism binds only recipients in the exporter's own corporate group (binding
    corporate rules: GDPR Art 4(20), 47(1)(a); PDP Regulations 2021 reg 11(3)(c)), so it
    meets a requirement only for a recipient stated ``affiliate: true``."""
    related_citation: Citation | None = None
    """Where the law limits the mechanism to related recipients (required with
    ``related_recipients_only``)."""

    @model_validator(mode="after")
    def _validity_is_cited(self) -> "Mechanism":
        if self.validity_years is not None and self.citation is None:
            raise ValueError("a validity period needs the citation that sets it")
        if self.available_from is not None and self.available_citation is None:
            raise ValueError(
                "available_from needs the available_citation that brought the mechanism into force"
            )
        if (self.concluded_until or self.available_until) and self.until_citation is None:
            raise ValueError(
                "concluded_until and available_until need the until_citation that ended the mechanism"
            )
        if self.concluded_until and self.available_until and self.available_until < self.concluded_until:
            raise ValueError("available_until is before concluded_until")
        if self.related_recipients_only and self.related_citation is None:
            raise ValueError("related_recipients_only needs the related_citation that limits the mechanism")
        return self


@dataclass(frozen=True)
class Category:
    """One taxonomy category with its inherited flags resolved."""

    id: str
    description: str
    personal: bool
    national_security: bool
    ancestors: tuple[str, ...]
    """Every ancestor id from the root down, then the id itself."""


class Taxonomy:
    """The category tree and vocabularies that catalogues and transfers must use."""

    def __init__(self, parsed: "_TaxonomyFile", source: str) -> None:
        self.version = parsed.version
        self.source = source
        self.categories: dict[str, Category] = {}
        self.purposes = dict(parsed.purposes)
        self.recipient_types = dict(parsed.recipient_types)
        self.transactions = dict(parsed.transactions)
        self.requirements = dict(parsed.requirements)
        self.mechanisms = dict(parsed.mechanisms)
        self.security_measures = dict(parsed.security_measures)
        self._children: dict[str, list[str]] = {}
        for name, node in parsed.categories.items():
            self._add(name, node, (), False, False)

    def _add(
        self, name: str, node: "_Node", parents: tuple[str, ...], personal: bool, security: bool
    ) -> None:
        if not _SEGMENT.match(name):
            raise CatalogueError(
                f"category segment '{name}' must be lower-case letters, digits and _",
                Location(self.source, field="categories"),
            )
        cid = f"{parents[-1]}.{name}" if parents else name
        personal = node.personal if node.personal is not None else personal
        security = node.national_security if node.national_security is not None else security
        self.categories[cid] = Category(cid, node.description, personal, security, (*parents, cid))
        self._children[cid] = []
        if parents:
            self._children[parents[-1]].append(cid)
        for child, sub in node.children.items():
            self._add(child, sub, (*parents, cid), personal, security)

    def __contains__(self, category_id: object) -> bool:
        return category_id in self.categories

    def get(self, category_id: str) -> Category:
        return self.categories[category_id]

    def descendants(self, category_id: str) -> list[str]:
        """The category and everything beneath it, depth first."""
        out = [category_id]
        for child in self._children[category_id]:
            out.extend(self.descendants(child))
        return out

    def closest(self, unknown: str) -> str | None:
        """A near-miss suggestion for an unknown id, for friendlier errors."""
        import difflib

        match = difflib.get_close_matches(unknown, list(self.categories), n=1)
        return match[0] if match else None
