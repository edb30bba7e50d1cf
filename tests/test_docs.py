"""Every command the README and docs/ show runs as written, on a copy of the repository
as shipped; the vocabulary tables of docs/transfers.md are the taxonomy's; the README's
first screen shows the output its first command really prints.

A command is a line of a ```sh block (and a ``run:`` step of a workflow shown in a yaml
block). A document's commands run in its order, as a reader types them (``new transfer
--output first.yaml`` before ``check first.yaml``), with bash in a scratch git repository of
the document's own holding a copy of this project (two commits, so ``HEAD~1:policies`` names
a real revision), with ``.venv`` linking to the environment running the tests. One test per
document runs them all, so no test depends on another having run first, in the same
process or in this order (pytest-xdist spreads tests over processes). A command passes
when it exits 0, or 3/4 (review/restrict) for a command that decides transfers: 1
(crash), 2 (usage), 5-13 (errors) fail the test. The few lines that cannot run here are
in SKIPPED with the reason, and each must still match a documented line, so the list
cannot go stale.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dataflow_rules.catalogues import load_policies
from dataflow_rules.docgen import regenerate

from .conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INSTALL = re.compile(r"^python3 -m venv \.venv && \.venv/bin/pip install -q \S+ && ")
"""The README's install prefix: installing needs the network, which tests may not use;
the rest of the line runs (in an environment where the project is already installed)."""
SKIPPED = {
    "pip install": "installs from the network; .ci/run installs the project",
    "python -m pytest": "the test suite itself",
    "dataflow-rules serve": "a long-running server; tests/server starts and drives it",
    "curl -s": "needs a running server; tests/server/test_api.py makes the same request",
    "--waivers dataflow-waivers.yaml": "a workflow step for the user's repository, which keeps its own waiver "
    "file; tests/scan/test_github_actions.py runs the shipped workflow under act",
}
DECIDES = ("check", "scan", "explain", "batch")


def _commands() -> list[tuple[str, int, str]]:
    """(doc, block number, command) for every runnable line, in document order."""
    out = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        blocks = re.finditer(r"^```(sh|yaml)\n(.*?)^```", text, re.S | re.M)
        for n, block in enumerate(blocks):
            body = block[2].replace("\\\n", " ")
            for line in body.splitlines():
                line = line.strip()
                if block[1] == "yaml":
                    m = re.match(r"^-?\s*run:\s*(dataflow-rules .*)$", line)
                    if m:
                        out.append((doc.name, n, m[1]))
                elif line and not line.startswith("#"):
                    out.append((doc.name, n, INSTALL.sub("", line)))
    return out


COMMANDS = _commands()
RUNNABLE = [c for c in COMMANDS if not any(s in c[2] for s in SKIPPED)]


def test_every_skip_names_a_documented_command() -> None:
    for pattern in SKIPPED:
        assert any(pattern in c for _, _, c in COMMANDS), f"SKIPPED lists '{pattern}', which no doc shows"
    assert len(RUNNABLE) >= 15  # the README's and docs' commands are found at all


def _scratch(repo: Path) -> Path:
    """A git repository at ``repo`` holding a copy of the project, two commits deep."""
    skip = shutil.ignore_patterns(
        ".git", ".venv", ".ci-wheelhouse", "build", "*.egg-info", "__pycache__", ".*_cache"
    )
    shutil.copytree(ROOT, repo, symlinks=True, ignore=skip, dirs_exist_ok=True)
    (repo / ".venv").symlink_to(Path(sys.executable).parent.parent)
    git = [
        "git",
        "-c",
        "user.name=docs",
        "-c",
        "user.email=docs@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["commit", "-qm", "as shipped"],
        ["commit", "-q", "--allow-empty", "-m", "next"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True, timeout=60)
    return repo


def _failure(doc: str, command: str, scratch: Path) -> str | None:
    """Run one documented command in ``scratch``; what went wrong, or None."""
    env = {
        **os.environ,
        "PYTHONPATH": str(scratch),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
    }
    if "new transfer --output" in command:  # the docs write a new file: run it as if for the first time
        target = command.split("--output", 1)[1].split()[0]
        (scratch / target).unlink(missing_ok=True)
    done = subprocess.run(
        ["bash", "-c", command], cwd=scratch, env=env, capture_output=True, timeout=240, check=False
    )
    allowed = {0, 3, 4} if re.search(rf"dataflow-rules ({'|'.join(DECIDES)})\b", command) else {0}
    if done.returncode in allowed:
        return None
    return f"{doc}: `{command}` exited {done.returncode}\n{done.stdout.decode()[-2000:]}\n{done.stderr.decode()[-2000:]}"


RUNNABLE_DOCS = sorted({d for d, _, _ in RUNNABLE})


@pytest.mark.parametrize("doc", RUNNABLE_DOCS)
def test_documented_commands_run_in_order(doc: str, tmp_path: Path) -> None:
    """Every runnable command of ``doc``, in document order, in one scratch repository;
    every failing command is reported, not only the first."""
    scratch = _scratch(tmp_path / "repo")
    commands = [c for d, _, c in RUNNABLE if d == doc]
    failures = [f for f in (_failure(doc, c, scratch) for c in commands) if f is not None]
    assert not failures, "\n\n".join(failures)


def test_transfers_doc_vocabularies_are_the_taxonomys() -> None:
    page = ROOT / "docs" / "transfers.md"
    text = page.read_text(encoding="utf-8")
    assert text.count("<!-- vocab ") >= 8
    assert regenerate(text, load_policies()) == text, (
        "docs/transfers.md differs from the taxonomy: run `python -m dataflow_rules.docgen docs/transfers.md`"
    )


def test_readme_first_screen_shows_what_its_first_command_prints() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)\n```\n\nIt prints:\n\n```\n(.*?)```", readme, re.S)
    assert first, "the README's first command is followed by 'It prints:' and its output"
    command = INSTALL.sub("", first[1]).replace(".venv/bin/", "")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COLUMNS": "100",
    }
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False
    )
    assert done.stdout.decode() == first[2]
    assert readme.index("It prints:") < 1500 * 2  # on the first screen, before any other section
