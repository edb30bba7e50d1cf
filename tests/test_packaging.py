"""What the wheel carries: the shipped catalogues (top-level ``policies/``) and their test
suites with the transfers they use (``policies-tests/``), inside the package, so
``dataflow-rules check`` and ``dataflow-rules test`` run from any directory once installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".ci-wheelhouse", "build", "*.egg-info", "__pycache__", ".*_cache"
)


def test_policies_are_real_directories_in_the_repository() -> None:
    """``git show HEAD:policies/cn.yaml``, ``diff HEAD~1:policies`` and ``cp -r policies``
    need directories, not links."""
    for name in ("policies", "policies-tests"):
        assert (ROOT / name).is_dir() and not (ROOT / name).is_symlink(), name
    assert not (ROOT / "dataflow_rules" / "policies").exists()
    assert (ROOT / "policies" / "cn.yaml").is_file()


def _wheel(tmp_path: Path) -> Path:
    source, out = tmp_path / "src", tmp_path / "dist"
    shutil.copytree(ROOT, source, symlinks=True, ignore=SKIP)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            ".",
        ],
        cwd=source,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout.decode() + built.stderr.decode()
    (wheel,) = out.glob("dataflow_rules-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_carries_the_catalogues_and_runs_outside_the_repository(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        infos = {i.filename: i for i in z.infolist()}
    policies = sorted(p.name for p in (ROOT / "policies").glob("*.yaml"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("dataflow_rules/policies/")) == policies
    assert "dataflow_rules/policies/taxonomy.yaml" in names
    suites = sorted(p.name for p in (ROOT / "policies-tests").glob("*_test.yaml"))
    shipped = sorted(
        n.rsplit("/", 1)[1]
        for n in names
        if re.fullmatch(r"dataflow_rules/policies-tests/[^/]+_test\.yaml", n)
    )
    assert shipped == suites and suites
    for example in (ROOT / "examples").glob("*.yaml"):  # copies of the files the suites name
        assert f"dataflow_rules/policies-tests/examples/{example.name}" in names
    for name, info in infos.items():  # no link back into a repository
        assert (info.external_attr >> 16) & 0o170000 != 0o120000, name
    assert not any(n.startswith(("policies/", "policies-tests/", "examples/")) for n in names)

    lib, elsewhere = tmp_path / "lib", tmp_path / "elsewhere"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(lib)
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(lib)}
    for args in (["test"], ["catalogues"]):
        run = subprocess.run(
            [sys.executable, "-m", "dataflow_rules.cli", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
        if args == ["test"]:
            assert re.match(r"(\d+)/\1 tests passed, 0 failed\n", run.stdout.decode()), run.stdout.decode()
    located = subprocess.run(
        [
            sys.executable,
            "-c",
            "from dataflow_rules.catalogues import default_policy_dir; print(default_policy_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert Path(located.stdout.decode().strip()) == lib / "dataflow_rules" / "policies"


def test_a_source_checkout_finds_the_top_level_directories() -> None:
    """An editable install or ``PYTHONPATH=.`` imports the package from the source tree: the
    shipped directories are the repository's own, not stale copies."""
    from dataflow_rules.catalogues import default_policy_dir
    from dataflow_rules.workbench.suites import default_suites

    assert default_policy_dir() == ROOT / "policies"
    assert default_suites(ROOT / "docs") == ROOT / "policies-tests"
