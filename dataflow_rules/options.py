"""Command-line options and helpers that several commands share.

``check``, ``scan``, ``batch``, ``explain``, ``diff`` and ``serve`` all take the same
``--policies``, ``--as-of`` and ``--unlisted``: one definition here keeps their spelling,
help and error messages identical, so a pipeline can move a flag from one command to
another and get the same meaning. Only typer and the standard library are imported, so
the CLI's start-up cost does not grow.
"""

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import DataflowRulesError


class Unlisted(StrEnum):
    """The verdict for a side whose country has no catalogue (docs/semantics.md)."""

    review = "review"
    allow = "allow"


def _iso_date(value: str | None) -> str | None:
    """Refuse a date option that is not YYYY-MM-DD while arguments are parsed: a wrong
    option is a usage error (exit 2), not bad input (exit 5)."""
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None
    return value


PoliciesOption = Annotated[
    Path | None,
    typer.Option(
        "--policies", "-p", metavar="DIR", help="Policy directory (default: the shipped catalogues)."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        callback=_iso_date,
        help="Decide as of this date, YYYY-MM-DD (default: each transfer's date, else today).",
    ),
]
UnlistedOption = Annotated[
    Unlisted | None,
    typer.Option(
        "--unlisted",
        help="Verdict for a side whose country has no catalogue (default: review for the origin; "
        "a destination is taken to place no conditions on receiving data).",
    ),
]
ColourOption = Annotated[
    bool | None,
    typer.Option("--colour/--no-colour", help="Colour the text output (default: when a terminal)."),
]
ProgressOption = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Progress on stderr (default: when stderr is a terminal)."),
]


def format_option(kind: str, help: str | None = None) -> Any:
    """The ``--format``/``-f`` option of a command that writes a ``kind`` of result: its
    choices come from the one format registry (:mod:`dataflow_rules.render.formats`), so every
    command spells, lists and refuses formats the same way."""
    from .render.formats import UnknownFormat, check, choices

    allowed = choices(kind)

    def only(value: str | None) -> str | None:
        try:
            return value if value is None else check(kind, value)
        except UnknownFormat as unknown:
            raise typer.BadParameter(str(unknown)) from None

    return typer.Option("--format", "-f", metavar="|".join(allowed), callback=only, help=help)


def say_error(message: str) -> None:
    """The one way a command tells the user what went wrong: ``error: MESSAGE`` on standard
    error, one line, with no control or bidi character from user data acting."""
    from .safe_text import printable

    typer.echo(f"error: {printable(message)}", err=True)


def fail(error: DataflowRulesError) -> typer.Exit:
    """Print one line per problem on stderr (every problem of the input, so it is fixed in
    one run); the caller raises the returned exit."""
    for problem in error.problems:
        say_error(problem.one_line())
    return typer.Exit(error.exit_code)


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """An ISO date option, or a usage error (exit 2) naming the option and the value: a
    wrong option is the command line's fault, not the input's."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option) from None


def command_group(name: str, help: str) -> typer.Typer:
    """A group of subcommands (``audit``, ``tokens``) made alike: bare, it prints its help;
    no shell-completion options; errors printed plainly, as every other command does."""
    return typer.Typer(
        name=name, help=help, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
