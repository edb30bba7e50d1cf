"""The ``serve`` command. FastAPI and uvicorn are imported when it runs, not before."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import DataflowRulesError
from ..models.decision import Verdict
from ..options import PoliciesOption, Unlisted, say_error
from .settings import (
    CHECKPOINT_EVERY,
    DEFAULT_PORT,
    HEADER_TIMEOUT,
    MAX_BODY_BYTES,
    MAX_CONNECTIONS,
    MAX_PENDING,
    MAX_TRANSFERS,
    PROXY_ROLES_HEADER,
    PROXY_USER_HEADER,
)

EXIT_USAGE = 2
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _limit(flag: str, help: str) -> Any:
    """A limit option: a count or size of at least one."""
    return typer.Option(flag, min=1, help=help)


def _usage(message: str) -> typer.Exit:
    """Say what is wrong with the command line (one line on stderr); the caller raises the exit."""
    say_error(message)
    return typer.Exit(EXIT_USAGE)


class _LogLevel(StrEnum):
    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; keep the default unless you mean it.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")
    ] = DEFAULT_PORT,
    policies: PoliciesOption = None,
    audit_db: Annotated[
        str | None,
        typer.Option(
            "--audit-db",
            help="Audit store: a SQLite file or a postgresql:// URL "
            "(default: $DATAFLOW_RULES_AUDIT_DB, else ~/.local/share/dataflow-rules/audit.sqlite).",
            show_default=False,
        ),
    ] = None,
    unlisted: Annotated[
        Unlisted | None,
        typer.Option(
            "--unlisted",
            help="Default verdict for a side with no catalogue (default: review for the origin; a "
            "destination is taken to place no conditions on receiving data).",
        ),
    ] = None,
    max_body_bytes: Annotated[
        int, _limit("--max-body-bytes", "Largest request body accepted.")
    ] = MAX_BODY_BYTES,
    max_transfers: Annotated[
        int, _limit("--max-transfers", "Most transfers decided in one request.")
    ] = MAX_TRANSFERS,
    max_pending: Annotated[
        int, _limit("--max-pending", "Most decision requests in progress at once (then 429).")
    ] = MAX_PENDING,
    max_connections: Annotated[
        int, _limit("--max-connections", "Most open connections (then 503).")
    ] = MAX_CONNECTIONS,
    header_timeout: Annotated[
        float,
        typer.Option("--header-timeout", min=0.1, help="Seconds a connection has to send a whole request."),
    ] = HEADER_TIMEOUT,
    tokens: Annotated[
        Path | None,
        typer.Option(
            "--tokens",
            help="API token file (default: $DATAFLOW_RULES_TOKENS, else beside the audit store).",
            show_default=False,
        ),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address or network of an authenticating reverse proxy whose identity headers are "
            "believed (repeatable).",
        ),
    ] = None,
    proxy_user_header: Annotated[
        str, typer.Option("--proxy-user-header", help="Header the trusted proxy names the user in.")
    ] = PROXY_USER_HEADER,
    proxy_roles_header: Annotated[
        str, typer.Option("--proxy-roles-header", help="Header the trusted proxy lists the user's roles in.")
    ] = PROXY_ROLES_HEADER,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Another Host header value to answer (the proxy's public name; '*': any). Repeatable.",
        ),
    ] = None,
    certfile: Annotated[
        Path | None, typer.Option("--certfile", help="TLS certificate chain (PEM): serve https.")
    ] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help="TLS private key (PEM).")] = None,
    checkpoint_key: Annotated[
        Path | None,
        typer.Option("--checkpoint-key", help="Sign the audit chain's head with this key (audit keygen)."),
    ] = None,
    checkpoint_log: Annotated[
        Path | None, typer.Option("--checkpoint-log", help="Append the signed checkpoints here.")
    ] = None,
    checkpoint_every: Annotated[
        float, typer.Option("--checkpoint-every", min=1, help="Seconds between checkpoints.")
    ] = CHECKPOINT_EVERY,
    insecure_bind: Annotated[
        bool,
        typer.Option(
            "--insecure-bind",
            help="Listen on a non-loopback address without TLS or a trusted proxy (tokens then "
            "cross the network in clear).",
        ),
    ] = False,
    log_level: Annotated[_LogLevel, typer.Option("--log-level")] = _LogLevel.warning,
) -> None:
    """Serve the web page and the HTTP API (OpenAPI at /openapi.json).

    Catalogues are loaded once at start; POST /api/reload or SIGHUP loads them again and
    swaps them in at once. Every decision is recorded in the audit trail.
    """
    try:
        from .run import serve as run
        from .settings import Settings
    except ImportError as exc:
        say_error(
            f"'serve' needs the serve extra ({exc.name} is missing): pip install 'dataflow-rules[serve]'"
        )
        raise typer.Exit(1) from None
    from .auth import parse_networks

    if (certfile is None) != (keyfile is None):
        raise _usage("--certfile and --keyfile go together")
    if (checkpoint_key is None) != (checkpoint_log is None):
        raise _usage("--checkpoint-key and --checkpoint-log go together")
    try:
        proxies = parse_networks(trusted_proxy or [])
    except ValueError as exc:
        raise _usage(f"--trusted-proxy: {exc}") from None
    if host not in LOOPBACK and certfile is None and not proxies and not insecure_bind:
        raise _usage(
            f"refusing to listen on {host} without TLS (--certfile/--keyfile) or a trusted "
            "proxy (--trusted-proxy): tokens would cross the network in clear; --insecure-bind forces it"
        )
    if host in ("", "0.0.0.0", "::") and not allowed_host:
        raise _usage(
            f"listening on {host or 'every address'} names no host to answer to: "
            "give the names clients use with --allowed-host (every other Host gets 400)"
        )
    settings = Settings(
        host=host,
        port=port,
        policies=policies,
        audit_db=audit_db,
        unlisted=Verdict(unlisted.value) if unlisted else None,
        max_body_bytes=max_body_bytes,
        max_transfers=max_transfers,
        max_pending=max_pending,
        max_connections=max_connections,
        header_timeout=header_timeout,
        tokens=tokens,
        trusted_proxies=proxies,
        proxy_user_header=proxy_user_header,
        proxy_roles_header=proxy_roles_header,
        allowed_hosts=tuple(allowed_host or ()),
        certfile=certfile,
        keyfile=keyfile,
        checkpoint_key=checkpoint_key,
        checkpoint_log=checkpoint_log,
        checkpoint_every=checkpoint_every,
    )
    try:
        run(settings, log_level=log_level.value)
    except DataflowRulesError as error:
        say_error(f"{error.one_line()}")
        raise typer.Exit(error.exit_code) from None
    except OSError as exc:
        say_error(f"cannot listen on {host}:{port}: {exc.strerror}")
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command()(serve)
