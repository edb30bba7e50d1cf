"""The command line's entry point: the app, and where each command comes from.

Every capability registers its commands the same way: a ``commands.py`` with
``register(app)`` (:data:`CAPABILITIES`). A command's module is imported only when that
command runs (or ``--help`` lists them all), so ``dataflow-rules check`` does not pay for
importing ``scan``, ``serve`` or the workbench. No decision logic lives here; exit codes are
:class:`dataflow_rules.errors.ExitCode` (docs/cli.md).
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__, helptext, startup

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
    command = typer.main.get_group(holder).commands.get(name)
    _coerce_on_first_value(command)
    return command


@cache
def on_first_value() -> tuple[type[Any], type[Any]] | None:
    """The class :func:`_defer` gives a parameter as its coercion, and the parameter class
    it applies to; None with a typer whose coercion layer is not the one this was written
    against (0.29's ``typer._coercion``): every parameter is then built as typer builds it.

    typer builds a pydantic ``TypeAdapter`` for every parameter of the command that runs,
    each option left unset too (``check`` has 13; ``check FILE`` sets two), though an unset
    value (None) never reaches it: ``RuntimeParam.coerce`` returns None or ``()`` for it
    first. The stand-in waits for a value, then puts typer's own coercion in its place and
    hands it the value, so every value is coerced and refused exactly as typer would.

    With typer 0.29 a text value of a ``str`` or ``list[str]`` parameter without a parser
    (``check FILE`` and its ``--format``) is given back as typer's adapter gives it back
    (the same text; the texts in a list), without building one: its adapter's only step,
    ``str(value)``, returns a text unchanged, and building the adapters is the last
    pydantic work typer does for ``check`` (tests/test_cli_coercion.py compares the two)."""
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:  # pragma: no cover - another typer
        return None
    texts_as_given = typer.__version__.startswith("0.29.")

    class OnFirstValue(RuntimeParam):
        """Builds typer's coercion of a parameter when it first has a value to coerce."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            descriptor = param.type_descriptor
            if texts_as_given and descriptor.parameter_info.parser is None and not descriptor.is_file:
                if descriptor.annotation is str and type(value) is str:
                    return value
                if (
                    descriptor.annotation == list[str]
                    and isinstance(value, (list, tuple))
                    and all(type(item) is str for item in value)
                ):
                    return list(value)
            real = build_runtime_param(descriptor)
            param._runtime_param = real
            return real._coerce_value(value, param=param, ctx=ctx)

    return OnFirstValue, _TyperParameter


def _coerce_on_first_value(command: Any) -> None:
    """Give every parameter of ``command`` and of its subcommands, their ``--help`` too, a
    coercion built on its first value (:func:`on_first_value`)."""
    stack = [command]
    while stack:
        current = stack.pop()
        stack.extend(getattr(current, "commands", {}).values())
        for param in getattr(current, "params", ()):
            _defer(param)
        help_option = current.get_help_option  # click makes --help on first use: defer it then
        current.get_help_option = lambda ctx, made=help_option: _defer(made(ctx))


def _defer(param: Any) -> Any:
    """``param``, its coercion left to its first value if typer has built none yet."""
    classes = on_first_value()
    if classes is not None and isinstance(param, classes[1]) and param._runtime_param is None:
        descriptor = param.type_descriptor
        param._runtime_param = classes[0](
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )
    return param


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
    def get_help_option(self, ctx: Any) -> Any:
        return _defer(super().get_help_option(ctx))

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
    app()


if __name__ == "__main__":
    main()
