"""Reading transfer descriptions from YAML or JSON, with located errors.

A file may hold one transfer, a list of transfers, a mapping ``transfers: [...]``, or
several YAML documents. Everything is checked before anything is decided: a file with
one bad transfer yields an error and no decisions, so a partial result is never taken
for a whole one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogues import Policies
from .errors import DataflowRulesError, InputError, Location
from .loading import Document, decode, parse_documents, read_text
from .models.transfer import Transfer
from .validation import validate

MAX_TRANSFERS_PER_FILE = 100_000


@dataclass(frozen=True)
class Located:
    """A transfer with the document it came from, to place later messages."""

    transfer: Transfer
    document: Document
    path: tuple[str | int, ...]

    def locate(self, *field: str | int) -> Location:
        return self.document.locate((*self.path, *field))


def read_transfers(path: Path | None, policies: Policies, stdin: bytes | None = None) -> list[Located]:
    """Read and check every transfer in a file (or stdin when ``path`` is None)."""
    if path is None:
        text, source = decode(stdin or b"", "<stdin>", InputError), "<stdin>"
    else:
        text, source = read_text(path, InputError), str(path)
    return parse_transfers(text, source, policies)


def parse_transfers(
    text: str,
    source: str,
    policies: Policies,
    limit: int | None = None,
    limit_error: type[DataflowRulesError] = InputError,
) -> list[Located]:
    """Every transfer in ``text``, each checked. ``limit``: refuse more than this many with
    ``limit_error`` before checking any of a list that crosses it (the service's bound)."""
    out: list[Located] = []
    for document in parse_documents(text, source, InputError):
        value = document.value
        prefix: tuple[str | int, ...] = ()
        if isinstance(value, dict) and set(value) == {"transfers"}:
            value, prefix = value["transfers"], ("transfers",)
        if isinstance(value, list):
            if limit is not None and len(out) + len(value) > limit:
                raise limit_error(
                    f"{len(out) + len(value)} transfers in one request; the limit is {limit}",
                    Location(source),
                )
            if len(out) + len(value) > MAX_TRANSFERS_PER_FILE:
                raise InputError(
                    f"more than {MAX_TRANSFERS_PER_FILE} transfers in one input", Location(source)
                )
            for i, item in enumerate(value):
                out.append(_one(document, item, (*prefix, i), policies))
        elif isinstance(value, dict):
            out.append(_one(document, value, prefix, policies))
        else:
            raise InputError(
                "expected a transfer (a mapping), a list of transfers or 'transfers:'",
                document.locate(prefix),
            )
    if not out:
        raise InputError("no transfer found", Location(source))
    ids: dict[str, Located] = {}
    for located in out:
        tid = located.transfer.id
        if tid in ids:
            first = ids[tid].locate("id")
            raise InputError(
                f"duplicate transfer id '{tid}' (first on line {first.line})", located.locate("id")
            )
        ids[tid] = located
    return out


def layouts_schema(transfer_ref: str) -> dict[str, Any]:
    """The JSON Schema of one document in the layouts :func:`parse_transfers` reads: a
    transfer, a non-empty list of them (an empty one is "no transfer found"), or
    ``transfers: [...]``. ``transfer_ref`` points at the Transfer schema, which the editor
    schema (``dataflow-rules schema transfer``) and the OpenAPI description keep in
    different places."""
    one = {"$ref": transfer_ref}
    many = {"type": "array", "items": one, "minItems": 1}
    wrapped = {
        "type": "object",
        "properties": {"transfers": many},
        "required": ["transfers"],
        "additionalProperties": False,
    }
    return {"anyOf": [one, many, wrapped]}


REQUIRED = frozenset(name for name, f in Transfer.model_fields.items() if f.is_required())
"""The fields every transfer states; a mapping with none of them is not one."""


def _one(document: Document, value: object, path: tuple[str | int, ...], policies: Policies) -> Located:
    if not isinstance(value, dict):
        raise InputError("a transfer must be a mapping", document.locate(path))
    if not REQUIRED.intersection(value):
        # Say what the file is not, rather than name one missing field of a transfer it
        # never tried to be (a CI workflow, a Helm values file given to `check` by mistake).
        found = ", ".join(sorted(map(str, value))[:6]) or "none"
        raise InputError(
            f"not a transfer description: it has none of the fields {', '.join(sorted(REQUIRED))}"
            f" (its fields: {found})",
            document.locate(path),
        )
    transfer = validate(Transfer, document, InputError, value, path)
    located = Located(transfer, document, path)
    check_references(located, policies)
    return located


def check_references(located: Located, policies: Policies) -> None:
    """Categories and vocabulary words must exist; context facts must be declared."""
    t, tax = located.transfer, policies.taxonomy
    for i, item in enumerate(t.data):
        if item.category not in tax:
            hint = tax.closest(item.category)
            raise InputError(
                f"unknown category '{item.category}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                located.locate("data", i, "category"),
            )
    _word(located, t.purpose, tax.purposes, "purpose", ("purpose",))
    _word(located, t.transaction, tax.transactions, "transaction", ("transaction",))
    _word(located, t.recipient.type, tax.recipient_types, "recipient type", ("recipient", "type"))
    for i, safeguard in enumerate(t.safeguards):
        _word(located, safeguard.mechanism, tax.mechanisms, "mechanism", ("safeguards", i, "mechanism"))
        for j, category in enumerate(safeguard.scope.categories or ()):
            if category not in tax:
                raise InputError(
                    f"unknown category '{category}'",
                    located.locate("safeguards", i, "scope", "categories", j),
                )
        if safeguard.expires is not None and safeguard.expires < safeguard.obtained:
            raise InputError("expires is before obtained", located.locate("safeguards", i, "expires"))
    for key in t.security:
        _word(located, key, tax.security_measures, "security measure", ("security", key))
    zone = t.exporter.zone
    if zone is not None:
        origin = policies.jurisdiction_of(t.origin)
        zones = sorted(z for (code, z) in policies.layers if code == origin)
        if origin is None or zone not in zones:
            known = ", ".join(zones) or "none"
            raise InputError(
                f"unknown zone '{zone}' for exporters in {t.origin}; the loaded layers for it: {known}",
                located.locate("exporter", "zone"),
            )
    declared = policies.context_facts()
    for key in t.context:
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise InputError(
                f"unknown context fact '{key}'; the loaded catalogues declare: {known}",
                located.locate("context", key),
            )


def _word(
    located: Located, value: str | None, known: Mapping[str, object], what: str, path: Sequence[str | int]
) -> None:
    if value is not None and value not in known:
        raise InputError(
            f"unknown {what} '{value}'; known: {', '.join(sorted(known))}", located.locate(*path)
        )
