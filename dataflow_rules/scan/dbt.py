"""dbt projects: ``schema.yml``/``properties.yml`` model files and ``target/manifest.json``.

Most data teams describe their tables in dbt, not in Fides or ODCS (issue 15). A model is one
transfer per destination. What its data is comes from the model's and each column's:

- ``meta.dataflow_rules`` (also under ``config.meta``): ``category: <taxonomy category>`` or
  ``categories: [...]``, named directly; on the model also ``origin`` and ``destinations``
  (or ``destination``) for its countries;
- ``meta.contains_pii: true``: personal data without saying which (the broad ``personal``,
  so narrower designations are reviewed, never allowed); on a column, ``contains_pii:
  false`` says it holds nothing designated (unless another label says what it holds);
- ``tags`` (also ``config.tags``), read as ODCS tags are (docs/scan.md, "ODCS"):
  ``dataflow:<category>``, a fideslang key, or a tag the ODCS map lists (``pii``, ``phi``).

Countries: the model's ``meta.dataflow_rules``, else the file's sidecar, else
``--origin``/``--destination``. A model with countries but no labelled column is a review
finding ``no-data-categories``. ``manifest.json`` (``metadata.dbt_schema_version``
``.../manifest/v*``) is read the same way, node by node (``resource_type: model``), each
finding at its line in the manifest.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..loading import Document
from ..models.policies import Policies
from .adapted import AdaptedTransfer
from .flows import Found, Reading, Stated, country, country_list
from .odcs import Labels

Path_ = tuple[str | int, ...]
META_KEY = "dataflow_rules"
PROPERTY_KEYS = frozenset(
    {
        "version",
        "models",
        "sources",
        "seeds",
        "snapshots",
        "macros",
        "exposures",
        "metrics",
        "semantic_models",
        "saved_queries",
        "analyses",
        "groups",
        "unit_tests",
        "data_tests",
    }
)


def is_manifest(value: object) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("nodes"), dict):
        return False
    metadata = value.get("metadata")
    version = metadata.get("dbt_schema_version") if isinstance(metadata, dict) else None
    return isinstance(version, str) and "/manifest/" in version


def is_dbt(value: object) -> bool:
    """A dbt properties file (``version: 2`` with a ``models:`` list) or a dbt manifest."""
    if is_manifest(value):
        return True
    return (
        isinstance(value, dict)
        and str(value.get("version")) == "2"
        and isinstance(value.get("models"), list)
        and set(value) <= PROPERTY_KEYS
    )


def _metas(value: dict[str, Any], path: Path_) -> list[tuple[dict[str, Any], Path_]]:
    out = []
    if isinstance(value.get("meta"), dict):
        out.append((value["meta"], (*path, "meta")))
    config = value.get("config")
    if isinstance(config, dict) and isinstance(config.get("meta"), dict):
        out.append((config["meta"], (*path, "config", "meta")))
    return out


def _tags(value: dict[str, Any], path: Path_) -> list[tuple[object, Path_]]:
    out: list[tuple[object, Path_]] = []
    for owner, where in ((value, path), (value.get("config"), (*path, "config"))):
        if isinstance(owner, dict) and owner.get("tags") is not None:
            tags = owner["tags"]
            listed = tags if isinstance(tags, list) else [tags]  # dbt accepts one tag as a string
            out += [
                (t, (*where, "tags", k) if isinstance(tags, list) else (*where, "tags"))
                for k, t in enumerate(listed)
            ]
    return out


class _Element:
    """Reads one model or column's labels into the shared items."""

    def __init__(self, doc: Document, labels: Labels, policies: Policies) -> None:
        self.doc, self.labels, self.policies = doc, labels, policies

    def read(self, value: dict[str, Any], path: Path_, is_column: bool) -> None:
        found = cleared = False
        for meta, where in _metas(value, path):
            found |= self._meta(meta, where)
            cleared |= meta.get("contains_pii") is False
        for tag, where in _tags(value, path):
            if not isinstance(tag, str):
                raise InputError("a dbt tag must be a string", self.doc.locate(where))
            outcome = self.labels.label(tag, where, False)
            found |= outcome in ("category", "gap")
            cleared |= outcome == "clear"
        if is_column and not found:
            # A column stated `contains_pii: false` (or tagged as the ODCS map clears) holds
            # nothing designated; one with no label at all may hold anything.
            if cleared:
                self.labels.items.cleared += 1
            else:
                self.labels.items.unlabelled += 1

    def _meta(self, meta: dict[str, Any], where: Path_) -> bool:
        found = False
        ours = meta.get(META_KEY)
        if ours is not None:
            if not isinstance(ours, dict):
                raise InputError(f"meta.{META_KEY} must be a mapping", self.doc.locate((*where, META_KEY)))
            base = (*where, META_KEY)
            listed: list[tuple[object, Path_]] = []
            if "category" in ours:
                listed.append((ours["category"], (*base, "category")))
            if isinstance(ours.get("categories"), list):
                listed += [(c, (*base, "categories", k)) for k, c in enumerate(ours["categories"])]
            elif "categories" in ours:
                raise InputError("categories must be a list", self.doc.locate((*base, "categories")))
            for category, at in listed:
                place = self.doc.locate(at)
                if not isinstance(category, str) or category not in self.policies.taxonomy:
                    hint = self.policies.taxonomy.closest(str(category))
                    raise InputError(
                        f"unknown category '{category}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                        place,
                    )
                self.labels.items.add(category, place)
                found = True
        if meta.get("contains_pii") is True:
            self.labels.items.add("personal", self.doc.locate((*where, "contains_pii")))
            found = True
        return found


def _stated(doc: Document, model: dict[str, Any], path: Path_) -> Stated:
    origin = dests = None
    for meta, where in _metas(model, path):
        ours = meta.get(META_KEY)
        if not isinstance(ours, dict):
            continue
        base = (*where, META_KEY)
        if "origin" in ours:
            origin = (country(ours["origin"], doc.locate((*base, "origin"))), doc.locate((*base, "origin")))
        for key in ("destinations", "destination"):
            if key in ours:
                at = (*base, key)
                dests = (country_list(ours[key], doc, at), doc.locate(at))
    return Stated(origin, dests)


def adapt(documents: list[Document], reading: Reading) -> tuple[list[AdaptedTransfer], list[str]]:
    found = Found(reading)
    for doc in documents:
        for model, path, key, name_path in _models(doc):
            labels = Labels(doc, reading.policies, reading.omap, reading.fmap)
            element = _Element(doc, labels, reading.policies)
            element.read(model, path, False)
            columns = model.get("columns")
            if isinstance(columns, list):
                for k, column in enumerate(columns):
                    if not isinstance(column, dict):
                        raise InputError("a column must be a mapping", doc.locate((*path, "columns", k)))
                    element.read(column, (*path, "columns", k), True)
            elif isinstance(columns, dict):  # manifest.json: columns by name
                for cname, column in columns.items():
                    if isinstance(column, dict):
                        element.read(column, (*path, "columns", cname), True)
            elif columns is not None:
                raise InputError("columns must be a list", doc.locate((*path, "columns")))
            where = found.countries(_stated(doc, model, path), f"model {key}")
            if where is None:
                continue
            description = model.get("description")
            found.add(
                key=key,
                source="dbt_model",
                name=model.get("name") if isinstance(model.get("name"), str) else None,
                place=doc.locate(name_path),
                items=labels.items,
                origin=where[0],
                destinations=where[1],
                description=description if isinstance(description, str) and description.strip() else None,
            )
    return found.result()


def _models(doc: Document) -> list[tuple[dict[str, Any], Path_, str, Path_]]:
    """Each model: its value, path, key for transfer ids, and the path of its name."""
    value = doc.value
    found: list[tuple[dict[str, Any], Path_, str, Path_]] = []
    if is_manifest(value):
        for uid, node in value["nodes"].items():
            if isinstance(node, dict) and node.get("resource_type") == "model":
                path: Path_ = ("nodes", uid)
                found.append((node, path, str(uid), (*path, "name")))
        return found
    for j, model in enumerate(value["models"]):
        path = ("models", j)
        if not isinstance(model, dict):
            raise InputError("a model must be a mapping", doc.locate(path))
        name = model.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InputError("required field 'name' is missing or not a string", doc.locate((*path, "name")))
        found.append((model, path, name, (*path, "name")))
    return found
