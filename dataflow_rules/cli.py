"""The command line's entry point: the app, and where each command comes from.

Every capability registers its commands the same way: a ``commands.py`` with
``register(app)`` (:data:`CAPABILITIES`). A command's module is imported only when that
command runs (or ``--help`` lists them all), so ``dataflow-rules check`` does not pay for
importing ``scan``, ``serve`` or the workbench. No decision logic lives here; exit codes are
:class:`dataflow_rules.errors.ExitCode` (docs/cli.md).
"""

from __future__ import annotations

import importlib
import sys
from functools import cache
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__, helptext, startup
from .errors import ExitCode

CAPABILITIES: dict[str, tuple[str, ...]] = {
    "dataflow_rules.commands": ("check", "catalogues", "vocab", "version", "new"),
    "dataflow_rules.server.commands": ("serve", "tokens"),
    "dataflow_rules.batch.commands": ("batch",),
    "dataflow_rules.scan.commands": ("scan", "schema"),
    "dataflow_rules.workbench.commands": ("validate", "lint", "test", "diff", "explain", "corpus"),
    "dataflow_rules.audit.commands": ("audit",),
}
"""Each capability's ``commands`` module and the commands its ``register(app)`` adds
(tests/test_cli.py checks the two agree)."""

ORDER = (
    *("check", "catalogues", "vocab", "version", "serve", "batch", "scan", "schema"),
    *("validate", "lint", "test", "diff", "explain", "corpus", "new", "audit", "tokens"),
)
"""The order ``--help`` lists commands in: commands, then groups, as typer lists them."""

_SETTINGS: dict[str, Any] = {
    "rich_markup_mode": None,  # plain click help: paragraphs and \b blocks kept as written
    "add_completion": False,
    "pretty_exceptions_enable": False,
}

helptext.install()


@cache
def loaded(module: str, name: str) -> Any:
    """The click command ``name`` that ``module``'s ``register(app)`` adds, built once and
    alone: typer converts only the command that runs (each conversion reads a signature),
    not every command the module registers."""
    holder = typer.Typer(**_SETTINGS)
    importlib.import_module(module).register(holder)
    holder.registered_commands = [c for c in holder.registered_commands if _named(c) == name]
    holder.registered_groups = [g for g in holder.registered_groups if g.name == name]
    return typer.main.get_group(holder).commands.get(name)


def _named(info: Any) -> str | None:
    """The name typer gives a registered command: its own, else its function's."""
    if info.name:
        return str(info.name)
    return None if info.callback is None else typer.main.get_command_name(info.callback.__name__)


_WHERE = {name: module for module, names in CAPABILITIES.items() for name in names}

RESUMES_ITSELF = frozenset({"check"})
"""Commands that call :func:`dataflow_rules.startup.resume` themselves, once their
catalogues and engine are built; every other command resumes the garbage collector as soon
as its module is loaded."""


class LazyGroup(TyperGroup):
    """The top-level group: lists every command, imports a command's module on first use."""

    # typer vendors its own click; its types are private, so these read as Any.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(ORDER)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = _WHERE.get(cmd_name)
        command = None if module is None else loaded(module, cmd_name)
        if cmd_name not in RESUMES_ITSELF:
            startup.resume()
        return command


app = typer.Typer(
    cls=LazyGroup,
    name="dataflow-rules",
    help="Decide whether a cross-border dataset transfer may go ahead, against both countries' catalogues.",
    no_args_is_help=True,
    **_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _top(
    show_version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Decide whether a cross-border dataset transfer may go ahead, against both countries' catalogues."""


def main() -> None:
    """The ``dataflow-rules`` program: the app, with the collector paused while it starts
    (:mod:`dataflow_rules.startup`)."""
    startup.pause()
    if sys.stdout is None:  # started with standard output closed (`cmd >&-`)
        # Every command writes its result there; deciding without a way to say the
        # decision would leave only an exit code a gate cannot tell from a crash.
        if sys.stderr is not None:
            sys.stderr.write("error: standard output is closed; nothing can be written\n")
        raise SystemExit(ExitCode.USAGE)
    app()


if __name__ == "__main__":
    main()
