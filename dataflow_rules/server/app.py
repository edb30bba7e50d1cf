"""The ASGI application: API routes, web routes, static files, error mapping, OpenAPI.

Every error the service sends is ``{"error": kind, "message": one line}``, with the
command line's message for the same problem:

    400 input              a malformed request (query or path parameter, header)
    400 input              also: a Host header that is not one of this service's names
    403 forbidden          a POST from another site's page
    404 not_found          no such record or route
    405 method_not_allowed a method the path does not take (with ``Allow``; HEAD is taken
                           wherever GET is, answered as GET without the body)
    409 catalogue          reload: the catalogue files do not load (the old ones stay)
    401 unauthenticated    no identity, or a token that is not valid (``WWW-Authenticate``)
    403 forbidden          the identity lacks the route's role
    413 too_large          body over the size limit, or too many transfers
    415 unsupported_media_type
    422 input              a transfer description is malformed: nothing was decided
    429 busy               too many decision requests in progress (``Retry-After``)
    500 engine             the rules engine failed: nothing was decided
    503 audit              the audit store did not take the record: nothing is returned
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from .. import __version__
from ..audit import AuditError
from ..errors import BadRequest, CatalogueError, DataflowRulesError, EngineError, InputError
from ..loading import dotted
from ..models.transfer import Transfer
from . import api, web
from .auth import COOKIE, PUBLIC, Authenticate, Authenticator
from .middleware import Guard, HostPolicy
from .service import Busy, Service, TooLarge

DESCRIPTION = """Decide whether a cross-border dataset transfer may go ahead, against the
origin's outbound and the destination's inbound catalogue; every decision is recorded in
an append-only, hash-chained audit trail. Errors are `{"error": kind, "message": line}`
with the command line's one-line message."""


ERROR_STATUS: dict[type[DataflowRulesError], tuple[int, str]] = {
    InputError: (422, "input"),
    TooLarge: (413, "too_large"),
    Busy: (429, "busy"),
    CatalogueError: (409, "catalogue"),
    EngineError: (500, "engine"),
    AuditError: (503, "audit"),
}
"""The library's errors as HTTP: status and the ``error`` word of the body; the message is
the command line's one line."""


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message}, status_code=status)


def allowed_methods(request: Request, declared: str | None) -> str:
    """Every method some route takes at this path, for a 405's ``Allow`` header.

    Starlette answers 405 from the first route whose path matches and names only that
    route's methods (``declared``); ``/api/decisions`` is two routes (GET and POST), so its
    ``Allow`` left one out, and RFC 9110 wants the whole list. HEAD is listed wherever GET
    is, because the request guard answers HEAD as GET without the body."""
    methods = {m.strip() for m in (declared or "").split(",") if m.strip()}
    path = request.scope["path"]
    for route in (*api.router.routes, *web.router.routes):
        if isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the description name the error bodies the service really sends.

    FastAPI documents a 422 ``HTTPValidationError`` on every operation with parameters,
    but a malformed parameter is answered by :func:`create_app`'s handler with a 400
    ``ErrorBody`` (the command line's one-line message), never with that shape. So that
    422 goes, a 400 ``ErrorBody`` stands in its place, and the unused schemas go too.
    """
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            invalid = responses.get("422", {}).get("content", {}).get("application/json", {})
            if invalid.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del responses["422"]
                responses.setdefault("400", {"description": "Bad Request", "content": error_body})
    components = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def document_security(schema: dict[str, Any]) -> dict[str, Any]:
    """Name how to authenticate: a bearer token (or the login form's cookie) on every
    operation whose ``x-roles`` is not ``public``."""
    components = schema.setdefault("components", {})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "dataflow-rules tokens create"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": COOKIE, "description": "set by POST /login"},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if PUBLIC not in operation.get("x-roles", []):
                operation["security"] = [{"bearer": []}, {"cookie": []}]
    return schema


def create_app(service: Service, authenticator: Authenticator, hosts: HostPolicy | None = None) -> FastAPI:
    """The application; ``hosts`` names the Host values accepted (run.py completes it
    once the port is bound)."""
    app = FastAPI(
        title="dataflow-rules",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load scripts from the network: not here
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.service = service
    app.state.authenticator = authenticator
    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(packages=[("dataflow_rules.server", "static")]), name="static")
    # Added innermost first: Guard (hosts, CSRF, body size, HEAD as GET) runs before
    # Authenticate, which then sees the method the route matches.
    app.add_middleware(
        Authenticate,
        authenticator=authenticator,
        routes=lambda: app.router.routes,
        login_page=lambda: web.login_page().encode(),
    )
    app.add_middleware(Guard, max_body_bytes=service.settings.max_body_bytes, hosts=hosts or HostPolicy())

    async def known_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DataflowRulesError)
        status, kind = next(ERROR_STATUS[c] for c in type(exc).__mro__ if c in ERROR_STATUS)
        response = _error(status, kind, exc.one_line())
        if status == 429:
            response.headers["Retry-After"] = "1"
        return response

    for error_type in ERROR_STATUS:
        app.add_exception_handler(error_type, known_error)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return _error(exc.status, exc.kind, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
        loc = [part for part in first.get("loc", ()) if part not in ("query", "path", "header", "body")]
        where = first.get("loc", ("request",))[0]
        name = dotted(loc) or "request"
        message = str(first.get("msg", "invalid value"))
        return _error(400, "input", f"{where} parameter {name}: {message[0].lower() + message[1:]}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {404: "not_found", 405: "method_not_allowed"}
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404:
            message = f"no such resource: {request.url.path}"
        response = _error(exc.status_code, kinds.get(exc.status_code, "http"), message)
        # Keep the headers the exception carries (Starlette's 405 has Allow): dropping them
        # broke RFC 9110 and left a client no way to learn which methods the path takes.
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request, response.headers.get("Allow"))
        return response

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            transfer = Transfer.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(transfer.pop("$defs", {}))
            components["Transfer"] = transfer
            app.openapi_schema = document_security(document_errors(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
