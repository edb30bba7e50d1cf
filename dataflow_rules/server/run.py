"""Running the service: load everything first, bind, then hand the socket to uvicorn.

The catalogues are loaded and compiled and the audit store is opened *before* the port is
bound, so a service that listens is a service that can decide and record. The port is
bound here (``--port 0`` picks a free one) and the address printed on standard output
before uvicorn starts accepting; connections made meanwhile wait in the backlog.

SIGHUP reloads the catalogues (as ``POST /api/reload``); SIGINT and SIGTERM stop the
server gracefully: requests in flight are finished, so none is acknowledged unrecorded.

On first start (no token file, or one holding no token) an API token with every role is
created and printed once on standard error, as Jupyter does; only its hash is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from ..audit import open_store
from ..errors import DataflowRulesError
from .app import create_app
from .auth import Authenticator
from .middleware import HostPolicy
from .protocol import bounded
from .service import Service
from .settings import KEEP_ALIVE, Settings
from .state import PolicyState
from .tokens import ROLES, TokenFile, default_tokens_path

log = logging.getLogger("dataflow_rules.server")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on an accepted connection
    # only when the socket says it is TCP. Without it Nagle's algorithm held back each
    # response's second write until the client's delayed ACK: 40 ms added to every request
    # on a kept-alive connection (what any HTTP client library reuses).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build(settings: Settings) -> Service:
    """Load catalogues and open the audit store (raises CatalogueError or AuditError)."""
    state = PolicyState(settings.policies)
    store = open_store(settings.audit_db)
    return Service(settings, state, store)


def authenticator(settings: Settings) -> Authenticator:
    """The token file and the trusted proxies (raises TokenError if the file is unreadable)."""
    tokens = TokenFile(settings.tokens or default_tokens_path(settings.audit_db))
    tokens.exists()
    return Authenticator(
        tokens, settings.trusted_proxies, settings.proxy_user_header, settings.proxy_roles_header
    )


def first_token(tokens: TokenFile) -> None:
    """Make and print the first token if there is none: after the port is bound, so a
    start that fails mints nothing."""
    if tokens.exists():
        return
    entry, token = tokens.create("admin", ROLES)
    print(
        f"created the first API token '{entry.name}' (roles {', '.join(entry.roles)}); "
        f"it is shown only this once, and stored hashed in {tokens.path}:\n    {token}\n"
        "sign in at /login with it, or send 'Authorization: Bearer <token>'; "
        "more with 'dataflow-rules tokens create'",
        file=sys.stderr,
        flush=True,
    )


def serve(settings: Settings, log_level: str = "warning") -> None:
    service = build(settings)
    hosts = HostPolicy()
    auth = authenticator(settings)
    app = create_app(service, auth, hosts)
    sock = bind(settings.host, settings.port)
    first_token(auth.tokens)
    host, port = sock.getsockname()[:2]
    derived = HostPolicy.derive(settings.host, port, settings.allowed_hosts, tls=settings.tls)
    hosts.names, hosts.anything = derived.names, derived.anything
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if settings.tls else "http"
    snapshot = service.state.current
    loaded = snapshot.policies
    cats = ", ".join(
        [f"{c} {lc.catalogue.version}" for c, lc in loaded.catalogues.items()]
        + [f"{c} zone {z} {lc.catalogue.version}" for (c, z), lc in sorted(loaded.layers.items())]
    )
    print(f"dataflow-rules serving {scheme}://{shown}:{port}/", flush=True)
    print(f"catalogues: {cats}; audit store: {service.store.display}", flush=True)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def reload_in_background() -> None:
            loop.run_in_executor(None, _reload, service)

        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, reload_in_background)
        task = asyncio.create_task(_checkpoints(service)) if settings.checkpoint_key else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if settings.checkpoint_key:
            await loop.run_in_executor(None, _checkpoint, service)  # the last word before stopping

    app.router.lifespan_context = lifespan
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=30,
        server_header=False,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=KEEP_ALIVE,
        http=bounded(settings.header_timeout),
        ws="none",
        ssl_certfile=str(settings.certfile) if settings.certfile else None,
        ssl_keyfile=str(settings.keyfile) if settings.keyfile else None,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        service.store.close()


async def _checkpoints(service: Service) -> None:
    """Every ``checkpoint_every`` seconds, a signed checkpoint if records were added."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _checkpoint, service)
    while True:
        await asyncio.sleep(service.settings.checkpoint_every)
        await loop.run_in_executor(None, _checkpoint, service)


_last_signed: dict[int, int] = {}


def _checkpoint(service: Service) -> None:
    from ..audit.checkpoint import ChainBroken, make_checkpoint

    settings = service.settings
    assert settings.checkpoint_key is not None and settings.checkpoint_log is not None
    try:
        count = service.store.ping()
        if _last_signed.get(id(service)) == count:
            return
        made = make_checkpoint(service.store, settings.checkpoint_key, settings.checkpoint_log)
        _last_signed[id(service)] = made.count
    except ChainBroken as broken:
        for problem in broken.chain_problems:
            print(f"error: checkpoint: {problem}", file=sys.stderr, flush=True)
        print(f"error: checkpoint: {broken.one_line()}", file=sys.stderr, flush=True)
    except DataflowRulesError as error:
        print(f"error: checkpoint: {error.one_line()}", file=sys.stderr, flush=True)


def _reload(service: Service) -> None:
    try:
        snapshot = service.state.reload()
        print(f"reloaded catalogues (generation {snapshot.generation})", file=sys.stderr, flush=True)
    except DataflowRulesError as error:
        print(
            f"error: reload failed, keeping the loaded catalogues: {error.one_line()}",
            file=sys.stderr,
            flush=True,
        )
