"""Special files and links: every reader refuses at once, with one line and exit 5 or 6.

``check /dev/zero``, ``yes | check -``, a FIFO, and ``validate`` or ``--policies`` on a
directory holding a FIFO or a link to /dev/zero grew without bound or hung; a symlink
loop crashed ``scan``. Each runs here with a timeout and a memory ceiling.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, POLICIES

GENOMIC = EXAMPLES / "us-cn-genomic-101.yaml"
MEMORY_CEILING = 1024 * 1024 * 1024
"""No command may get past this much address space (RLIMIT_AS), whatever it is given:
reading without bound dies of it (a MemoryError, not exit 5)."""


def run(
    *args: str, stdin: object = subprocess.DEVNULL, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    return subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=stdin,  # type: ignore[arg-type]
        cwd=cwd,
        preexec_fn=limit,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "transfer.yaml"
    os.mkfifo(path)
    return path


def test_check_refuses_a_fifo_without_waiting_for_a_writer(fifo: Path) -> None:
    result = run("check", str(fifo))
    assert result.returncode == 5
    assert one_line(result) == f"error: {fifo}: cannot read file: it is a FIFO, not a regular file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_check_refuses_a_device_and_a_link_to_one(device: str, tmp_path: Path) -> None:
    result = run("check", device)
    assert result.returncode == 5
    assert (
        one_line(result) == f"error: {device}: cannot read file: it is a character device, not a regular file"
    )
    link = tmp_path / "innocent.yaml"
    link.symlink_to(device)
    result = run("check", str(link))
    assert result.returncode == 5 and "character device" in one_line(result)


def test_check_reports_a_symlink_loop_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    result = run("check", str(tmp_path / "a.yaml"))
    assert result.returncode == 5
    assert (
        one_line(result)
        == f"error: {tmp_path / 'a.yaml'}: cannot read file: Too many levels of symbolic links"
    )


@pytest.mark.slow
def test_endless_stdin_is_cut_at_the_limit() -> None:
    """``yes | dataflow-rules check -``: refused after 16 MiB + 1 byte, within the ceiling."""
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        result = run("check", "-", stdin=yes.stdout)
    finally:
        yes.kill()
        yes.wait()
    assert result.returncode == 5, result.stderr
    assert one_line(result) == "error: <stdin>: input is larger than the limit of 16777216 bytes"


def test_dev_zero_as_stdin_is_cut_at_the_limit() -> None:
    with open("/dev/zero", "rb") as zero:
        result = run("check", "-", stdin=zero)
    assert result.returncode == 5 and "larger than the limit" in one_line(result)


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


@pytest.mark.parametrize("kind", ["fifo", "zero-link", "loop"])
def test_policies_with_a_special_catalogue_file_exit_6(policies: Path, kind: str) -> None:
    bad = policies / "zz.yaml"
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "zero-link":
        bad.symlink_to("/dev/zero")
    else:
        bad.symlink_to(policies / "zz.yaml")
    result = run("check", "--policies", str(policies), str(GENOMIC))
    assert result.returncode == 6, result.stderr
    line = one_line(result)
    assert line.startswith(f"error: {bad}: cannot read file: "), line
    validated = run("validate", str(policies))
    assert validated.returncode == 6, validated.stdout + validated.stderr
    assert str(bad) in validated.stdout + validated.stderr
    assert "cannot read file" in validated.stdout + validated.stderr


def test_a_fifo_taxonomy_is_refused_not_called_missing(policies: Path) -> None:
    (policies / "taxonomy.yaml").unlink()
    os.mkfifo(policies / "taxonomy.yaml")
    result = run("check", "--policies", str(policies), str(GENOMIC))
    assert result.returncode == 6
    assert one_line(result).endswith("taxonomy.yaml: cannot read file: it is a FIFO, not a regular file")


def test_scan_reports_loops_dangling_links_and_special_files_and_goes_on(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copy(GENOMIC, tree / "ok.yaml")
    (tree / "loop1.yaml").symlink_to("loop2.yaml")
    (tree / "loop2.yaml").symlink_to("loop1.yaml")
    (tree / "dangling.yaml").symlink_to("nowhere.yaml")
    (tree / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tree / "fifo.yaml")
    result = run("scan", "tree", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 4, result.stdout + result.stderr  # ok.yaml is a restrict: it was scanned
    out = result.stdout
    assert "tree/loop1.yaml: symbolic link loop" in out
    assert "tree/loop2.yaml: symbolic link loop" in out
    assert "tree/dangling.yaml: dangling symbolic link (to nowhere.yaml)" in out
    assert "tree/zero.yaml: symbolic link to something not a regular file" in out
    assert "tree/fifo.yaml: not a regular file" in out
    assert "1 transfer: 1 restrict" in out


def test_batch_refuses_a_device(tmp_path: Path) -> None:
    result = run("batch", "/dev/zero", "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 5
    assert (
        one_line(result) == "error: /dev/zero: cannot read file: it is a character device, not a regular file"
    )
