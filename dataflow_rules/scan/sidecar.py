"""The sidecar: facts a Fides or ODCS manifest cannot state, in a small file beside it.

``customers.fides.yml`` has the sidecar ``customers.fides.dataflow.yaml`` (or ``.yml``,
``.json``). It states the countries when the manifest does not, and the facts catalogue
conditions read (purpose, recipient, counts, anonymisation). Its facts apply to every
transfer the manifest yields. See docs/scan.md, "Sidecars".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from ..errors import InputError
from ..loading import Document, parse_one
from ..models.common import CountryCode, Date, Identifier, Strict, Text
from ..models.policies import Policies
from ..models.transfer import Count, Exporter, Recipient, Roles
from ..validation import validate

SIDECAR_TAG = ".dataflow"
EXTENSIONS = (".yaml", ".yml", ".json")
"""What a sidecar itself may be written in."""
MANIFEST_EXTENSIONS = (*EXTENSIONS, ".ndjson", ".jsonl")
"""What a manifest beside a sidecar may be (NDJSON: OpenLineage event logs)."""


class DataFacts(Strict):
    """Facts applied to every data item the manifest yields."""

    individuals: Count | None = None
    records: Count | None = None
    devices: Count | None = None
    anonymised: bool | None = None
    pseudonymised: bool = False
    population: Identifier | None = None
    """The items describe the same people (the columns of one table): counted once, at the
    largest count, not added up (docs/semantics.md, section 3a)."""


class Sidecar(Strict):
    description: Text | None = None
    origin: CountryCode | None = None
    destination: CountryCode | None = None
    destinations: Annotated[list[CountryCode], Field(min_length=1, max_length=300)] | None = None
    date: Date | None = None
    exporter: Exporter = Field(default_factory=Exporter)
    recipient: Recipient = Field(default_factory=Recipient)
    purpose: Identifier | None = None
    transaction: Identifier | None = None
    context: dict[Identifier, bool] = Field(default_factory=dict)
    data: DataFacts = Field(default_factory=DataFacts)
    roles: Roles = Field(default_factory=Roles)
    """Who discloses and who receives (a manifest cannot say): e.g. the exporter's own
    employee abroad, which is no GDPR or UK GDPR Chapter V transfer."""

    @model_validator(mode="after")
    def _one_destination_field(self) -> Sidecar:
        if self.destination is not None and self.destinations is not None:
            raise ValueError("give destination or destinations, not both")
        return self

    def all_destinations(self) -> list[str] | None:
        if self.destination is not None:
            return [self.destination]
        return list(self.destinations) if self.destinations is not None else None


@dataclass(frozen=True)
class LoadedSidecar:
    sidecar: Sidecar
    document: Document


def is_sidecar(path: Path) -> bool:
    return path.suffix in EXTENSIONS and path.stem.endswith(SIDECAR_TAG)


def sidecars_for(manifest: Path) -> list[Path]:
    """The sidecar files that exist for ``manifest`` (more than one is an error)."""
    stem = manifest.name[: -len(manifest.suffix)] if manifest.suffix else manifest.name
    return [p for ext in EXTENSIONS if (p := manifest.with_name(stem + SIDECAR_TAG + ext)).is_file()]


def manifests_for(sidecar: Path) -> list[Path]:
    """The manifest files a sidecar could belong to."""
    stem = sidecar.stem[: -len(SIDECAR_TAG)]
    return [p for ext in MANIFEST_EXTENSIONS if (p := sidecar.with_name(stem + ext)).is_file()]


def parse_sidecar(text: str, source: str, policies: Policies) -> LoadedSidecar:
    document = parse_one(text, source, InputError)
    sidecar = validate(Sidecar, document, InputError)
    tax = policies.taxonomy
    words = (
        ("purpose", sidecar.purpose, tax.purposes, ("purpose",)),
        ("transaction", sidecar.transaction, tax.transactions, ("transaction",)),
        ("recipient type", sidecar.recipient.type, tax.recipient_types, ("recipient", "type")),
    )
    for what, value, known, path in words:
        if value is not None and value not in known:
            raise InputError(
                f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", document.locate(path)
            )
    declared = policies.context_facts()
    for key in sidecar.context:
        if key not in declared:
            raise InputError(
                f"unknown context fact '{key}'; the loaded catalogues declare: {', '.join(sorted(declared)) or 'none'}",
                document.locate(("context", key)),
            )
    return LoadedSidecar(sidecar, document)
