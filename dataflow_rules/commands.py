"""The core commands (``check``, ``catalogues``, ``vocab``, ``version``, ``new``): parse
arguments, call the library, pick a writer, set the exit code.

No decision logic lives here. Registered on the app by :func:`register`, as every
capability's ``commands.py`` registers its own (:mod:`dataflow_rules.cli`). Exit codes are
:class:`dataflow_rules.errors.ExitCode` (docs/cli.md).
"""

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import __version__, startup
from .catalogues import load_policies
from .engine.engine import Engine
from .errors import DataflowRulesError, InputError, Location, raise_all, verdict_exit
from .facts_file import FactsOption, read_facts
from .loading import read_stream
from .models.decision import Decision, Verdict
from .models.policies import LoadedCatalogue, Policies
from .options import (
    AsOfOption,
    ColourOption,
    PoliciesOption,
    UnlistedOption,
    fail,
    format_option,
    parse_date,
)
from .render.formats import write, writes
from .transfers import Located, read_transfers
from .vocab import Kind


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


def check(
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE...", help="Transfer descriptions (YAML or JSON); '-' reads stdin."),
    ],
    fmt: Annotated[str, format_option("decisions", help="Output format.")] = "text",
    policies: PoliciesOption = None,
    as_of: AsOfOption = None,
    unlisted: UnlistedOption = None,
    colour: ColourOption = None,
    record: Annotated[
        bool,
        typer.Option("--record", help="Store every decision in the audit trail ('dataflow-rules audit')."),
    ] = False,
    requested_by: Annotated[
        str | None,
        typer.Option(
            "--requested-by", metavar="NAME", help="Who asks, stored with --record (default: the login name)."
        ),
    ] = None,
    audit_db: Annotated[
        str | None,
        typer.Option(
            "--audit-db",
            metavar="FILE|URL",
            help="Audit store for --record: a SQLite file or a postgresql:// URL.",
        ),
    ] = None,
    remediate: Annotated[
        bool,
        typer.Option(
            "--remediate",
            help="For review and restrict, also find the smallest changes that lower the verdict.",
        ),
    ] = False,
    ledger: Annotated[
        str | None,
        typer.Option(
            "--ledger",
            metavar="DB",
            help="Count earlier recorded transfers of the same exporter (an audit store) where the law "
            "counts cumulatively; --record uses its --audit-db as the ledger.",
        ),
    ] = None,
    facts: FactsOption = None,
    alternatives: Annotated[
        list[str] | None,
        typer.Option(
            "--alternative-destination",
            metavar="COUNTRY",
            help="With --remediate: a country the exporter could send the data to instead (repeatable); "
            "no other destination is suggested.",
        ),
    ] = None,
) -> None:
    """Decide every transfer in FILE... and explain each decision.

    Every file is read and checked before anything is decided: bad input gives every
    error of every file (exit 5) and no decisions. A directory is not read: `scan` finds
    the transfers in a tree.

    \b
    Exit codes (the strictest verdict, else the error):
      0  allow             5  input error (a transfer description)
      3  review            6  catalogue error
      4  restrict          7  engine error
      2  usage error       8  audit store error (with --record)
    """
    day = parse_date(as_of)
    requester = _requester(record, requested_by, audit_db)
    held = contextlib.ExitStack()  # with --record: the store's counting lock, until recorded
    try:
        loaded = load_policies(policies, cache=True)
        located = _read_all(files, loaded)
        engine = Engine(loaded, Verdict(unlisted.value) if unlisted else None, lazy=True)
        startup.resume()  # the long-lived objects are built (dataflow_rules.startup)
        stated = read_facts(
            facts, categories=loaded.taxonomy.categories, context_facts=loaded.context_facts()
        )
        book = None
        if ledger is not None or record:
            from .audit.ledger import load_ledger
            from .audit.store import open_store

            store = held.enter_context(open_store(ledger if ledger is not None else audit_db, create=record))
            if record:  # no other process counts against this ledger until these are recorded
                held.enter_context(store.counting())
            book = load_ledger(store)
        decisions: list[Decision] = []
        for item in located:
            key = None
            if book is not None:  # its id and description: a reused id is counted (audit.ledger)
                from .audit.ledger import ledger_key

                key = ledger_key(item.transfer)
            prior = book.prior(item.transfer, key) if book is not None else ()
            decision = engine.decide(item.transfer, day, prior=prior, facts=stated)
            decisions.append(decision)
            if book is not None:  # later transfers of this run count this one, on its as-of day
                from .audit.ledger import counted_on

                book.add_transfer(
                    counted_on(item.transfer, decision.as_of), item.transfer.id, decision.as_of, key
                )
        if record:  # before any output: a decision asked to be recorded is shown only once stored
            from .audit import record_decisions

            where, stored = record_decisions(
                audit_db,
                [(item.transfer, d) for item, d in zip(located, decisions, strict=True)],
                loaded,
                requested_by=requester,
                channel="cli",
                options={"as_of": as_of, "unlisted": unlisted.value if unlisted else None},
            )
            typer.echo(f"recorded {_ids(stored[0].seq, stored[-1].seq)} in {where}", err=True)
        held.close()
        if remediate:  # advice, not part of the decision: computed after any recording
            from .workbench.remediate import with_remediations

            decisions = [
                with_remediations(
                    engine,
                    i.transfer,
                    d,
                    [a.upper() for a in alternatives or ()] or (list(stated.alternatives) if stated else []),
                )
                for i, d in zip(located, decisions, strict=True)
            ]
    except DataflowRulesError as error:
        if writes("failure", fmt):
            typer.echo(write("failure", fmt, error), nl=False)
        raise fail(error) from None
    finally:
        held.close()
    from .render.style import wants_colour

    use_colour = wants_colour(colour, sys.stdout)  # the text writer's; JSON has none
    # click strips colour off a pipe unless told: --colour colours a piped report too
    typer.echo(write("decisions", fmt, decisions, colour=use_colour), nl=False, color=use_colour)
    raise typer.Exit(verdict_exit(Verdict.strictest([d.verdict for d in decisions])))


def _read_all(files: list[str], loaded: Policies) -> list[Located]:
    """Every transfer of every file, or one error holding the problems of all of them."""
    located: list[Located] = []
    problems: list[InputError] = []
    for name in files:
        try:
            if name == "-":
                located += read_transfers(None, loaded, read_stream(sys.stdin.buffer, "<stdin>", InputError))
            elif Path(name).is_dir():
                problems.append(
                    InputError(
                        f"is a directory; check reads transfer files (use `dataflow-rules scan {name}`"
                        " to find and decide every transfer in a tree)",
                        Location(name),
                    )
                )
            else:
                located += read_transfers(Path(name), loaded)
        except InputError as error:
            problems.append(error)
    seen: dict[str, Located] = {}
    for item in located:
        if item.transfer.id in seen:
            problems.append(
                InputError(
                    f"transfer id '{item.transfer.id}' is used again (first in {seen[item.transfer.id].locate('id')})",
                    item.locate("id"),
                )
            )
        else:
            seen[item.transfer.id] = item
    raise_all(problems)
    return located


def catalogues(
    policies: PoliciesOption = None,
) -> None:
    """List every loaded catalogue and zone layer with its version, entry counts and digest.

    A zone layer (e.g. the Tianjin free trade zone) decides the outbound side for exporters
    registered in its zone, so it is listed under its base, indented, like a catalogue.
    """
    try:
        loaded = load_policies(policies, cache=True)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(f"taxonomy {loaded.taxonomy.version}  {len(loaded.taxonomy.categories)} categories")
    layers = sorted(loaded.layers.items())
    for code, lc in loaded.catalogues.items():
        typer.echo(f"{code}  {_described(lc)}")
        for (base, zone), layer in layers:
            if base == code:
                typer.echo(f"  {code} zone {zone}  {_described(layer)}")


def _described(lc: LoadedCatalogue) -> str:
    c = lc.catalogue
    return (
        f"{c.version:<10} effective {c.effective}  {len(c.entries)} entries, "
        f"{len(c.localisation)} localisation, {len(c.green_lanes)} green lanes, "
        f"{len(c.exemptions)} exemptions  sha256:{lc.digest[:16]}  {lc.source}"
    )


def vocab(
    kind: Annotated[
        Kind | None,
        typer.Argument(
            metavar="[KIND]",
            help="purposes, recipients, transactions, categories, mechanisms, security, context or lanes (default: all).",
        ),
    ] = None,
    fmt: Annotated[
        str, format_option("vocabulary", help="text, or the Markdown docs/transfers.md embeds.")
    ] = "text",
    policies: PoliciesOption = None,
) -> None:
    """List the words a transfer may use in each closed field, with what each means.

    The lists come from the loaded taxonomy and catalogues (`lanes`: each green lane and
    the purpose, transaction and data that reach it).
    """
    from .render.formats import write

    try:
        loaded = load_policies(policies, cache=True)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(write("vocabulary", fmt, loaded, kinds=[kind] if kind is not None else list(Kind)), nl=False)


new_app = typer.Typer(help="Write a commented starting point for a file people write.", no_args_is_help=True)


@new_app.command("transfer")
def new_transfer(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here (created 0600, never overwritten) instead of standard output.",
        ),
    ] = None,
    policies: PoliciesOption = None,
) -> None:
    """A commented transfer description that `check` decides as written: edit it into yours."""
    import os

    from .vocab import template

    try:
        text = template(load_policies(policies, cache=True))
    except DataflowRulesError as error:
        raise fail(error) from None
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise typer.BadParameter(f"{output} exists; not overwritten", param_hint="--output") from None
    except OSError as exc:
        raise fail(InputError(f"cannot create file: {exc.strerror}", Location(str(output)))) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    typer.echo(f"wrote {output}; decide it with: dataflow-rules check {output}", err=True)


def version() -> None:
    """Print the tool's version."""
    typer.echo(__version__)


def register(app: typer.Typer) -> None:
    """The core commands: decide, and what a transfer may say."""
    for command in (check, catalogues, vocab, version):
        app.command()(command)
    app.add_typer(new_app, name="new")
