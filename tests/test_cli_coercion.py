"""The CLI builds a parameter's coercion (typer's pydantic ``TypeAdapter``) only when the
parameter has a value (dataflow_rules.cli.on_first_value), and coerces and refuses every
value exactly as typer does without that."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import typer
from typer._click.exceptions import BadParameter
from typer._coercion import AdapterRuntimeParam, RuntimeParam

from dataflow_rules import cli

classes = cli.on_first_value()
assert classes is not None, "typer's coercion layer changed: see dataflow_rules.cli.on_first_value"
ON_FIRST_VALUE = classes[0]


def _fresh(name: str) -> Any:
    """A new conversion of ``name`` as the CLI makes it (not the cached one)."""
    return cli.loaded.__wrapped__(cli._WHERE[name], name)


def _plain(name: str) -> Any:
    """typer's own conversion of ``name``, nothing deferred."""
    holder = typer.Typer(**cli._SETTINGS)
    importlib.import_module(cli._WHERE[name]).register(holder)
    return typer.main.get_group(holder).commands[name]


def _parse(command: Any, args: list[str]) -> tuple[str, Any]:
    try:
        with command.make_context(command.name, list(args)) as ctx:
            return "ok", ctx.params
    except BadParameter as error:
        return "bad", (error.format_message(), getattr(error.param, "name", None))


def test_an_unset_option_builds_no_coercion() -> None:
    check = _fresh("check")
    assert all(type(p._runtime_param) is ON_FIRST_VALUE for p in check.params)
    with check.make_context("check", ["t.yaml", "--format", "json", "--unlisted", "allow"]):
        pass
    built = {p.name for p in check.params if type(p._runtime_param) is not ON_FIRST_VALUE}
    # the texts of FILE... and --format are given back as typer's adapters give them back,
    # without building them; --unlisted (a choice) gets typer's own; 10 unset options nothing
    assert built == {"unlisted"}
    assert all(isinstance(p._runtime_param, AdapterRuntimeParam) for p in check.params if p.name in built)
    help_option = check.get_help_option(check.make_context("check", ["t.yaml"]))
    assert isinstance(help_option._runtime_param, RuntimeParam)
    assert type(help_option._runtime_param) is ON_FIRST_VALUE


ARGS = [
    ["a.yaml"],
    ["", " a b.yaml ", "ü\u202e.yaml", "--", "-x.yaml"],
    ["a.yaml", "--requested-by", " ana ", "--ledger", "", "--audit-db", "postgresql://h/db"],
    ["a.yaml", "--format", " json"],
    ["a.yaml", "b.yaml", "-"],
    ["a.yaml", "--format", "json", "--as-of", "2026-06-01", "--unlisted", "allow", "--colour"],
    ["a.yaml", "--no-colour", "--policies", "pol", "--facts", "f.yaml", "--ledger", "l.db"],
    ["a.yaml", "--remediate", "--alternative-destination", "de", "--alternative-destination", "FR"],
    ["a.yaml", "--record", "--requested-by", "ana", "--audit-db", "x.db"],
    ["a.yaml", "--unlisted", "bogus"],
    ["a.yaml", "--format", "xml"],
    ["a.yaml", "--as-of", "2026-13-01"],
]


@pytest.mark.parametrize("args", ARGS, ids=" ".join)
def test_check_parses_as_typer_does(args: list[str]) -> None:
    assert _parse(_fresh("check"), args) == _parse(_plain("check"), args)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("scan", ["examples", "--format", "json", "--no-progress", "--fail-on", "review"]),
        ("scan", ["examples", "--fail-on", "sometimes"]),
        ("batch", ["in.jsonl", "--workers", "2"]),
        ("batch", ["in.jsonl", "--workers", "two"]),
        ("schema", ["transfer"]),
        ("schema", ["nothing"]),
    ],
)
def test_other_commands_parse_as_typer_does(name: str, args: list[str]) -> None:
    assert _parse(_fresh(name), args) == _parse(_plain(name), args)
