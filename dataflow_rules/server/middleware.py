"""Request guards that apply to every route, as plain ASGI middleware.

- A body larger than the limit is refused with 413 before it is read (by Content-Length)
  or as soon as it grows past the limit (chunked bodies); the route then gets it whole.
- A ``Host`` that is not one of this service's names is refused with 400 (DNS
  rebinding: a page on attacker.example whose name is made to resolve to 127.0.0.1 sends
  ``Host: attacker.example``). The names are derived from ``--host`` and the bound port
  (loopback: 127.0.0.1, localhost and [::1]) plus ``--allowed-host``.
- A POST from another site's page (``Sec-Fetch-Site: cross-site``, ``Origin: null``, or an
  ``Origin`` whose host is not one of the allowed names) is refused with 403, so a web
  page elsewhere cannot make a browser record decisions or reload catalogues here.
  ``Origin == Host`` alone is not trusted: under DNS rebinding both name the attacker.
- Every response carries a Content-Security-Policy that allows this server's own files
  only: the page can never load anything from the network.
- A HEAD request is answered as the GET to the same URL would be (status and headers,
  Content-Length included) without the body. FastAPI routes declare GET only, so HEAD got
  405 everywhere but the static files; answering it here, once, keeps every GET route and
  its HEAD in step and leaves HEAD out of the OpenAPI description (it is implied by GET).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make form posts send Origin: null
    (b"x-frame-options", b"DENY"),
]


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class HostPolicy:
    """The ``Host`` values this service answers to, as ``name`` or ``name:port``, lowercase."""

    names: set[str] = field(default_factory=set)
    anything: bool = False
    """``--allowed-host '*'``: every Host (only behind a proxy that checks it itself)."""

    @staticmethod
    def derive(host: str, port: int, extra: Iterable[str] = (), tls: bool = False) -> HostPolicy:
        """The names for a server bound to ``host``:``port``; an empty or wildcard bind
        address names no host, so its names come from ``extra`` only."""
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        bases = set(LOOPBACK_NAMES) if shown in LOOPBACK_NAMES else set()
        if host not in ("", "0.0.0.0", "::"):
            bases.add(shown.lower())
        policy = HostPolicy()
        default_port = 443 if tls else 80
        for name in [*bases, *extra]:
            name = name.strip().lower()
            if name == "*":
                policy.anything = True
            elif name:
                policy.names.add(name)
                if ":" not in name.removeprefix("[").split("]")[-1]:
                    policy.names.add(f"{name}:{port}")
                    if port == default_port:
                        policy.names.add(name)
        return policy

    def allows(self, host: str | None) -> bool:
        if self.anything:
            return True
        return host is not None and host.strip().lower() in self.names


async def send_error(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": kind, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HttpOnly:
    """An ASGI middleware that acts on HTTP requests only: the lifespan scope (and any
    other) goes straight to the app, so start-up and shut-down never meet a request check."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What the middleware does with one HTTP request."""
        raise NotImplementedError


class Guard(HttpOnly):
    def __init__(self, app: ASGIApp, max_body_bytes: int, hosts: HostPolicy) -> None:
        super().__init__(app)
        self.limit = max_body_bytes
        self.hosts = hosts

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "HEAD":
            # A copy: the server keeps its own scope saying HEAD, and frames the reply so.
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not self.hosts.allows(headers.get("host")):
            await send_error(send, 400, "input", "Host header names no host this service answers to")
            return
        too_large = f"request body is larger than {self.limit} bytes"
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_error(send, 400, "input", "Content-Length is not a number")
                return
            if int(declared) > self.limit:
                await send_error(send, 413, "too_large", too_large)
                return
        if scope["method"] not in ("GET", "HEAD", "OPTIONS") and _cross_site(headers, self.hosts):
            await send_error(send, 403, "forbidden", "cross-site request refused")
            return

        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            replay = receive
        else:
            # Read the whole body first (it is at most the limit): a chunked body that grows
            # past the limit is refused before any route sees a byte of it.
            chunks: list[bytes] = []
            received = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.limit:
                    await send_error(send, 413, "too_large", too_large)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body, delivered = b"".join(chunks), False

            async def replay() -> Message:
                nonlocal delivered
                if delivered:
                    return await receive()
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, replay, secured)


def _without_body(send: Send) -> Send:
    """``send`` for a HEAD request: the response's start (status, headers) goes out as the
    GET's would; its body is dropped (RFC 9110 9.3.2), so no server has to do it for us."""

    async def headless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return headless


def _cross_site(headers: dict[str, str], hosts: HostPolicy) -> bool:
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not from a browser page (curl, scripts, other services)
    if origin == "null":
        return True
    netloc = urlsplit(origin).netloc.lower()
    if not hosts.allows(netloc) and not (hosts.anything and netloc == headers.get("host", "").lower()):
        return True
    return netloc != headers.get("host", "").lower()
