"""Who is asking, and may they: authentication and roles for every request (ASGI middleware).

Every route declares the roles it needs in its OpenAPI extension ``x-roles`` (see
:func:`roles`); this middleware finds the route a request is for and refuses it before the
route runs:

- ``public`` (health, the login page, the static files): anyone;
- ``authenticated`` (catalogue list, OpenAPI description, logout): any identity;
- a role name: an identity holding one of the roles listed.

It fails closed: a route that declares nothing is refused to everyone (403), and an
unknown path is 401 to the anonymous (so what exists is not disclosed) and 404 to others.

An identity comes from, in this order:

1. a trusted reverse proxy: when the TCP peer is one of ``--trusted-proxy`` and it sets the
   user header (``X-Forwarded-User``), that user, with the roles named in the roles header
   (``X-Forwarded-Roles``, comma separated). From any other peer these headers are ignored;
2. ``Authorization: Bearer <token>``;
3. the ``dfr_token`` cookie the login form sets (HttpOnly, SameSite=Strict, Secure over TLS).

The identity's name is what the audit record stores as ``requested_by``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.routing import BaseRoute, Match, Mount

from ..audit import clean_requester
from .middleware import ASGIApp, HttpOnly, Receive, Scope, Send
from .tokens import ROLES, Identity, TokenError, TokenFile

PUBLIC = "public"
AUTHENTICATED = "authenticated"
COOKIE = "dfr_token"
OPENAPI_URL = "/openapi.json"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def roles(*names: str) -> dict[str, Any]:
    """The ``openapi_extra`` that declares who may call a route."""
    for name in names:
        assert name in (PUBLIC, AUTHENTICATED, *ROLES), name
    return {"x-roles": list(names)}


def flatten(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI keeps an included router as one
    route that matches for all of its own; its routes carry their prefix already, as every
    router here is included without one)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from flatten(inner.routes)
        else:
            yield route


def required(routes: Iterable[BaseRoute], scope: Scope) -> list[str] | None:
    """The roles the route for this request declares; [] if it declares none (refused);
    None if no route takes this path and method (a 404 or 405 follows)."""
    for route in flatten(routes):
        match, _ = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount):
            return [PUBLIC] if route.path == "/static" else []
        extra = getattr(route, "openapi_extra", None) or {}
        declared = extra.get("x-roles")
        if declared is None and getattr(route, "path", None) == OPENAPI_URL:
            return [AUTHENTICATED]
        return list(declared or [])
    return None


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """``--trusted-proxy`` values: addresses or networks (``10.0.0.5``, ``10.0.0.0/24``)."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


class Authenticator:
    def __init__(
        self,
        tokens: TokenFile,
        proxies: Sequence[Network] = (),
        user_header: str = "X-Forwarded-User",
        roles_header: str = "X-Forwarded-Roles",
    ) -> None:
        self.tokens = tokens
        self.proxies = tuple(proxies)
        self.user_header = user_header.lower()
        self.roles_header = roles_header.lower()

    def from_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not self.proxies or not client:
            return False
        try:
            peer = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(peer in net for net in self.proxies)

    def identify(self, scope: Scope, headers: dict[str, str]) -> Identity | None:
        """The identity of a request, or None (raises TokenError if the token file is unreadable)."""
        if self.from_proxy(scope):
            user = headers.get(self.user_header, "")
            try:
                name = clean_requester(user)
            except ValueError:
                name = None
            if name:
                wanted = {r for r in re.split(r"[,\s]+", headers.get(self.roles_header, "")) if r}
                return Identity(name, frozenset(wanted & set(ROLES)), "proxy")
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return self.tokens.identify(value)
        token = _cookie(headers.get("cookie", ""))
        return self.tokens.identify(token) if token else None


def _cookie(header: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


class Authenticate(HttpOnly):
    """The middleware: identify, find the route's roles, refuse or pass on."""

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        routes: Callable[[], Sequence[BaseRoute]],
        login_page: Callable[[], bytes],
    ) -> None:
        super().__init__(app)
        self.auth = authenticator
        self.routes = routes
        self.login_page = login_page

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        needed = required(self.routes(), scope)
        if needed is not None and PUBLIC in needed:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            identity = self.auth.identify(scope, headers)
        except TokenError as error:
            await _reply(send, 503, "auth", f"cannot check credentials: {error.one_line()}")
            return
        if identity is None:
            await self.unauthenticated(scope, send, headers)
            return
        if needed is not None and AUTHENTICATED not in needed:
            if not needed:
                await _reply(send, 403, "forbidden", "this route declares no role, so nobody may use it")
                return
            if not any(identity.has(role) for role in needed):
                held = ", ".join(sorted(identity.roles)) or "no role"
                await _reply(
                    send,
                    403,
                    "forbidden",
                    f"this needs the {' or '.join(needed)} role; {identity.name} has {held}",
                )
                return
        state = scope.setdefault("state", {})
        state["identity"] = identity
        await self.app(scope, receive, send)

    async def unauthenticated(self, scope: Scope, send: Send, headers: dict[str, str]) -> None:
        path: str = scope["path"]
        presented = "authorization" in headers or _cookie(headers.get("cookie", "")) is not None
        if scope["method"] == "GET" and not path.startswith("/api/") and path != OPENAPI_URL:
            body = self.login_page()
            await _send(send, 401, b"text/html; charset=utf-8", body)
            return
        message = (
            "the token presented is not valid (revoked, or mistyped)"
            if presented
            else "authentication required: send Authorization: Bearer <token>"
        )
        await _reply(send, 401, "unauthenticated", message)


async def _reply(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": kind, "message": message}).encode()
    await _send(send, status, b"application/json", body)


async def _send(send: Send, status: int, ctype: bytes, body: bytes) -> None:
    # The security headers are added by Guard, which wraps this middleware.
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="dataflow-rules"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
