"""The one output layer's shape, read from the source (issue 14, item 2): render/ writes
result models and reaches back into no capability, and every capability and the core
commands reach a writer only through the format registry (render/formats.py), never by
importing another's writer module.

Imports under ``if TYPE_CHECKING:`` are annotations, not dependencies, and are left out
(tests/test_import_graph.py reads them the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_import_graph import PACKAGE, _graph, _module, _runtime_imports

# What a writer may use: result models, the engine's trace model (explain writes a trace),
# the leaf helpers it formats with, the vocabulary tables and the package's version.
WRITER_MAY_USE = (
    "dataflow_rules.render",
    "dataflow_rules.models",
    "dataflow_rules.engine.trace",
    "dataflow_rules.jsonio",
    "dataflow_rules.safe_text",
    "dataflow_rules.vocab",
)
# The registry and the pieces the service's pages are built from; every other render module
# is a writer, reached by a format name through the registry.
SHARED = {
    "dataflow_rules.render",
    "dataflow_rules.render.formats",
    "dataflow_rules.render.style",
    "dataflow_rules.render.flowchart",
}
CAPABILITIES = ("scan", "workbench", "audit", "batch", "server")


def _writers_imported(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {
        module: bad
        for module, imports in graph.items()
        if (bad := {i for i in imports if i.startswith("dataflow_rules.render") and i not in SHARED})
    }


def test_render_imports_no_capability() -> None:
    graph = _graph("render")
    assert {"dataflow_rules.render.formats", "dataflow_rules.render.audit_export"} <= graph.keys()
    outside = {
        module: bad
        for module, imports in graph.items()
        if (bad := {i for i in imports if i != "dataflow_rules" and not i.startswith(WRITER_MAY_USE)})
    }
    assert outside == {}


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_a_capability_reaches_writers_only_through_the_registry(capability: str) -> None:
    graph = _graph(capability)
    assert graph
    assert _writers_imported(graph) == {}


def test_the_core_commands_reach_writers_only_through_the_registry() -> None:
    graph = {_module(p): _runtime_imports(p) for p in (PACKAGE / "commands.py", PACKAGE / "spark.py")}
    assert "dataflow_rules.render.formats" in graph["dataflow_rules.commands"]
    assert _writers_imported(graph) == {}


def test_the_checks_see_a_writer_imported_directly(tmp_path: Path) -> None:
    """The checks can fail: a capability importing a writer, and a writer importing a
    capability, are both found; a type-only import is not."""
    scan = tmp_path / "dataflow_rules" / "scan"
    scan.mkdir(parents=True)
    probe = scan / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nfrom ..render.formats import write\n"
        "def f():\n    from ..render.sarif import render\n"
        "if TYPE_CHECKING:\n    from ..render.junit import render\n"
    )
    found = _runtime_imports(probe, tmp_path)
    assert _writers_imported({"probe": found}) == {"probe": {"dataflow_rules.render.sarif"}}
    writer = tmp_path / "dataflow_rules" / "render"
    writer.mkdir()
    (writer / "bad.py").write_text("from ..workbench.diff import DiffResult\n")
    imports = _runtime_imports(writer / "bad.py", tmp_path)
    assert {i for i in imports if not i.startswith(WRITER_MAY_USE)} == {"dataflow_rules.workbench.diff"}
