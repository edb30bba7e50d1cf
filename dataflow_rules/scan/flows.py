"""Turning an adapted manifest's data items and countries into transfers to decide.

Shared by the Fides and ODCS adapters. Countries come from the manifest where it states
them, else from its sidecar, else from ``--origin``/``--destination``; a sidecar that
contradicts its manifest is an input error, not a silent choice. One transfer is made per
destination.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pycountry
from pydantic import ValidationError

from ..errors import InputError, Location
from ..loading import Document
from ..models.policies import Policies
from ..models.scan import SourceKind
from ..models.transfer import Transfer
from .adapted import AdaptedTransfer, Gap, transfer_id
from .mapping import FidesMap, OdcsMap
from .sidecar import LoadedSidecar


@dataclass(frozen=True)
class Defaults:
    """Countries given on the command line, for manifests (and sidecars) that state none."""

    origin: str | None = None
    destinations: tuple[str, ...] = ()


@dataclass
class Items:
    """Data items by our category, in first-seen order, with every place that declared each."""

    places: dict[str, list[Location]] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    unlabelled: int = 0
    """Data elements with no label at all."""
    cleared: int = 0
    """Data elements whose label says they hold nothing designated (e.g. ODCS 'public')."""

    def add(self, category: str, place: Location) -> None:
        self.places.setdefault(category, []).append(place)


def country(value: object, place: Location) -> str:
    """An ISO 3166-1 alpha-2 code from an alpha-2 or alpha-3 code (fideslang uses alpha-3)."""
    text = value.strip().upper() if isinstance(value, str) else ""
    found: Any = None
    if len(text) == 2:
        found = pycountry.countries.get(alpha_2=text)
    elif len(text) == 3:
        found = pycountry.countries.get(alpha_3=text)
    if found is None:
        raise InputError(f"'{value}' is not an ISO 3166-1 alpha-2 or alpha-3 country code", place)
    return str(found.alpha_2)


def country_list(value: object, doc: Document, at: Sequence[str | int]) -> tuple[str, ...]:
    """One code or a list of codes at path ``at`` of ``doc``, each error at its own place."""
    if isinstance(value, list):
        return tuple(country(v, doc.locate((*at, j))) for j, v in enumerate(value))
    return (country(value, doc.locate(at)),)


@dataclass(frozen=True)
class Stated:
    """Countries a manifest states itself, with where."""

    origin: tuple[str, Location] | None = None
    destinations: tuple[tuple[str, ...], Location] | None = None


def countries(
    stated: Stated, sidecar: LoadedSidecar | None, defaults: Defaults
) -> tuple[str | None, list[str]]:
    side = sidecar.sidecar if sidecar else None
    origin = stated.origin[0] if stated.origin else None
    if side is not None and side.origin is not None:
        if origin is not None and origin != side.origin:
            raise InputError(
                f"origin {side.origin} contradicts the manifest's {origin} ({stated.origin[1] if stated.origin else ''})",
                sidecar.document.locate(("origin",)) if sidecar else None,
            )
        origin = side.origin
    origin = origin or defaults.origin
    dests = list(stated.destinations[0]) if stated.destinations else None
    side_dests = side.all_destinations() if side is not None else None
    if side_dests is not None and sidecar is not None:
        if dests is not None and sorted(set(dests)) != sorted(set(side_dests)):
            field_name = "destination" if side.destination is not None else "destinations"  # type: ignore[union-attr]
            raise InputError(
                f"destinations {', '.join(side_dests)} contradict the manifest's {', '.join(dests)}"
                f" ({stated.destinations[1] if stated.destinations else ''})",
                sidecar.document.locate((field_name,)),
            )
        dests = side_dests
    if dests is None:
        dests = list(defaults.destinations)
    return origin, sorted(dict.fromkeys(dests))


def build(
    *,
    key: str,
    source: SourceKind,
    name: str | None,
    place: Location,
    items: Items,
    origin: str,
    destinations: Sequence[str],
    sidecar: LoadedSidecar | None,
    purpose: str | None = None,
    description: str | None = None,
    purpose_bound: dict[str, Any] | None = None,
) -> list[AdaptedTransfer]:
    side = sidecar.sidecar if sidecar else None
    out = []
    for destination in destinations:
        tid = transfer_id(key, f"{origin}-{destination}")
        adapted = partial(AdaptedTransfer, id=tid, source=source, name=name, place=place, origin=origin)
        if not items.places:
            all_clear = items.cleared > 0 and items.unlabelled == 0
            gaps = tuple(items.gaps) if all_clear else (*items.gaps, _no_categories(place, source))
            out.append(adapted(None, destination=destination, gaps=gaps))
            continue
        facts = side.data.model_dump(exclude_none=True) if side else {}
        body: dict[str, Any] = {
            "id": tid,
            "origin": origin,
            "destination": destination,
            "data": [{"category": c, **facts} for c in items.places],
        }
        if description:
            body["description"] = description[:2000]
        if side is not None:
            body.update(
                side.model_dump(include={"exporter", "recipient", "context", "roles"}, exclude_none=True)
            )
            for key_name in ("date", "transaction", "purpose"):
                if getattr(side, key_name) is not None:
                    body[key_name] = getattr(side, key_name)
            if side.description:
                body["description"] = side.description
        if "purpose" not in body and purpose is not None:
            body["purpose"] = purpose
        if "purpose" not in body and purpose_bound is not None:
            body["purpose_bound"] = purpose_bound  # what the manifest says of its purpose
        try:
            transfer = Transfer.model_validate(body)
        except ValidationError as exc:  # pragma: no cover - adapters only pass checked values
            raise InputError(f"cannot form a transfer: {exc.errors()[0]['msg']}", place) from None
        places = tuple(tuple(p) for p in items.places.values())
        out.append(adapted(transfer, destination=destination, item_places=places, gaps=tuple(items.gaps)))
    return out


@dataclass(frozen=True)
class Reading:
    """What the manifest adapters (dbt, ODCS, OpenLineage, Terraform) read a file with: its
    sidecar, the command line's countries, the catalogues and both label maps. One value,
    so every adapter is called alike and none repeats the list."""

    sidecar: LoadedSidecar | None
    defaults: Defaults
    policies: Policies
    omap: OdcsMap
    fmap: FidesMap


@dataclass
class Found:
    """What an adapter found in its documents: the transfers, and what it could not make one
    of for want of a country (each named as the scan's note names it)."""

    reading: Reading
    transfers: list[AdaptedTransfer] = field(default_factory=list)
    without: list[str] = field(default_factory=list)

    def countries(self, stated: Stated, what: str) -> tuple[str, list[str]] | None:
        """The origin and destinations of ``stated`` with the sidecar's and the command line's;
        None, and ``what`` noted as without, when the origin or every destination is missing."""
        origin, destinations = countries(stated, self.reading.sidecar, self.reading.defaults)
        if origin is None or not destinations:
            self.without.append(what)
            return None
        return origin, destinations

    def add(self, **transfer: Any) -> None:
        """The transfers :func:`build` makes of ``transfer`` (its keywords, the sidecar's own)."""
        self.transfers += build(sidecar=self.reading.sidecar, **transfer)

    def result(self) -> tuple[list[AdaptedTransfer], list[str]]:
        return self.transfers, self.without


def _no_categories(place: Location, source: SourceKind) -> Gap:
    what = {
        "fides_dataset": "dataset",
        "fides_system": "declaration",
        "dbt_model": "model",
        "openlineage_run": "input dataset",
        "terraform_replication": "source resource",
    }.get(source, "contract")
    return Gap(
        "no-data-categories",
        "no_data_categories",
        f"the {what} labels no data with a category the tool can map, so it cannot tell what data"
        " crosses the border; label the data (or map its labels) before it is transferred",
        place,
    )
