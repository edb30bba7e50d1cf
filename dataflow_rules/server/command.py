"""The ``serve`` command. FastAPI and uvicorn are imported when it runs, not before."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from ..errors import DataflowRulesError
from ..models.decision import Verdict
from ..options import PoliciesOption, Unlisted
from .settings import DEFAULT_PORT, MAX_BODY_BYTES, MAX_TRANSFERS


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
        Unlisted, typer.Option("--unlisted", help="Default verdict for a side with no catalogue.")
    ] = Unlisted.review,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", min=1, help="Largest request body accepted.")
    ] = MAX_BODY_BYTES,
    max_transfers: Annotated[
        int, typer.Option("--max-transfers", min=1, help="Most transfers decided in one request.")
    ] = MAX_TRANSFERS,
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
        typer.echo(
            f"error: 'serve' needs the serve extra ({exc.name} is missing): pip install 'dataflow-rules[serve]'",
            err=True,
        )
        raise typer.Exit(1) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: listening on {host}: anyone who can reach it can decide and record transfers"
            " (there is no authentication)",
            err=True,
        )
    settings = Settings(
        host=host,
        port=port,
        policies=policies,
        audit_db=audit_db,
        unlisted=Verdict(unlisted.value),
        max_body_bytes=max_body_bytes,
        max_transfers=max_transfers,
    )
    try:
        run(settings, log_level=log_level.value)
    except DataflowRulesError as error:
        typer.echo(f"error: {error.one_line()}", err=True)
        raise typer.Exit(error.exit_code) from None
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command()(serve)
