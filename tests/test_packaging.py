"""What the wheel carries: the shipped catalogues' test suites and the transfers they use,
so ``dataflow-rules test`` runs from any directory once the package is installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".ci-wheelhouse", "build", "*.egg-info", "__pycache__", ".*_cache"
)


def test_installed_suites_run_outside_the_repository(tmp_path: Path) -> None:
    source, lib, elsewhere = tmp_path / "src", tmp_path / "lib", tmp_path / "elsewhere"
    shutil.copytree(ROOT, source, symlinks=True, ignore=SKIP)
    # setuptools' own build step for package data: what a wheel built from this tree holds.
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(lib),
        ],
        cwd=source,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr.decode()
    suites = lib / "dataflow_rules" / "policies-tests"
    shipped = sorted(p.name for p in (ROOT / "policies-tests").glob("*_test.yaml"))
    assert sorted(p.name for p in suites.glob("*_test.yaml")) == shipped and shipped
    assert not (suites / "examples").is_symlink()  # copies, not a link back into a repository
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(lib)}
    run = subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", "test"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
    assert re.match(r"(\d+)/\1 tests passed, 0 failed\n", run.stdout.decode()), run.stdout.decode()
