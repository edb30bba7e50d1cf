"""The JSON API under ``/api``: decide, list catalogues, fetch past decisions, reload, health.

Request bodies are transfer descriptions exactly as ``check`` reads them (YAML or JSON: one
transfer, a list, or ``transfers: [...]``), so a file that works on the command line works
here, and a bad one gets the same one-line message, located in ``request`` instead of a
file name. Errors are ``{"error": kind, "message": one line}``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, WithJsonSchema

from .. import __version__
from ..audit import AuditError
from ..audit import Query as AuditQuery
from ..errors import BadRequest, InputError
from ..loading import decode
from ..models.decision import Decision, Verdict
from ..transfers import layouts_schema
from .auth import AUTHENTICATED, PUBLIC, roles
from .service import Service, parse_date
from .settings import MAX_RECORD_ID
from .web import identity_of

SOURCE = "request"
"""The name errors give the request body, where the command line gives a file name."""

TEXT_TYPES = {
    "",
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
    "application/x-www-form-urlencoded",  # curl --data-binary's default; the body is read as text
}


class ErrorBody(BaseModel):
    error: str = Field(
        description="input, unauthenticated, forbidden, too_large, busy, unsupported_media_type, "
        "not_found, catalogue, audit, engine"
    )
    message: str = Field(description="One line, as the command line prints it after 'error: '.")


class Health(BaseModel):
    status: str
    version: str
    generation: int
    audit: dict[str, Any]


class CatalogueInfo(BaseModel):
    jurisdiction: str
    title: str
    version: str
    effective: str
    digest: str
    source: str
    entries: int
    localisation: int
    green_lanes: int
    exemptions: int


class LayerInfo(BaseModel):
    jurisdiction: str
    zone: str
    title: str
    version: str
    digest: str
    source: str


class Catalogues(BaseModel):
    generation: int = Field(description="Increases by one at every successful reload.")
    loaded_at: str
    taxonomy: dict[str, str]
    catalogues: list[CatalogueInfo]
    layers: list[LayerInfo] = Field(default_factory=list, description="Zone layers (docs/semantics.md 2a).")


class RecordRef(BaseModel):
    id: int
    hash: str


class Decisions(BaseModel):
    """The ``check --format json`` document (docs/semantics.md section 10), plus records."""

    schema_version: int
    tool: dict[str, str]
    verdict: Verdict
    decisions: list[Decision]
    records: list[RecordRef] = Field(description="The audit record of each decision, in order.")


class RecordSummary(BaseModel):
    id: int
    created_at: str
    requested_by: str | None
    transfer_id: str
    origin: str
    destination: str
    verdict: Verdict
    hash: str


class RecordList(BaseModel):
    records: list[RecordSummary]
    next_before: int | None = Field(description="Pass as 'before' for the next (older) page.")


class Record(BaseModel):
    id: int
    created_at: str
    requested_by: str | None
    channel: str | None
    tool: dict[str, str] | None
    options: dict[str, Any] | None
    transfer: dict[str, Any]
    decision: dict[str, Any]
    catalogues: dict[str, Any] | None
    prev_hash: str
    hash: str


class ChainCheck(BaseModel):
    ok: bool
    count: int
    head: str
    problems: list[str]


class Unlisted(StrEnum):
    review = "review"
    allow = "allow"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


GUARDED = (403, 413)
"""What the request guard (middleware.py) may answer to any POST before a route sees it:
a cross-site request, a body over the size limit. Listed on every POST so that the
description names every status the service really sends."""
AUTH = (401, 403)
"""What the authentication middleware answers before a route that needs an identity runs."""

DateText = Annotated[
    str,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]}),
]
"""A date as the command line's ``--as-of`` reads it; empty means not given (as a blank form
field). Kept a string, not a ``date``, so that a bad one gets the command line's message."""

RECORD_ID_RANGE: dict[str, Any] = {"ge": 1, "le": MAX_RECORD_ID}
"""Record ids are positive signed 64-bit integers; a larger number used to reach the store
and fail there with a 500 (OverflowError binding it), so it is refused as a bad parameter."""

EXAMPLE_TRANSFER: dict[str, Any] = {
    "id": "us-cn-genomic-101",
    "origin": "US",
    "destination": "CN",
    "date": "2026-03-02",
    "exporter": {"name": "Example Biobank"},
    "recipient": {"name": "Example Sequencing Co.", "type": "company", "controlled_by": "CN"},
    "purpose": "scientific_research",
    "transaction": "vendor_agreement",
    "context": {"exporter_is_data_broker": False},
    "data": [{"category": "personal.omic.genomic", "individuals": 101, "anonymised": False}],
}
"""examples/us-cn-genomic-101.yaml: a transfer that is decided (restrict), so that a reader
of the description, and a generator working from it, has one body that is not refused."""


def _transfer_body_schema() -> dict[str, Any]:
    """The body: one transfer, a list, or ``transfers: [...]``, in JSON or YAML.

    Both media types carry the same schema: in OpenAPI a media type's schema describes the
    parsed document, and YAML is only another way of writing the same document (describing
    it as ``type: string`` made clients send a YAML-quoted string, which is refused).
    """
    document = {
        "schema": layouts_schema("#/components/schemas/Transfer"),
        "examples": {"genomic": {"summary": "one transfer (decided: restrict)", "value": EXAMPLE_TRANSFER}},
    }
    return {
        "required": True,
        "description": "One transfer, a list of transfers, or {transfers: [...]}, as JSON or YAML. "
        "Also read as YAML text: text/yaml, application/x-yaml, text/x-yaml, text/plain, and "
        "application/x-www-form-urlencoded (curl --data-binary's default); anything else is a 415.",
        "content": {"application/json": document, "application/yaml": document},
    }


router = APIRouter(prefix="/api", tags=["api"])

MAX_PAGE = 1000
"""Most records in one page of ``GET /api/decisions`` (each summary is about 300 bytes)."""


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/health", response_model=Health, responses=_errors(503), openapi_extra=roles(PUBLIC))
async def health(request: Request) -> dict[str, Any]:
    """The service answers and its audit store answers."""
    service = service_of(request)
    count = await run_in_threadpool(service.store.ping)
    return {
        "status": "ok",
        "version": __version__,
        "generation": service.state.current.generation,
        "audit": {"kind": service.store.kind, "records": count},
    }


@router.get(
    "/catalogues", response_model=Catalogues, responses=_errors(401), openapi_extra=roles(AUTHENTICATED)
)
async def catalogues(request: Request) -> dict[str, Any]:
    """The taxonomy and catalogues decisions are made with now: versions and sha256 digests."""
    return service_of(request).state.current.describe()


@router.post(
    "/reload",
    response_model=Catalogues,
    responses=_errors(*AUTH, 409, *GUARDED),
    openapi_extra=roles("admin"),
)
async def reload(request: Request) -> dict[str, Any]:
    """Load the policy directory again and switch to it at once (also: SIGHUP).

    A request being decided keeps the catalogues it started with. If the files do not load,
    the answer is 409 with the catalogue error and the previous catalogues stay in use.
    """
    snapshot = await run_in_threadpool(service_of(request).state.reload)
    return snapshot.describe()


@router.post(
    "/decisions",
    response_model=Decisions,
    responses=_errors(400, *AUTH, *GUARDED, 415, 422, 429, 500, 503),
    openapi_extra={"requestBody": _transfer_body_schema(), **roles("decider")},
)
async def decide(
    request: Request,
    as_of: Annotated[
        DateText | None,
        Query(
            description="Decide as of this date, YYYY-MM-DD (default: today; a transfer's own date "
            "does not back-date a recorded decision)."
        ),
    ] = None,
    unlisted: Annotated[
        Unlisted | None, Query(description="Verdict for a side with no catalogue (default: the server's).")
    ] = None,
) -> JSONResponse:
    """Decide every transfer in the body, record each decision, and return them.

    The record's ``requested_by`` is the authenticated identity (the token's name, or the
    user the trusted proxy names); no header can set it.

    Nothing is decided if any transfer is malformed (422, with the command line's message).
    """
    service = service_of(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in TEXT_TYPES:
        raise BadRequest(
            415,
            "unsupported_media_type",
            f"send transfers as application/json or application/yaml, not {ctype}",
        )
    try:
        day = parse_date(as_of, "as_of")
    except InputError as exc:
        raise BadRequest(400, "input", exc.one_line()) from None
    identity = identity_of(request)
    asked = Verdict(unlisted.value) if unlisted else None
    if _looser(asked, service.settings.unlisted) and "admin" not in identity.roles:
        raise BadRequest(
            403,
            "forbidden",
            f"unlisted={asked.value if asked else ''} is looser than this service's"
            f" --unlisted ({service.settings.unlisted.value if service.settings.unlisted else 'default'}):"
            " a decider may ask for review, not allow (an admin may)",
        )
    who = identity.name
    text = decode(await request.body(), SOURCE, InputError)
    outcome = await run_in_threadpool(
        lambda: service.evaluate(
            text,
            SOURCE,
            as_of=day,
            unlisted=asked,
            requested_by=who,
            channel="http",
        )
    )
    return JSONResponse(outcome.body())


def _looser(asked: Verdict | None, served: Verdict | None) -> bool:
    """Whether a request's ``unlisted`` would decide a side with no catalogue more leniently
    than the service was started to (allow, then the default, then review).

    Any decider could send ``unlisted=allow`` and turn an origin whose outbound rules no
    catalogue holds (review: they were not checked) into a recorded allow, on a service
    its operator started with the default or ``--unlisted review``: the operator's gate,
    lowered by what a client asks for. A request may make it stricter; only an admin may
    make it looser (the option is recorded either way)."""
    if asked is None:
        return False
    strictness = {Verdict.ALLOW: 0, None: 1, Verdict.REVIEW: 2}
    return strictness[asked] < strictness.get(served, 1)


@router.get(
    "/decisions", response_model=RecordList, responses=_errors(400, *AUTH, 503), openapi_extra=roles("reader")
)
async def list_decisions(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before: Annotated[
        int | None, Query(**RECORD_ID_RANGE, description="Only records with a smaller id.")
    ] = None,
    transfer_id: str | None = None,
    requested_by: str | None = None,
    verdict: Verdict | None = None,
) -> dict[str, Any]:
    """Recorded decisions, newest first."""
    query = AuditQuery(
        limit=limit,
        before=before,
        transfer_id=transfer_id,
        requested_by=requested_by,
        verdict=verdict.value if verdict else None,
    )
    found = await run_in_threadpool(service_of(request).store.search, query)
    return {
        "records": [r.summary() for r in found],
        "next_before": found[-1].seq if len(found) == limit and found[-1].seq > 1 else None,
    }


@router.get(
    "/decisions/{record_id}",
    response_model=Record,
    responses=_errors(400, *AUTH, 404, 503),
    openapi_extra=roles("reader"),
)
async def get_decision(
    request: Request, record_id: Annotated[int, Path(**RECORD_ID_RANGE)]
) -> dict[str, Any]:
    """One recorded decision: the transfer, the decision, catalogue digests, who and when."""
    record = await run_in_threadpool(service_of(request).store.get, record_id)
    if record is None:
        raise BadRequest(404, "not_found", f"no decision record {record_id}")
    return record.as_json()


@router.get(
    "/audit/verify", response_model=ChainCheck, responses=_errors(*AUTH, 503), openapi_extra=roles("reader")
)
async def verify(request: Request) -> dict[str, Any]:
    """Check the audit trail's hash chain (as ``dataflow-rules audit verify``)."""
    result = await run_in_threadpool(service_of(request).store.verify)
    return {"ok": result.ok, "count": result.count, "head": result.head, "problems": result.problems}


__all__ = ["AuditError", "BadRequest", "router", "service_of"]
