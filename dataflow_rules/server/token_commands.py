"""``dataflow-rules tokens create|list|revoke``: the service's API tokens.

Whoever can write the token file manages tokens (the admin of the machine the service
runs on); there is no HTTP endpoint for it, so a stolen API token cannot mint another.
A running service reads the file again when it changes: a revoked token stops working at
its next request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataflowRulesError
from ..options import command_group, fail
from .tokens import ROLES, TokenFile, default_tokens_path

tokens_app = command_group(
    "tokens", "Create, list and revoke the service's API tokens (local file access: admin only)."
)

TokensPath = Annotated[
    Path | None,
    typer.Option(
        "--tokens",
        help="Token file (default: $DATAFLOW_RULES_TOKENS, else beside the audit store).",
        show_default=False,
    ),
]
AuditDb = Annotated[
    str | None,
    typer.Option("--audit-db", help="The audit store the token file sits beside.", show_default=False),
]


def _file(tokens: Path | None, audit_db: str | None) -> TokenFile:
    return TokenFile(tokens or default_tokens_path(audit_db))


@tokens_app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="Who the token is for: recorded as requested_by.")],
    role: Annotated[list[str], typer.Option("--role", help=f"One of {', '.join(ROLES)} (repeatable).")],
    tokens: TokensPath = None,
    audit_db: AuditDb = None,
) -> None:
    """Create a token and print it (once: only its hash is kept)."""
    file = _file(tokens, audit_db)
    try:
        entry, token = file.create(name, role)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(token)
    typer.echo(
        f"created token {entry.id} for {entry.name} ({', '.join(entry.roles)}) in {file.path}", err=True
    )


@tokens_app.command("list")
def list_tokens(tokens: TokensPath = None, audit_db: AuditDb = None) -> None:
    """List tokens: id, name, roles, when created (never the token)."""
    file = _file(tokens, audit_db)
    try:
        entries = file.entries()
    except DataflowRulesError as error:
        raise fail(error) from None
    if not entries:
        typer.echo(f"no tokens in {file.path}")
        return
    for e in entries:
        typer.echo(f"{e.id}  {e.created_at:<27}  {','.join(e.roles):<22}  {e.name}")


@tokens_app.command()
def revoke(
    which: Annotated[
        str, typer.Argument(metavar="ID_OR_NAME", help="A token's id, or a name (all its tokens).")
    ],
    tokens: TokensPath = None,
    audit_db: AuditDb = None,
) -> None:
    """Revoke tokens: the service refuses them from its next request on."""
    file = _file(tokens, audit_db)
    try:
        gone = file.revoke(which)
    except DataflowRulesError as error:
        raise fail(error) from None
    for e in gone:
        typer.echo(f"revoked token {e.id} ({e.name})")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
