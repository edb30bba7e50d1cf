"""The package's layering, read from the source: the engine decides over models and its own
modules only (no loader, no CLI, no IO), and the models import nothing but each other and the
error tree, so nothing reaches a loader through them either.

Imports under ``if TYPE_CHECKING:`` are annotations, not dependencies, and are left out."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "dataflow_rules"

# errors.py is the one leaf every layer may raise from: it imports nothing of the package.
LEAVES = {"dataflow_rules.errors"}


def _module(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every ``dataflow_rules`` module ``path`` imports when it runs (function-level ones too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("dataflow_rules")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("dataflow_rules"):
                found.add(target)
                for alias in node.names:  # `from dataflow_rules import cli` imports a module
                    sub = root.joinpath(*target.split("."), alias.name)
                    if sub.with_suffix(".py").exists() or sub.is_dir():
                        found.add(f"{target}.{alias.name}")
    return found


def _graph(sub: str) -> dict[str, set[str]]:
    return {_module(p): _runtime_imports(p) for p in sorted((PACKAGE / sub).rglob("*.py"))}


def _outside(graph: dict[str, set[str]], allowed: tuple[str, ...]) -> dict[str, set[str]]:
    return {
        module: bad
        for module, imports in graph.items()
        if (bad := {i for i in imports if i not in LEAVES and not i.startswith(allowed)})
    }


def test_the_engine_imports_only_models_and_its_own_modules() -> None:
    graph = _graph("engine")
    assert graph.get("dataflow_rules.engine.engine")
    assert _outside(graph, ("dataflow_rules.models", "dataflow_rules.engine")) == {}


def test_the_models_import_only_models() -> None:
    graph = _graph("models")
    assert "dataflow_rules.models.policies" in graph
    assert _outside(graph, ("dataflow_rules.models",)) == {}


def test_the_reader_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The check can fail: a loader import in an engine module is found, a type-only one is not."""
    engine = tmp_path / "dataflow_rules" / "engine"
    engine.mkdir(parents=True)
    probe = engine / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nfrom ..catalogues import load_policies\n"
        "if TYPE_CHECKING:\n    from ..loading import Document\n"
        "def f():\n    from dataflow_rules import cli\n"
    )
    assert _module(probe, tmp_path) == "dataflow_rules.engine.probe"
    (tmp_path / "dataflow_rules" / "cli.py").write_text("")
    found = _runtime_imports(probe, tmp_path)
    assert {"dataflow_rules.catalogues", "dataflow_rules.cli"} <= found
    assert "dataflow_rules.loading" not in found
    assert _outside({"probe": found}, ("dataflow_rules.models", "dataflow_rules.engine")) == {"probe": found}


def test_the_writers_import_no_capability() -> None:
    """render/ writes result models; it does not reach back into the commands that make
    them (the render<->scan cycle this ended)."""
    graph = _graph("render")
    assert "dataflow_rules.render.sarif" in graph
    forbidden = ("dataflow_rules.scan", "dataflow_rules.cli", "dataflow_rules.batch", "dataflow_rules.server")
    assert {m: bad for m, i in graph.items() if (bad := {x for x in i if x.startswith(forbidden)})} == {}


def _modules_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (with ``env`` added to
    the environment)."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    return set(done.stdout.splitlines()[-1].split())  # the last line: check's output comes first


def test_importing_the_package_imports_none_of_it() -> None:
    """``dataflow_rules`` resolves its public names on first use: importing the package (as
    every command's start and ``__version__`` do) loads no engine, model or loader."""
    loaded = _modules_after("import dataflow_rules\nassert dataflow_rules.__version__")
    assert {m for m in loaded if m.startswith("dataflow_rules.")} == set()
    assert "pydantic.main" not in loaded and "durable_rules_engine" not in loaded
    used = _modules_after("from dataflow_rules import Engine, load_policies")
    assert {"dataflow_rules.engine.engine", "dataflow_rules.catalogues"} <= used


def test_a_cold_check_loads_no_other_capability_and_no_heavy_library() -> None:
    """What ``dataflow-rules check`` starts with (issue 14's cold start): the core commands,
    the loader, the engine and the text writer; never the service, scan, the workbench,
    batch, the audit trail, or the libraries only they use."""
    example = ROOT / "examples" / "cn-us-pi-100000.yaml"
    loaded = _modules_after(
        "import sys\nfrom dataflow_rules.cli import main\n"
        f"sys.argv = ['dataflow-rules', 'check', '--as-of', '2026-06-01', {str(example)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert {"dataflow_rules.commands", "dataflow_rules.engine.engine", "dataflow_rules.render.text"} <= loaded
    capabilities = ("server", "scan", "workbench", "batch", "audit", "spark")
    assert {m for m in loaded if m.startswith("dataflow_rules.") and m.split(".")[1] in capabilities} == set()
    heavy = {
        "rich",
        "plotly",
        "fastapi",
        "uvicorn",
        "starlette",
        "psycopg",
        "orjson",
        "pycountry",
        "pathspec",
        "jinja2",
    }
    assert {m.split(".")[0] for m in loaded} & heavy == set()


def test_a_cold_check_with_cached_policies_reads_no_file_model(tmp_path: Path) -> None:
    """A check of a file, no facts file, the policies from the cache (as after the first
    run): neither the facts file's model nor the taxonomy file's is defined."""
    example = ROOT / "examples" / "cn-us-pi-100000.yaml"
    code = (
        "import sys\nfrom dataflow_rules.cli import main\n"
        f"sys.argv = ['dataflow-rules', 'check', '--as-of', '2026-06-01', {str(example)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    env = {"DATAFLOW_RULES_CACHE": str(tmp_path / "cache")}
    first = _modules_after(code, env)  # fills the cache: parses the taxonomy file
    assert "dataflow_rules.models.taxonomy_file" in first
    loaded = _modules_after(code, env)
    assert "dataflow_rules.engine.engine" in loaded
    unread = {"dataflow_rules.models.facts", "dataflow_rules.models.taxonomy_file"}
    assert loaded & unread == set()
