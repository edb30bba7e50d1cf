"""Help that reads like a mature command line: metavars, not Python types.

typer 0.29 prints each parameter's Python type beside it (``<bool>``, ``<str>``,
``<list[Path]>``) and writes a required argument as ``{files}...``. Users read help for
what to type, so a parameter shows the metavar it declares (``FILE``, ``DATE``,
``FORMAT[:PATH]``), else its click-style kind (``PATH``, ``TEXT``, ``INTEGER``, the
choices ``text|json``); flags show none. The adjustment is made once, here, on typer's own
parameter classes, so every command (and every feature package's commands) gets it.
"""

from __future__ import annotations

from typing import Any

from typer import core

_KINDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "bool": "BOOLEAN"}

METAVARS = {
    "--format": "FORMAT[:PATH]",  # a free-text --format is scan's repeatable FORMAT[:PATH]
    "--output": "FILE",
    "--policies": "DIR",
    "--as-of": "DATE",
    "--audit-db": "FILE|URL",
    "--requested-by": "NAME",
    "--transfer": "ID",
    "--before": "ID",
    "--head": "HASH",
    "--host": "HOST",
    "--port": "PORT",
    "--origin": "COUNTRY",
    "--destination": "COUNTRY",
    "--include": "PATTERN",
    "--exclude": "PATTERN",
    "--waivers": "FILE",
    "--baseline": "FILE",
    "--create-baseline": "FILE",
    "--fides-map": "FILE",
    "--odcs-map": "FILE",
    "--threshold": "PCT",
    "--workers": "N",
    "--jobs": "N",
    "--count": "N",
    "--seed": "N",
    "--limit": "N",
}
"""The project's metavar for an option by its name, where the option declares none: one
table, so the same flag reads the same in every command (docs/cli.md uses these names)."""


def _kind(param: Any, ctx: Any) -> str | None:
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    if param.metavar is not None:
        return str(param.metavar)
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    for opt in param.opts:
        if opt in METAVARS:
            return METAVARS[opt]
    shown = core._TyperParameter.display_type(param, ctx).strip("<>")
    bare = shown.removeprefix("list[").removesuffix("]").split(".")[-1]
    return _KINDS.get(bare, _KINDS.get(shown, bare.upper()))


def _argument_type(self: Any, ctx: Any) -> str | None:
    return None  # the name column already shows the metavar


def _argument_name(self: Any) -> str:
    name = str(self.metavar) if self.metavar is not None else self.name.upper()
    return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


def _argument_usage(self: Any) -> str:
    name = _argument_name(self)
    return name if self.required or name.startswith("[") else f"[{name}]"


def _option_type(self: Any, ctx: Any) -> str | None:
    kind = _kind(self, ctx)
    if kind is not None and self.nargs != 1:
        kind += "..."
    return kind


def install() -> None:
    """Apply the conventions to typer's parameter classes (idempotent). A typer without
    these hooks keeps its own help (tests/test_first_hour.py then says so)."""
    hooks = ("display_type_rich", "_rich_display_name", "_usage_display_name")
    if not all(hasattr(core.TyperArgument, h) for h in hooks) or not hasattr(core, "_TyperParameter"):
        return
    core.TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign]
    core.TyperArgument._rich_display_name = _argument_name  # type: ignore[method-assign]
    core.TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    core.TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
