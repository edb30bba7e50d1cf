"""``dataflow-rules audit list|show|export|verify``: reading the decision trail.

Registered on the main app by :func:`register`; store back-ends are imported inside the
command bodies so that ``check`` does not pay for them.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataflowRulesError, ExitCode
from ..options import command_group, fail, format_option, say_error
from ..render import formats
from .records import AuditRecord, Verification

audit_app = command_group("audit", "Read, export and verify the audit trail of recorded decisions.")

AuditDb = Annotated[
    str | None,
    typer.Option(
        "--audit-db",
        help="Audit store: a SQLite file path or a postgresql:// URL "
        "(default: $DATAFLOW_RULES_AUDIT_DB, else ~/.local/share/dataflow-rules/audit.sqlite).",
        show_default=False,
    ),
]


class VerdictName(StrEnum):
    allow = "allow"
    review = "review"
    restrict = "restrict"


@audit_app.command("list")
def list_records(
    audit_db: AuditDb = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="At most this many.")] = 20,
    before: Annotated[int | None, typer.Option("--before", help="Only records older than this id.")] = None,
    transfer: Annotated[str | None, typer.Option("--transfer", help="Only this transfer id.")] = None,
    requested_by: Annotated[
        str | None,
        typer.Option(
            "--requested-by", metavar="NAME", help="Only records of decisions this identity asked for."
        ),
    ] = None,
    verdict: Annotated[VerdictName | None, typer.Option("--verdict", help="Only this verdict.")] = None,
    fmt: Annotated[str, format_option("audit-list")] = "text",
) -> None:
    """List recorded decisions, newest first."""
    from .store import Query, open_store

    try:
        with open_store(audit_db, create=False) as store:
            found = store.search(
                Query(
                    limit=limit,
                    before=before,
                    transfer_id=transfer,
                    requested_by=requested_by,
                    verdict=verdict.value if verdict else None,
                )
            )
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(formats.write("audit-list", fmt, found), nl=False)


@audit_app.command()
def show(
    record_id: Annotated[int, typer.Argument(metavar="ID", help="The record's id.")],
    audit_db: AuditDb = None,
    fmt: Annotated[str, format_option("audit-record")] = "text",
) -> None:
    """Show one recorded decision: the transfer, the decision, its catalogues and hashes."""
    from .records import AuditError
    from .store import open_store

    try:
        with open_store(audit_db, create=False) as store:
            record = store.get(record_id)
        if record is None:
            raise AuditError(f"no audit record {record_id} in {store.display}")
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(formats.write("audit-record", fmt, record), nl=False)


@audit_app.command()
def export(
    audit_db: AuditDb = None,
    fmt: Annotated[str, format_option("audit-export", help="csv or json.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
) -> None:
    """Export every record, oldest first, with its hashes."""
    from .records import AuditError
    from .store import open_store

    writer = formats.writer("audit-export", fmt)
    try:
        with open_store(audit_db, create=False) as store:
            if output is None:
                writer(map(AuditRecord.of, store.rows()), sys.stdout)
            else:
                from ..secure_files import private_output, same_file

                # Opened for writing, the store's own file was truncated before a row was
                # read: the trail (and every later decision's ledger) was gone.
                path = getattr(store, "path", None)
                if isinstance(path, Path) and any(
                    same_file(output, path.with_name(path.name + tail)) for tail in ("", "-wal", "-shm")
                ):
                    raise AuditError(f"cannot write {output}: it is the audit store itself")
                try:
                    with private_output(output, newline="") as out:
                        count = writer(map(AuditRecord.of, store.rows()), out)
                except OSError as exc:
                    raise AuditError(f"cannot write {output}: {exc.strerror}") from None
                typer.echo(f"exported {count} records to {output}", err=True)
    except DataflowRulesError as error:
        raise fail(error) from None


@audit_app.command()
def verify(
    audit_db: AuditDb = None,
    head: Annotated[
        str | None,
        typer.Option("--head", help="The head hash printed by an earlier verify: detects removed records."),
    ] = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="A signed checkpoint log (audit checkpoint): detects truncation, removal and rewriting.",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="The public key the checkpoints were signed with (KEY.pub)."),
    ] = None,
) -> None:
    """Check the hash chain: every record unchanged, none inserted or removed.

    With --checkpoints (and --public-key) also every signed checkpoint: records it covers
    must all be there, unchanged. Exit 0 if all is intact, 9 if not (each problem on its
    own line, saying truncation, removal or rewriting).
    """
    from .store import open_store

    if (checkpoints is None) != (public_key is None):
        typer.echo("error: --checkpoints and --public-key go together", err=True)
        raise typer.Exit(2)
    anchored: list[str] | None = None
    result: Verification
    try:
        with open_store(audit_db, create=False) as store:
            if checkpoints is not None and public_key is not None:
                from .checkpoint import check_against, load_public

                result, anchored = check_against(store, checkpoints, load_public(public_key))
            else:
                result = store.verify(head)
            where = store.display
    except DataflowRulesError as error:
        raise fail(error) from None
    if anchored is not None:
        _chain_report(
            anchored,
            f"ok: {result.count} records in {where}, chain intact, every checkpoint in "
            f"{checkpoints} holds; head {result.head}",
            f"not intact: {len(anchored)} problem(s) in {result.count} records of {where}",
        )
    else:
        _chain_report(
            result.problems,
            f"ok: {result.count} records in {where}, chain intact; head {result.head}",
            f"chain broken: {len(result.problems)} problem(s) in {result.count} records of {where}",
        )


def _chain_report(problems: list[str], intact: str, broken: str) -> None:
    """``intact`` on stdout when there is no problem; else each problem and ``broken`` on
    stderr and exit 9 (verify, with or without checkpoints)."""
    if not problems:
        typer.echo(intact)
        return
    for problem in problems:
        say_error(f"{problem}")
    typer.echo(broken, err=True)
    raise typer.Exit(ExitCode.CHAIN_BROKEN)


@audit_app.command()
def keygen(
    key: Annotated[
        Path, typer.Option("--key", help="Where to write the private key (KEY.pub: the public one).")
    ],
) -> None:
    """Make an Ed25519 signing key for checkpoints (0600). Keep it apart from the store."""
    from .checkpoint import generate_key

    try:
        public = generate_key(key)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(f"wrote signing key {key} and public key {public}")


@audit_app.command()
def checkpoint(
    key: Annotated[Path, typer.Option("--key", help="The Ed25519 signing key (audit keygen).")],
    log: Annotated[Path, typer.Option("--log", help="The checkpoint log to append to (created 0600).")],
    audit_db: AuditDb = None,
) -> None:
    """Sign the chain's head (count, head hash, time) and append it to the checkpoint log.

    The store is verified first, against its chain and against the log so far; a store
    that does not verify is not signed (exit 9)."""
    from .checkpoint import ChainBroken, make_checkpoint
    from .store import open_store

    try:
        with open_store(audit_db, create=False) as store:
            made = make_checkpoint(store, key, log)
            where = store.display
    except ChainBroken as broken:
        for problem in broken.chain_problems:
            say_error(f"{problem}")
        say_error(f"{broken.one_line()}")
        raise typer.Exit(ExitCode.CHAIN_BROKEN) from None
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(
        f"checkpoint: {made.count} records in {where}, head {made.head}, at {made.time}; appended to {log}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
