"""The one format registry (render/formats.py): every writer it names exists and is what the
command's --format offers, so a format cannot be listed without a writer, and no command
chooses its writer by comparing format names itself."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataflow_rules.cli import app
from dataflow_rules.render.formats import FORMATS, WRITERS, UnknownFormat, check, choices, write, writer

from .conftest import ROOT


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_each_writer_named_is_there_and_offered(kind: str) -> None:
    assert choices(kind) == tuple(WRITERS[kind])
    for name, (module, function) in WRITERS[kind].items():
        assert name in FORMATS
        assert module.startswith("dataflow_rules.render."), (kind, name)  # render/ owns every writer
        assert callable(getattr(importlib.import_module(module), function)), (kind, name)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(UnknownFormat, match="'sarif' is not one of 'text', 'json', 'markdown', 'html'"):
        write("diff", "sarif", object())
    with pytest.raises(UnknownFormat):
        writer("audit-export", "text")
    with pytest.raises(UnknownFormat):
        check("decisions", "markdown")
    assert check("lint", "sarif") == "sarif"


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        (["check", "examples/cn-us-pi-100000.yaml"], "decisions"),
        (["validate"], "validation"),
        (["lint"], "lint"),
        (["vocab"], "vocabulary"),
        (["audit", "list"], "audit-list"),
        (["audit", "show", "1"], "audit-record"),
        (["audit", "export"], "audit-export"),
        (["diff", "a", "b", "-c", "x"], "diff"),
    ],
)
def test_every_command_refuses_an_unknown_format_alike(command: list[str], kind: str) -> None:
    """The usage error (exit 2) names the registry's choices for the command's kind."""
    result = CliRunner().invoke(app, [*command, "--format", "nope"])
    assert result.exit_code == 2
    assert f"'nope' is not one of {', '.join(map(repr, choices(kind)))}." in result.stderr


def _compares_a_format(path: Path) -> list[int]:
    """Lines of ``path`` that compare a name called ``fmt`` or ``name`` with a format's name
    (``fmt == "json"``, ``name == "html"``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(n, ast.Name) and n.id in ("fmt", "name") for n in (node.left, *node.comparators))
        and any(isinstance(n, ast.Constant) and n.value in FORMATS for n in (node.left, *node.comparators))
    ]


@pytest.mark.parametrize(
    "path",
    [
        "dataflow_rules/commands.py",
        "dataflow_rules/workbench/commands.py",
        "dataflow_rules/audit/commands.py",
        "dataflow_rules/scan/commands.py",
    ],
)
def test_no_command_picks_its_writer_itself(path: str) -> None:
    assert _compares_a_format(ROOT / path) == []


def test_the_comparison_finder_sees_one(tmp_path: Path) -> None:
    """The check above can fail: a command that branches on its format is found."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        'fmt = name = "x"\nif fmt == "json":\n    pass\nelif "sarif" != name:\n    pass\nelif name == "-":\n    pass\n'
    )
    assert _compares_a_format(probe) == [2, 4]
