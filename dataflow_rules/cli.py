"""The command line: parse arguments, call the library, pick a renderer, set the exit code.

No decision logic lives here. Exit codes (docs/cli.md): 0 allow, 3 review, 4 restrict,
5 bad transfer input, 6 bad catalogue, 7 engine failure, 2 usage error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .catalogues import load_policies
from .engine.engine import Engine
from .errors import DataflowRulesError, InputError
from .loading import read_stream
from .models.decision import Decision, Verdict
from .options import (
    AsOfOption,
    ColourOption,
    PoliciesOption,
    Unlisted,
    UnlistedOption,
    fail,
    parse_date,
)
from .transfers import Located, read_transfers

EXIT = {Verdict.ALLOW: 0, Verdict.REVIEW: 3, Verdict.RESTRICT: 4}

app = typer.Typer(
    name="dataflow-rules",
    help="Decide whether a cross-border dataset transfer may go ahead, against both countries' catalogues.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"


def _requester(record: bool, requested_by: str | None, audit_db: str | None) -> str | None:
    """Who asks, for --record: the option, else the login name."""
    if not record:
        for name, value in (("--requested-by", requested_by), ("--audit-db", audit_db)):
            if value is not None:
                raise typer.BadParameter("only means something with --record", param_hint=name)
        return None
    from .audit import clean_requester

    if requested_by is None:
        import getpass

        try:
            requested_by = getpass.getuser()
        except (KeyError, OSError):
            return None
    try:
        return clean_requester(requested_by)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--requested-by") from None


def _ids(first: int, last: int) -> str:
    return f"decision {first}" if first == last else f"decisions {first}-{last}"


@app.command()
def check(
    files: Annotated[
        list[str], typer.Argument(help="Transfer descriptions (YAML or JSON); '-' reads stdin.")
    ],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    policies: PoliciesOption = None,
    as_of: AsOfOption = None,
    unlisted: UnlistedOption = Unlisted.review,
    colour: ColourOption = None,
    record: Annotated[
        bool,
        typer.Option("--record", help="Store every decision in the audit trail ('dataflow-rules audit')."),
    ] = False,
    requested_by: Annotated[
        str | None,
        typer.Option("--requested-by", help="Who asks, stored with --record (default: the login name)."),
    ] = None,
    audit_db: Annotated[
        str | None,
        typer.Option("--audit-db", help="Audit store for --record: a SQLite file or a postgresql:// URL."),
    ] = None,
    remediate: Annotated[
        bool,
        typer.Option(
            "--remediate",
            help="For review and restrict, also find the smallest changes that lower the verdict.",
        ),
    ] = False,
) -> None:
    """Decide every transfer in FILES and explain each decision.

    Every file is read and checked before anything is decided: one bad transfer gives an
    error (exit 5) and no decisions.
    """
    day = parse_date(as_of)
    requester = _requester(record, requested_by, audit_db)
    try:
        loaded = load_policies(policies)
        located: list[Located] = []
        for name in files:
            if name == "-":
                located += read_transfers(None, loaded, read_stream(sys.stdin.buffer, "<stdin>", InputError))
            else:
                located += read_transfers(Path(name), loaded)
        seen: dict[str, Located] = {}
        for item in located:
            if item.transfer.id in seen:
                raise InputError(
                    f"transfer id '{item.transfer.id}' is used again (first in {seen[item.transfer.id].locate('id')})",
                    item.locate("id"),
                )
            seen[item.transfer.id] = item
        engine = Engine(loaded, Verdict(unlisted.value))
        decisions: list[Decision] = [engine.decide(item.transfer, day) for item in located]
        if record:  # before any output: a decision asked to be recorded is shown only once stored
            from .audit import record_decisions

            where, stored = record_decisions(
                audit_db,
                [(item.transfer, d) for item, d in zip(located, decisions, strict=True)],
                loaded,
                requested_by=requester,
                channel="cli",
                options={"as_of": as_of, "unlisted": unlisted.value},
            )
            typer.echo(f"recorded {_ids(stored[0].seq, stored[-1].seq)} in {where}", err=True)
        if remediate:  # advice, not part of the decision: computed after any recording
            from .workbench.remediate import with_remediations

            decisions = [
                with_remediations(engine, i.transfer, d) for i, d in zip(located, decisions, strict=True)
            ]
    except DataflowRulesError as error:
        raise fail(error) from None
    if fmt is Format.json:
        from .render.json import render as render_json

        typer.echo(render_json(decisions), nl=False)
    else:
        from .render.text import render as render_text

        use_colour = sys.stdout.isatty() if colour is None else colour
        typer.echo(render_text(decisions, colour=use_colour), nl=False)
    raise typer.Exit(EXIT[Verdict.strictest([d.verdict for d in decisions])])


@app.command()
def catalogues(
    policies: PoliciesOption = None,
) -> None:
    """List the loaded catalogues with their versions, entry counts and digests."""
    try:
        loaded = load_policies(policies)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(f"taxonomy {loaded.taxonomy.version}  {len(loaded.taxonomy.categories)} categories")
    for code, lc in loaded.catalogues.items():
        c = lc.catalogue
        typer.echo(
            f"{code}  {c.version:<10} effective {c.effective}  {len(c.entries)} entries, "
            f"{len(c.localisation)} localisation, {len(c.green_lanes)} green lanes, "
            f"{len(c.exemptions)} exemptions  sha256:{lc.digest[:16]}  {lc.source}"
        )


@app.command()
def version() -> None:
    """Print the tool's version."""
    typer.echo(__version__)


def _register_features() -> None:
    """Commands from feature packages. Each package exposes ``register(app)`` and keeps its
    heavy imports inside the command bodies, so ``check`` stays fast to start."""
    from .audit import register as register_audit
    from .batch import register as register_batch
    from .scan.cli import register as register_scan
    from .server import register as register_serve
    from .workbench import register as register_workbench

    registrations: list[Callable[[typer.Typer], None]] = [
        register_audit,
        register_serve,
        register_batch,
        register_scan,
        register_workbench,
    ]
    for register in registrations:
        register(app)


_register_features()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
