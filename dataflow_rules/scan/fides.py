"""Fides manifests: ``dataset:`` and ``system:`` resources labelled with fideslang categories.

Keys of fideslang 2.x/3.x and of every 1.x release (``user.provided.identifiable...``,
``account...``, ``user.credentials``) may be mixed in one manifest: the map renames 1.x keys
to their 2.x successors before mapping them (mapping.py), so each key means what it meant
to the fideslang version it was written for.

A dataset is one transfer per destination; its data items are the taxonomy categories its
``data_categories`` map to (at dataset, collection and any nested field level), each
located at every line that declared it. A system yields one transfer per privacy
declaration per destination, with the purpose its ``data_use`` states, or else the set of
purposes it can serve (``purpose_bound``: case analysis decides over that set only).
Destinations come from ``third_country_transfers`` (ISO alpha-3 in fideslang; alpha-2
accepted) where the manifest has it; the origin, which Fides does not record, from the
sidecar or ``--origin``.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, Location
from ..loading import Document
from .adapted import AdaptedTransfer, Gap
from .flows import Found, Items, Reading, Stated, country
from .mapping import FidesMap

Path_ = tuple[str | int, ...]
RESOURCE_KEYS = {"dataset", "system"}
OTHER_KEYS = {"data_category", "data_use", "data_subject", "organization", "policy", "evaluation"}


def is_fides(value: object) -> bool:
    if not isinstance(value, dict) or not (set(value) & RESOURCE_KEYS):
        return False
    if not set(value) <= RESOURCE_KEYS | OTHER_KEYS:
        return False
    return all(isinstance(value[k], list) for k in set(value) & RESOURCE_KEYS)


def adapt(documents: list[Document], reading: Reading) -> tuple[list[AdaptedTransfer], list[str]]:
    found = Found(reading)
    for doc in documents:
        for i, value in enumerate(doc.value.get("dataset", [])):
            _dataset(doc, ("dataset", i), value, found)
        for i, value in enumerate(doc.value.get("system", [])):
            _system(doc, ("system", i), value, found)
    return found.result()


def _resource(doc: Document, path: Path_, value: object) -> tuple[dict[str, Any], str]:
    if not isinstance(value, dict):
        raise InputError("a Fides resource must be a mapping", doc.locate(path))
    key = value.get("fides_key")
    if not isinstance(key, str) or not key.strip():
        raise InputError(
            "required field 'fides_key' is missing or not a string", doc.locate((*path, "fides_key"))
        )
    return value, key


def _destinations(doc: Document, path: Path_, value: dict[str, Any]) -> Stated:
    listed = value.get("third_country_transfers")
    if listed is None:
        return Stated()
    where = (*path, "third_country_transfers")
    if not isinstance(listed, list):
        raise InputError("third_country_transfers must be a list of country codes", doc.locate(where))
    codes = tuple(country(code, doc.locate((*where, j))) for j, code in enumerate(listed))
    return Stated(destinations=(codes, doc.locate(where))) if codes else Stated()


def _categories(doc: Document, value: dict[str, Any], path: Path_, items: Items, fmap: FidesMap) -> bool:
    """Add the mapped categories of ``value['data_categories']``; False if it has none."""
    listed = value.get("data_categories")
    if listed is None:
        return False
    where = (*path, "data_categories")
    if not isinstance(listed, list):
        raise InputError("data_categories must be a list of fideslang keys", doc.locate(where))
    for j, key in enumerate(listed):
        place = doc.locate((*where, j))
        if not isinstance(key, str):
            raise InputError(f"a data category must be a string (got {key!r})", place)
        mapped = fmap.category(key.strip())
        if mapped is None:
            # Never guessed: data the map cannot place is an error, so it is never let through.
            raise InputError(
                f"fideslang category '{key}' has no mapping"
                f" ({fmap.name} v{fmap.version} maps keys under: {', '.join(fmap.roots)})",
                place,
            )
        items.add(mapped[0], place)
        outside = fmap.outside_taxonomy(key.strip())
        if outside is not None:
            items.gaps.append(outside_gap(key.strip(), mapped[0], outside, place))
    return bool(listed)


def outside_gap(key: str, category: str, why: str, place: Location) -> Gap:
    """A review finding for a fideslang key outside the default taxonomy (issue 15)."""
    return Gap(
        "fides-key-outside-taxonomy",
        "fides_key_outside_taxonomy",
        f"fideslang category '{key}' {why}, as '{category}'; `fides evaluate` rejects keys outside"
        " the taxonomy: use a default taxonomy key or state the category in the sidecar",
        place,
    )


def _fields(doc: Document, fields: object, path: Path_, items: Items, fmap: FidesMap) -> None:
    if fields is None:
        return
    if not isinstance(fields, list):
        raise InputError("fields must be a list", doc.locate(path))
    for k, field in enumerate(fields):
        where = (*path, k)
        if not isinstance(field, dict):
            raise InputError("a field must be a mapping", doc.locate(where))
        labelled = _categories(doc, field, where, items, fmap)
        if field.get("fields"):
            _fields(doc, field["fields"], (*where, "fields"), items, fmap)
        elif not labelled:
            items.unlabelled += 1


def _required_list(doc: Document, resource: dict[str, Any], path: Path_, name: str) -> list[Any]:
    """``resource[name]``, a list Fides requires (a dataset's collections, a system's declarations)."""
    listed = resource.get(name)
    if not isinstance(listed, list):
        raise InputError(f"required field '{name}' is missing or not a list", doc.locate((*path, name)))
    return listed


def _dataset(doc: Document, path: Path_, value: object, found: Found) -> None:
    """The dataset's transfers (noted as without when its countries are not known)."""
    fmap = found.reading.fmap
    dataset, key = _resource(doc, path, value)
    items = Items()
    _categories(doc, dataset, path, items, fmap)
    for j, collection in enumerate(_required_list(doc, dataset, path, "collections")):
        where = (*path, "collections", j)
        if not isinstance(collection, dict):
            raise InputError("a collection must be a mapping", doc.locate(where))
        _categories(doc, collection, where, items, fmap)
        _fields(doc, collection.get("fields"), (*where, "fields"), items, fmap)
    stated = found.countries(_destinations(doc, path, dataset), f"dataset {key}")
    if stated is None:
        return
    name = dataset.get("name") if isinstance(dataset.get("name"), str) else None
    description = dataset.get("description") if isinstance(dataset.get("description"), str) else None
    found.add(
        key=key,
        source="fides_dataset",
        name=name,
        place=doc.locate((*path, "fides_key")),
        items=items,
        origin=stated[0],
        destinations=stated[1],
        description=description,
    )


def _system(doc: Document, path: Path_, value: object, found: Found) -> None:
    """One transfer per privacy declaration and destination (the system noted as without
    when its countries are not known)."""
    fmap = found.reading.fmap
    system, key = _resource(doc, path, value)
    declarations = _required_list(doc, system, path, "privacy_declarations")
    stated = found.countries(_destinations(doc, path, system), f"system {key}")
    if stated is None:
        return
    system_name = system.get("name") if isinstance(system.get("name"), str) else key
    for j, declaration in enumerate(declarations):
        where = (*path, "privacy_declarations", j)
        if not isinstance(declaration, dict):
            raise InputError("a privacy declaration must be a mapping", doc.locate(where))
        items = Items()
        _categories(doc, declaration, where, items, fmap)
        use = declaration.get("data_use")
        if not isinstance(use, str):
            raise InputError(
                "required field 'data_use' is missing or not a string", doc.locate((*where, "data_use"))
            )
        label = declaration.get("name") if isinstance(declaration.get("name"), str) else str(j)
        purpose, bound = _use(use.strip(), fmap)
        found.add(
            key=f"{key}:{label}",
            source="fides_system",
            name=f"{system_name} / {label}",
            place=doc.locate(where),
            items=items,
            origin=stated[0],
            destinations=stated[1],
            purpose=purpose,
            purpose_bound=bound,
        )


def _use(use: str, fmap: FidesMap) -> tuple[str | None, dict[str, Any] | None]:
    """What a declaration's ``data_use`` says of its purpose: the one purpose it states, or
    the purposes it can serve (a bound the decision names), or nothing (a use the map does
    not list, such as ``essential.legal_obligation``, can serve any purpose)."""
    found = fmap.purposes(use)
    if found is None:
        return None, None
    listed, purposes = found
    if len(purposes) == 1:
        return purposes[0], None
    source = f"Fides data_use '{use}'" + (f" (read as '{listed}')" if listed != use else "")
    return None, {"purposes": list(purposes), "source": source}
