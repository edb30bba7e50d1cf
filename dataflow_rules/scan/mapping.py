"""The documented, versioned mappings from other vocabularies to our taxonomy.

``fideslang-map.yaml`` maps fideslang data categories (and the few data uses whose purpose
is beyond doubt) to taxonomy categories and purposes; ``odcs-map.yaml`` maps ODCS
classification values and tags. Both ship with the package and can be replaced with
``--fides-map``/``--odcs-map``. Every target is checked against the loaded taxonomy when the
map is loaded, so a map that names a category the policies do not have fails at once,
with its line.

fideslang 1.x keys are not mapped to categories directly: the map renames each to the
fideslang 2.x/3.x key of the same data (following Fides' own migrations where they exist)
and that key is mapped. One meaning, one mapping: a 1.x manifest cannot drift from its 2.x
translation when a category mapping is changed later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ..errors import InputError
from ..loading import Document, parse_one, read_text
from ..models.common import Identifier, Strict
from ..models.policies import Policies
from ..validation import validate

UNSPECIFIED = "unspecified"
"""An ODCS label that marks data as sensitive without saying what it is: a review finding."""

Version = Annotated[str, Field(min_length=1, max_length=64)]


class _FidesMapFile(Strict):
    mapping_version: Version
    fideslang_version: Version
    fideslang_1_versions: list[Version] = Field(default_factory=list)
    taxonomy_version: Version
    categories: dict[str, str] = Field(min_length=1)
    fideslang_1: dict[str, str] = Field(default_factory=dict)
    """fideslang 1.x key -> the fideslang 2.x/3.x key of the same data."""
    fideslang_draft_keys: list[str] = Field(default_factory=list)
    """Listed keys that the released taxonomy (``fideslang_version``) does not have."""
    data_uses: dict[str, Identifier | Annotated[list[Identifier], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    """fideslang data use -> the purpose it states, or the purposes it can serve."""
    purposes: list[Identifier] | None = None
    """The purpose vocabulary ``data_uses`` was read against (the shipped taxonomy's). A
    loaded taxonomy's purpose outside it is one the map never ruled out: it stays possible
    for every use. Unset: the loaded taxonomy's own vocabulary."""


class _OdcsMapFile(Strict):
    mapping_version: Version
    odcs_versions: list[Version] = Field(min_length=1)
    taxonomy_version: Version
    category_tag_prefix: str = Field(default="dataflow:", min_length=1)
    classification: dict[str, str | None] = Field(default_factory=dict)
    tags: dict[str, str | None] = Field(default_factory=dict)


MAX_RENAMES = 8
"""Longest chain of fideslang 1.x renames followed (1.0 -> 1.1 -> 2.0 needs two)."""


@dataclass(frozen=True)
class FidesMap:
    version: str
    source: str
    categories: dict[str, str]
    data_uses: dict[str, tuple[str, ...]]
    """Data use -> the purposes it can serve (one: the purpose it states)."""
    renamed: dict[str, str] = field(default_factory=dict)
    """fideslang 1.x key -> fideslang 2.x/3.x key (the map file's ``fideslang_1``)."""
    fideslang_version: str = ""
    """The released fideslang whose default taxonomy the map was checked against."""
    draft: frozenset[str] = frozenset()
    """Listed keys outside that released taxonomy (from an unreleased draft)."""

    def outside_taxonomy(self, key: str) -> str | None:
        """Why ``key`` is outside the fideslang default taxonomy, or None if it is in it.

        A key listed in ``categories`` (and not a draft key) or in ``fideslang_1`` is a key of
        a released default taxonomy. Any other key is mapped only through its nearest listed
        parent, which ``fides evaluate`` would not do: the scan says so (a review finding)
        instead of mapping it silently.
        """
        if key in self.renamed or (key in self.categories and key not in self.draft):
            return None
        released = f"the fideslang {self.fideslang_version} default taxonomy"
        if key in self.categories:
            return f"is not in {released} (it is a key of fideslang's unreleased 3.2.0 draft)"
        listed, _ = self._nearest(key)
        return f"is not in {released}: it is mapped only through its parent '{listed}'"

    @property
    def name(self) -> str:
        return Path(self.source).name

    @property
    def roots(self) -> list[str]:
        """The top-level keys under which keys are mapped (for messages and label routing)."""
        return sorted({k.split(".")[0] for k in (*self.categories, *self.renamed)})

    def category(self, key: str) -> tuple[str, str] | None:
        """Our category for a fideslang key and the listed key it came from.

        A key not listed takes the mapping of its nearest listed ancestor
        (``user.contact.email.work`` as ``user.contact.email``, else ``user.contact``).
        A fideslang 1.x key (listed in ``renamed``) is first renamed to its 2.x key, with
        the rest of the key kept (``user.provided.identifiable.contact.email.work`` becomes
        ``user.contact.email.work``), as fideslang's migrations rename child keys. The
        longest listed prefix in either table wins, so a 1.x key is never mistaken for its
        bare ``user`` ancestor. The key returned is the one listed in ``categories``.
        """
        for _ in range(MAX_RENAMES + 1):
            listed, renamed_to = self._nearest(key)
            if listed is None:
                return None
            if renamed_to is None:
                return self.categories[listed], listed
            key = renamed_to + key[len(listed) :]
        return None  # pragma: no cover - load_fides_map refuses rename cycles

    def _nearest(self, key: str) -> tuple[str | None, str | None]:
        """The longest listed prefix of ``key`` and, for a 1.x key, what it is renamed to."""
        parts = key.split(".")
        while parts:
            listed = ".".join(parts)
            if listed in self.categories:
                return listed, None
            if listed in self.renamed:
                return listed, self.renamed[listed]
            parts.pop()
        return None, None

    def purposes(self, data_use: str) -> tuple[str, tuple[str, ...]] | None:
        """The listed data use that ``data_use`` falls under (itself or its nearest listed
        ancestor, as for categories) and the purposes it can serve; None when no listed use
        covers it, which bounds nothing: every purpose stays possible."""
        parts = data_use.split(".")
        while parts:
            listed = ".".join(parts)
            if listed in self.data_uses:
                return listed, self.data_uses[listed]
            parts.pop()
        return None

    def purpose(self, data_use: str) -> str | None:
        """The purpose a data use states beyond doubt (it can serve only one); else None."""
        found = self.purposes(data_use)
        return found[1][0] if found is not None and len(found[1]) == 1 else None


@dataclass(frozen=True)
class OdcsMap:
    version: str
    source: str
    prefix: str
    classification: dict[str, str | None]
    tags: dict[str, str | None]

    @property
    def name(self) -> str:
        return Path(self.source).name


def _shipped(name: str) -> Path:
    return Path(str(resources.files("dataflow_rules.scan") / name))


def _document(path: Path | None, name: str) -> Document:
    path = path or _shipped(name)
    return parse_one(read_text(path, InputError), str(path), InputError)


def _check_category(policies: Policies, doc: Document, value: str, path: tuple[str | int, ...]) -> None:
    if value not in policies.taxonomy:
        hint = policies.taxonomy.closest(value)
        raise InputError(
            f"maps to unknown category '{value}'" + (f" (did you mean '{hint}'?)" if hint else ""),
            doc.locate(path),
        )


def load_fides_map(policies: Policies, path: Path | None = None) -> FidesMap:
    doc = _document(path, "fideslang-map.yaml")
    parsed = validate(_FidesMapFile, doc, InputError)
    for key, target in parsed.categories.items():
        _check_category(policies, doc, target, ("categories", key))
    data_uses = _data_uses(parsed, set(policies.taxonomy.purposes), doc)
    fmap = FidesMap(
        parsed.mapping_version,
        doc.source,
        dict(parsed.categories),
        data_uses,
        dict(parsed.fideslang_1),
        parsed.fideslang_version,
        frozenset(parsed.fideslang_draft_keys),
    )
    for n, key in enumerate(parsed.fideslang_draft_keys):
        if key not in fmap.categories:
            raise InputError(
                f"draft key '{key}' is not listed in categories", doc.locate(("fideslang_draft_keys", n))
            )
    _check_renames(fmap, doc)
    return fmap


def _data_uses(parsed: _FidesMapFile, loaded: set[str], doc: Document) -> dict[str, tuple[str, ...]]:
    """Each listed data use's purposes in the loaded taxonomy's words.

    A purpose the map lists but the loaded taxonomy lacks cannot be the transfer's; a loaded
    purpose the map's vocabulary (``purposes``) lacks was never ruled out, so it is added
    to every use. A use left with every loaded purpose, or none, bounds nothing."""
    known = set(parsed.purposes) if parsed.purposes is not None else loaded
    out: dict[str, tuple[str, ...]] = {}
    for key, target in parsed.data_uses.items():
        listed = [target] if isinstance(target, str) else target
        for n, purpose in enumerate(listed):
            if purpose not in known:
                at = ("data_uses", key) if isinstance(target, str) else ("data_uses", key, n)
                raise InputError(f"maps to unknown purpose '{purpose}'", doc.locate(at))
        possible = (set(listed) & loaded) | (loaded - known)
        if possible and possible != loaded:
            out[key] = tuple(sorted(possible))
    return out


def _check_renames(fmap: FidesMap, doc: Document) -> None:
    """Every 1.x rename must end at a mapped 2.x key, in a few steps, with no key in both
    tables: a broken rename would otherwise surface only when some manifest used it."""
    for key, target in fmap.renamed.items():
        where = doc.locate(("fideslang_1", key))
        if key in fmap.categories:
            raise InputError(
                f"'{key}' is listed both in categories and in fideslang_1: a key has one meaning", where
            )
        seen = [key]
        current = target
        while True:
            listed, renamed_to = fmap._nearest(current)
            if listed is None:
                raise InputError(
                    f"renames '{key}' to '{target}', which no category or rename covers"
                    f" (keys are mapped under: {', '.join(fmap.roots)})",
                    where,
                )
            if renamed_to is None:
                break
            if listed in seen or len(seen) > MAX_RENAMES:
                chain = " -> ".join([*seen, listed])
                raise InputError(f"fideslang_1 renames go round in a circle or too deep: {chain}", where)
            seen.append(listed)
            current = renamed_to + current[len(listed) :]


def load_odcs_map(policies: Policies, path: Path | None = None) -> OdcsMap:
    doc = _document(path, "odcs-map.yaml")
    parsed = validate(_OdcsMapFile, doc, InputError)
    tables: dict[str, dict[str, str | None]] = {}
    for section in ("classification", "tags"):
        table: dict[str, str | None] = {}
        for label, target in getattr(parsed, section).items():
            if target is not None and target != UNSPECIFIED:
                _check_category(policies, doc, target, (section, label))
            key = label.strip().lower()
            if key in table:
                raise InputError(
                    f"label '{label}' is listed twice (labels ignore case)", doc.locate((section, label))
                )
            table[key] = target
        tables[section] = table
    return OdcsMap(
        parsed.mapping_version,
        doc.source,
        parsed.category_tag_prefix.lower(),
        tables["classification"],
        tables["tags"],
    )
