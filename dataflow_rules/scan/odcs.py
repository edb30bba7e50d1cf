"""Open Data Contract Standard contracts (v3, and v2): elements with classifications and tags.

A contract is one transfer per destination. In v3, each schema object and property (nested
``properties`` and array ``items`` included) contributes the categories its
``classification`` and ``tags`` map to through odcs-map.yaml (docs/scan.md, "ODCS"). v2
(2.x, up to v2.2.2) describes the same things as tables and columns: ``dataset:`` is a list
of tables (``table:``), each with ``columns:`` (``column:``), and a column carries the same
``classification`` string and ``tags`` list as a v3 property (v2 has no PII flag of its own:
the standard says so only through these two). v2 columns are therefore read exactly as v3
properties, so one label means one thing whichever version wrote it. A classification the
map does not know, or one that marks data sensitive without saying what it is, is a review
finding at its line. ODCS has no country fields: the contract's ``customProperties``
``dataflowOrigin`` and ``dataflowDestinations`` are read (top-level in both versions), else
the sidecar, else ``--origin``/``--destination``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import InputError, Location
from ..loading import Document, dotted
from ..models.policies import Policies
from .adapted import AdaptedTransfer, Gap
from .fides import outside_gap
from .flows import Found, Items, Reading, Stated, country, country_list
from .mapping import UNSPECIFIED, FidesMap, OdcsMap

Path_ = tuple[str | int, ...]
ORIGIN_PROPERTY = "dataflowOrigin"
DESTINATIONS_PROPERTY = "dataflowDestinations"


def _v2_dataset(value: dict[str, Any]) -> bool:
    """A v2 ``dataset``: a list of tables, or the older ``{tables: [...]}``."""
    dataset = value.get("dataset")
    return isinstance(dataset, list) or (isinstance(dataset, dict) and "tables" in dataset)


def _legacy_v2(value: dict[str, Any]) -> bool:
    """The layout before ``kind: DataContract`` (one official v2.2.2 example still has it):
    ``standardVersion: 2.x`` and a ``dataset``."""
    version = str(value.get("standardVersion", "")).strip()
    return version.startswith(("2.", "v2.")) and _v2_dataset(value)


def is_odcs(value: object) -> bool:
    """An ODCS contract: ``kind: DataContract`` with an ``apiVersion``, or a v2 contract
    without one (v2.2.2's schema makes ``apiVersion`` optional; nine of its eleven official
    examples leave it out), or the older ``standardVersion: 2.x`` layout."""
    if not isinstance(value, dict):
        return False
    if value.get("kind") == "DataContract":
        return "apiVersion" in value or _v2_dataset(value)
    return _legacy_v2(value)


def skip_reason(value: object) -> str | None:
    """Why a document that is otherwise an ODCS contract is not read, naming what it lacks."""
    if isinstance(value, dict) and value.get("kind") == "DataContract" and not is_odcs(value):
        return (
            "ODCS contract (kind: DataContract) without apiVersion and without a v2 dataset:"
            " state apiVersion (v3.x.x or v2.x.x) to have it read"
        )
    return None


def major_version(value: object) -> int | None:
    """The ODCS major version of a contract (``v3.0.2`` -> 3), None if it is not one we read.

    v2 is also accepted without the ``v`` (``2.2.2``): the v2 standard's own examples write
    it so, although its JSON schema asks for the ``v``. A contract without ``apiVersion`` is
    v2 when it has a v2 ``dataset`` (v3 requires ``apiVersion``).
    """
    if not isinstance(value, dict):
        return None
    if "apiVersion" not in value:
        return 2 if is_odcs(value) else None
    version = str(value.get("apiVersion", "")).strip()
    if version.startswith("v3"):
        return 3
    if version.startswith(("v2.", "2.")) or version in ("v2", "2"):
        return 2
    return None


def is_readable(value: object) -> bool:
    """False only for an ODCS contract of a version this adapter does not read (v1, v4...).

    Anything else passes, so that a document that is not a contract at all is reported by
    the runner's kind check rather than as a contract of an unknown version.
    """
    return not is_odcs(value) or major_version(value) is not None


class _Labels:
    def __init__(self, doc: Document, policies: Policies, omap: OdcsMap, fmap: FidesMap) -> None:
        self.doc, self.policies, self.omap, self.fmap = doc, policies, omap, fmap
        self.items = Items()

    def element(self, value: dict[str, Any], path: Path_, is_property: bool) -> None:
        outcomes: list[str] = []
        classification = value.get("classification")
        if classification is not None:
            where = (*path, "classification")
            if not isinstance(classification, str):
                raise InputError("classification must be a string", self.doc.locate(where))
            outcomes.append(self.label(classification, where, True))
        tags = value.get("tags")
        if tags is not None:
            if not isinstance(tags, list):
                raise InputError("tags must be a list of strings", self.doc.locate((*path, "tags")))
            for k, tag in enumerate(tags):
                if not isinstance(tag, str):
                    # Never skipped silently: a label the tool cannot read is not "no label".
                    raise InputError("a tag must be a string", self.doc.locate((*path, "tags", k)))
                outcomes.append(self.label(tag, (*path, "tags", k), False))
        if not is_property or {"category", "gap"} & set(outcomes):
            return
        if "clear" in outcomes:
            self.items.cleared += 1
        else:
            self.items.unlabelled += 1

    def label(self, text: str, path: Path_, is_classification: bool) -> str:
        """Add what one label says; returns 'category', 'gap', 'clear' or 'none'."""
        place = self.doc.locate(path)
        value = text.strip()
        low = value.lower()
        if low.startswith(self.omap.prefix):
            category = value[len(self.omap.prefix) :].strip()
            if category not in self.policies.taxonomy:
                hint = self.policies.taxonomy.closest(category)
                raise InputError(
                    f"unknown category '{category}'" + (f" (did you mean '{hint}'?)" if hint else ""), place
                )
            self.items.add(category, place)
            return "category"
        if low in ("user", "system") or ("." in low and low.split(".")[0] in self.fmap.roots):
            mapped = self.fmap.category(low)
            if mapped is not None:
                self.items.add(mapped[0], place)
                outside = self.fmap.outside_taxonomy(low)
                if outside is not None:
                    self.items.gaps.append(outside_gap(value, mapped[0], outside, place))
                return "category"
        table = self.omap.classification if is_classification else self.omap.tags
        if low in table:
            target = table[low]
            if target is None:
                return "clear"
            if target != UNSPECIFIED:
                self.items.add(target, place)
                return "category"
            self.gap(value, place, path, "marks the data as sensitive without saying what it is")
            return "gap"
        if is_classification:
            self.gap(value, place, path, f"is not in {self.omap.name} v{self.omap.version}")
            return "gap"
        return "none"

    def gap(self, value: str, place: Location, path: Path_, why: str) -> None:
        what = "classification" if path and path[-1] == "classification" else "tag"
        self.items.gaps.append(
            Gap(
                "unmapped-label",
                "unmapped_label",
                f"{what} '{value}' of {dotted(path[:-1] if what == 'classification' else path[:-2])} {why}:"
                f" the tool cannot tell which data category it is; add a tag naming the category"
                f" (e.g. '{self.omap.prefix}personal.contact') or map the label",
                place,
            )
        )

    def columns(self, listed: object, path: Path_) -> None:
        """v2 columns, read as v3 properties; a column's own ``columns`` too (nested columns,
        drafted after v2.2.2), so no label is missed if a contract has them."""
        for where, column in self.mappings(listed, path, "columns", "a column"):
            self.element(column, where, True)
            self.columns(column.get("columns"), (*where, "columns"))

    def properties(self, listed: object, path: Path_) -> None:
        for where, prop in self.mappings(listed, path, "properties", "a schema property"):
            self.element(prop, where, True)
            self.properties(prop.get("properties"), (*where, "properties"))
            items = prop.get("items")
            if isinstance(items, dict):
                self.element(items, (*where, "items"), False)
                self.properties(items.get("properties"), (*where, "items", "properties"))

    def mappings(
        self, listed: object, path: Path_, plural: str, one: str
    ) -> Iterator[tuple[Path_, dict[str, Any]]]:
        """Each mapping of an optional list (columns, properties) with its path; a list that
        is not a list, or an element that is not a mapping, is an input error at its line."""
        if listed is None:
            return
        if not isinstance(listed, list):
            raise InputError(f"{plural} must be a list", self.doc.locate(path))
        for k, item in enumerate(listed):
            where = (*path, k)
            if not isinstance(item, dict):
                raise InputError(f"{one} must be a mapping", self.doc.locate(where))
            yield where, item


Labels = _Labels
"""The label reader, shared with the dbt adapter (dbt tags read as ODCS tags)."""


def _custom(doc: Document, contract: dict[str, Any]) -> Stated:
    listed = contract.get("customProperties")
    if not isinstance(listed, list):
        return Stated()
    origin: tuple[str, Location] | None = None
    dests: tuple[tuple[str, ...], Location] | None = None
    for k, entry in enumerate(listed):
        if not isinstance(entry, dict):
            continue
        where: Path_ = ("customProperties", k, "value")
        name, value = entry.get("property"), entry.get("value")
        if name == ORIGIN_PROPERTY:
            origin = (country(value, doc.locate(where)), doc.locate(where))
        elif name == DESTINATIONS_PROPERTY:
            dests = (country_list(value, doc, where), doc.locate(where))
    return Stated(origin, dests)


def adapt(documents: list[Document], reading: Reading) -> tuple[list[AdaptedTransfer], list[str]]:
    found = Found(reading)
    for doc in documents:
        contract: dict[str, Any] = doc.value
        labels = _Labels(doc, reading.policies, reading.omap, reading.fmap)
        if major_version(contract) == 2:
            key, key_field, name = _v2(doc, contract, labels)
        else:
            key, key_field, name = _v3(doc, contract, labels)
        where = found.countries(_custom(doc, contract), f"contract {key}")
        if where is None:
            continue
        description = contract.get("description")
        purpose_text = description.get("purpose") if isinstance(description, dict) else None
        found.add(
            key=key,
            source="odcs_contract",
            name=name,
            place=doc.locate((key_field,) if key_field else ()),
            items=labels.items,
            origin=where[0],
            destinations=where[1],
            description=purpose_text if isinstance(purpose_text, str) else None,
        )
    return found.result()


def _text(contract: dict[str, Any], name: str) -> str | None:
    value = contract.get(name)
    return value if isinstance(value, str) and value.strip() else None


def _v3(doc: Document, contract: dict[str, Any], labels: _Labels) -> tuple[str, str | None, str | None]:
    """Read a v3 contract's schema objects into ``labels``; its key, key field and name."""
    key = contract.get("id") or contract.get("name")
    if not isinstance(key, str) or not key.strip():
        raise InputError("required field 'id' is missing or not a string", doc.locate(("id",)))
    schema = contract.get("schema")
    if schema is not None and not isinstance(schema, list):
        raise InputError("schema must be a list of schema objects", doc.locate(("schema",)))
    for j, obj in enumerate(schema or []):
        where: Path_ = ("schema", j)
        if not isinstance(obj, dict):
            raise InputError("a schema object must be a mapping", doc.locate(where))
        labels.element(obj, where, False)
        labels.properties(obj.get("properties"), (*where, "properties"))
    name = contract.get("name") if isinstance(contract.get("name"), str) else None
    return key, "id" if "id" in contract else None, name


V2_KEYS = ("uuid", "quantumName", "datasetName")
"""What identifies a v2 contract, in order: ``uuid`` (required by v2), else its names."""


def _v2(doc: Document, contract: dict[str, Any], labels: _Labels) -> tuple[str, str | None, str | None]:
    """Read a v2 contract's tables and columns into ``labels``; its key, key field and name."""
    key_field = next((k for k in V2_KEYS if _text(contract, k)), None)
    if key_field is None:
        raise InputError("required field 'uuid' is missing or not a string", doc.locate(("uuid",)))
    tables = contract.get("dataset")
    base: Path_ = ("dataset",)
    if isinstance(tables, dict) and "tables" in tables:  # the older `dataset: {tables: [...]}`
        tables, base = tables["tables"], ("dataset", "tables")
    if tables is not None and not isinstance(tables, list):
        raise InputError("dataset must be a list of tables", doc.locate(base))
    for j, table in enumerate(tables or []):
        where: Path_ = (*base, j)
        if not isinstance(table, dict):
            raise InputError("a dataset table must be a mapping", doc.locate(where))
        labels.element(table, where, False)
        labels.columns(table.get("columns"), (*where, "columns"))
    name = _text(contract, "quantumName") or _text(contract, "datasetName")
    return str(contract[key_field]).strip(), key_field, name
