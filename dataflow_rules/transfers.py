"""Reading transfer descriptions from YAML or JSON, with located errors.

A file may hold one transfer, a list of transfers, a mapping ``transfers: [...]``, or
several YAML documents. Everything is checked before anything is decided: a file with
one bad transfer yields an error and no decisions, so a partial result is never taken
for a whole one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import DataflowRulesError, InputError, Location, raise_all
from .loading import Document, decode, dotted, parse_documents, read_text
from .models.policies import Policies
from .models.transfer import Transfer
from .suggest import did_you_mean, unknown_context_fact
from .validation import all_errors

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
    """Every transfer of ``text``, or one error holding every problem found in it (schema
    and reference errors of every transfer together), so a file is fixed in one run.
    ``limit``: refuse more than this many with ``limit_error`` before checking any of a
    list that crosses it (the service's bound)."""
    out: list[Located] = []
    problems: list[InputError] = []
    for document in parse_documents(text, source, InputError):
        value = document.value
        prefix: tuple[str | int, ...] = ()
        if isinstance(value, dict) and set(value) == {"transfers"}:
            value, prefix = value["transfers"], ("transfers",)
        if isinstance(value, list):
            if limit is not None and len(out) + len(problems) + len(value) > limit:
                raise limit_error(
                    f"{len(out) + len(problems) + len(value)} transfers in one request; the limit is {limit}",
                    Location(source),
                )
            if len(out) + len(problems) + len(value) > MAX_TRANSFERS_PER_FILE:
                raise InputError(
                    f"more than {MAX_TRANSFERS_PER_FILE} transfers in one input", Location(source)
                )
            items = [(item, (*prefix, i)) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            items = [(value, prefix)]
        else:
            problems.append(
                InputError(
                    "expected a transfer (a mapping), a list of transfers or 'transfers:'",
                    document.locate(prefix),
                )
            )
            continue
        for item, at in items:
            try:
                out.append(_one(document, item, at, policies))
            except InputError as error:
                problems.append(error)
    if not out and not problems:
        raise InputError("no transfer found", Location(source))
    ids: dict[str, Located] = {}
    for located in out:
        tid = located.transfer.id
        if tid in ids:
            first = ids[tid].locate("id")
            problems.append(
                InputError(
                    f"duplicate transfer id '{tid}' (first on line {first.line})", located.locate("id")
                )
            )
        else:
            ids[tid] = located
    raise_all(sorted(problems, key=_order))
    return out


def _order(error: DataflowRulesError) -> tuple[int, int, str]:
    where = error.location
    return (where.line or 0, where.column or 0, error.message) if where else (0, 0, error.message)


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
    # Reference errors are found on the raw mapping, so they come with the schema errors
    # in the same run; a schema error at a field a reference error already explains (a
    # purpose spelled 'Scientific Research' breaks the id pattern too) is left out.
    words = reference_problems(value, policies)
    explained = {dotted(at) for at, _ in words}
    problems = [InputError(message, document.locate((*path, *at))) for at, message in words]
    try:
        transfer = Transfer.model_validate(value)
    except ValidationError as exc:
        for where, message in all_errors(exc, document, path, Transfer):
            field_path = exc_path(where, path)
            if field_path not in explained:
                problems.append(InputError(message, where))
        raise_all(sorted(problems, key=_order))
        raise AssertionError("unreachable: a validation error always has a problem") from None
    raise_all(problems)
    located = Located(transfer, document, path)
    check_references(located, policies)
    return located


def exc_path(where: Location, prefix: tuple[str | int, ...]) -> str | None:
    """The dotted field of a located schema error, relative to its transfer."""
    base = dotted(prefix)
    name = where.field or ""
    if base and name.startswith(base):
        name = name[len(base) :].lstrip(".")
    return name or None


MOVED_CONTEXT_FACTS: dict[str, str] = {"recipient_us_person": "recipient.us_person"}
"""Context facts a catalogue once declared that are now fields of the transfer: stating one
is an error naming the field (a context fact is inherited by onward legs, the recipient's
own facts are not: docs/semantics.md, section 8a)."""


def reference_problems(
    value: Mapping[str, Any], policies: Policies
) -> list[tuple[tuple[str | int, ...], str]]:
    """Every unknown category, vocabulary word, zone and context fact of a raw transfer
    mapping, as (field path, message); fields of the wrong type are left to the schema."""
    tax = policies.taxonomy
    out: list[tuple[tuple[str | int, ...], str]] = []

    def word(at: tuple[str | int, ...], known: Mapping[str, object], what: str, v: object) -> None:
        if isinstance(v, str) and v not in known:
            out.append(
                (at, f"unknown {what} '{v}'{did_you_mean(v, known)}; known: {', '.join(sorted(known))}")
            )

    def category(at: tuple[str | int, ...], v: object) -> None:
        if isinstance(v, str) and v not in tax:
            hint = tax.closest(v)
            out.append((at, f"unknown category '{v}'" + (f" (did you mean '{hint}'?)" if hint else "")))

    def items(v: object) -> list[tuple[int, Any]]:
        return list(enumerate(v)) if isinstance(v, list) else []

    def mapping(v: object) -> Mapping[str, Any]:
        return v if isinstance(v, dict) else {}

    def side(base: tuple[str | int, ...], m: Mapping[str, Any]) -> None:
        word((*base, "purpose"), tax.purposes, "purpose", m.get("purpose"))
        for j, p in items(mapping(m.get("purpose_bound")).get("purposes")):
            word((*base, "purpose_bound", "purposes", j), tax.purposes, "purpose", p)
        word((*base, "transaction"), tax.transactions, "transaction", m.get("transaction"))
        word(
            (*base, "recipient", "type"),
            tax.recipient_types,
            "recipient type",
            mapping(m.get("recipient")).get("type"),
        )
        for i, sg in items(m.get("safeguards")):
            sg = mapping(sg)
            word((*base, "safeguards", i, "mechanism"), tax.mechanisms, "mechanism", sg.get("mechanism"))
            for j, c in items(mapping(sg.get("scope")).get("categories")):
                category((*base, "safeguards", i, "scope", "categories", j), c)

    for i, item in items(value.get("data")):
        category(("data", i, "category"), mapping(item).get("category"))
    side((), value)
    for k, leg in items(value.get("onward")):
        side(("onward", k), mapping(leg))
    for key in mapping(value.get("security")):
        word(("security", key), tax.security_measures, "security measure", key)
    zone = mapping(value.get("exporter")).get("zone")
    if isinstance(zone, str):
        origin = value.get("origin")
        code = policies.jurisdiction_of(origin) if isinstance(origin, str) else None
        zones = sorted(z for (c, z) in policies.layers if c == code)
        if code is None or zone not in zones:
            known = ", ".join(zones) or "none"
            out.append(
                (
                    ("exporter", "zone"),
                    f"unknown zone '{zone}' for exporters in {origin}; the loaded layers for it: {known}",
                )
            )
    declared = policies.context_facts()
    legs: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = [((), value)]
    legs += [(("onward", k), mapping(leg)) for k, leg in items(value.get("onward"))]
    for base, part in legs:  # the transfer's context, and each leg's overrides of it
        for key in mapping(part.get("context")):
            if key in declared:
                continue
            at = (*base, "context", key)
            moved = MOVED_CONTEXT_FACTS.get(str(key))
            if moved is not None:
                where = "".join(f"{p}." if isinstance(p, str) else f"[{p}]." for p in base).replace(".[", "[")
                out.append(
                    (
                        at,
                        f"'{key}' is no longer a context fact: state {where}{moved} instead, the"
                        " recipient's own fact, which an onward leg does not inherit",
                    )
                )
                continue
            out.append((at, unknown_context_fact(str(key), declared)))
    return out


def check_references(located: Located, policies: Policies) -> None:
    """Categories and vocabulary words must exist; context facts must be declared; a
    safeguard cannot expire before it was obtained. Every problem is raised together."""
    t = located.transfer
    problems = [
        InputError(message, located.locate(*at))
        for at, message in reference_problems(t.model_dump(mode="json"), policies)
    ]
    for i, safeguard in enumerate(t.safeguards):
        if safeguard.expires is not None and safeguard.expires < safeguard.obtained:
            problems.append(
                InputError("expires is before obtained", located.locate("safeguards", i, "expires"))
            )
    raise_all(sorted(problems, key=_order))
