"""JSON Schemas for the files people write, exported from the pydantic models.

Editors (the YAML language server, JetBrains, VS Code) validate and complete a manifest
as it is typed when it names a schema. The transfer schema also lists the loaded
taxonomy's categories and vocabularies, so completion offers exactly the words the
catalogues accept; the models stay the one source of the shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..models.catalogue import Catalogue
from ..models.policies import Policies
from ..models.transfer import Transfer
from ..transfers import layouts_schema
from .sidecar import Sidecar
from .waivers import _WaiverFile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COUNTRY = {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2 country code"}
KINDS = ("transfer", "catalogue", "sidecar", "waivers")


def _base(model: type[BaseModel], title: str, description: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    name = model.__name__
    defs[name] = schema
    return {
        "$schema": DRAFT,
        "title": title,
        "description": description,
        "$defs": defs,
        "$ref": f"#/$defs/{name}",
    }


def _enum(target: dict[str, Any], values: dict[str, str]) -> None:
    """Offer the vocabulary's words with their descriptions, keeping the field's type."""
    options = [{"const": word, "description": text} for word, text in sorted(values.items())]
    nullable = "anyOf" in target
    for key in ("anyOf", "type", "pattern", "maxLength", "minLength"):
        target.pop(key, None)
    target["anyOf"] = [*options, {"type": "null"}] if nullable else options


def _countries(schema: dict[str, Any], model: str, fields: tuple[str, ...]) -> None:
    props = schema["$defs"][model]["properties"]
    for name in fields:
        if name in props:
            nullable = "anyOf" in props[name]
            description = props[name].get("description")
            props[name] = {"anyOf": [COUNTRY, {"type": "null"}]} if nullable else dict(COUNTRY)
            if description:
                props[name]["description"] = description


def transfer_schema(policies: Policies) -> dict[str, Any]:
    schema = _base(
        Transfer,
        "dataflow-rules transfer file",
        "One transfer, a list of transfers, or a mapping 'transfers: [...]' (docs/cli.md).",
    )
    tax = policies.taxonomy
    defs = schema["$defs"]
    _enum(
        defs["DataItem"]["properties"]["category"], {c: tax.categories[c].description for c in tax.categories}
    )
    _enum(defs["Transfer"]["properties"]["purpose"], tax.purposes)
    _enum(defs["Transfer"]["properties"]["transaction"], tax.transactions)
    _enum(defs["Recipient"]["properties"]["type"], tax.recipient_types)
    _countries(schema, "Transfer", ("origin", "destination"))
    _countries(schema, "Recipient", ("controlled_by",))
    schema.pop("$ref")
    schema.update(layouts_schema("#/$defs/Transfer"))
    return schema


def catalogue_schema() -> dict[str, Any]:
    schema = _base(Catalogue, "dataflow-rules catalogue", "One jurisdiction's catalogue (docs/semantics.md).")
    _countries(schema, "Catalogue", ("jurisdiction",))
    return schema


def sidecar_schema(policies: Policies) -> dict[str, Any]:
    schema = _base(Sidecar, "dataflow-rules sidecar", "Facts for a Fides or ODCS manifest (docs/scan.md).")
    tax = policies.taxonomy
    props = schema["$defs"]["Sidecar"]["properties"]
    _enum(props["purpose"], tax.purposes)
    _enum(props["transaction"], tax.transactions)
    _countries(schema, "Sidecar", ("origin", "destination"))
    return schema


def waivers_schema() -> dict[str, Any]:
    return _base(
        _WaiverFile, "dataflow-rules waivers", "Time-limited, approved waivers of findings (docs/scan.md)."
    )


def schema_for(kind: str, policies: Policies) -> dict[str, Any]:
    if kind == "transfer":
        return transfer_schema(policies)
    if kind == "catalogue":
        return catalogue_schema()
    if kind == "sidecar":
        return sidecar_schema(policies)
    return waivers_schema()
