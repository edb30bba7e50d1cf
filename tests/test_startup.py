"""The collector while the command line starts (dataflow_rules.startup): paused by main()
only, back on, with the start-up objects frozen, before a command does its work."""

from __future__ import annotations

import ast
import gc
import subprocess
import sys

from typer.testing import CliRunner

from dataflow_rules.cli import app

from .conftest import EXAMPLES, ROOT

PROBE = """
import gc, sys
from dataflow_rules import commands, startup
seen = []
real = commands.read_facts
def probe(*args, **kwargs):  # runs in check after resume(), before any decision
    seen.append((gc.isenabled(), gc.get_freeze_count()))
    return real(*args, **kwargs)
commands.read_facts = probe
from dataflow_rules.cli import main
sys.argv = ['dataflow-rules', *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print('probe', seen, gc.isenabled(), file=sys.stderr)
"""


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    return done.stderr.strip().splitlines()[-1]


def test_check_collects_again_once_its_engine_is_built() -> None:
    line = _run("check", "--as-of", "2026-06-01", str(EXAMPLES / "cn-us-pi-100000.yaml"))
    seen, enabled = line.removeprefix("probe ").rsplit(" ", 1)
    ((on, frozen),) = ast.literal_eval(seen)
    assert on is True and frozen > 10_000  # the modules, models, catalogues and rulesets
    assert enabled == "True"


def test_every_other_command_collects_as_soon_as_it_is_loaded() -> None:
    assert _run("version").endswith("[] True")
    assert _run("catalogues").endswith("[] True")


def test_a_library_or_test_invocation_never_touches_the_collector() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    done = CliRunner().invoke(app, ["check", "--as-of", "2026-06-01", str(EXAMPLES / "cn-us-pi-100000.yaml")])
    assert done.exit_code == 4
    assert gc.isenabled() and gc.get_freeze_count() == frozen
