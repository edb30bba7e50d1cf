"""Catalogue versions named as a directory or a git revision (``HEAD~1:policies``).

A revision is written out with ``git archive`` into a temporary directory, so both
versions are loaded by the same loader from plain files.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import CatalogueError, Location


@contextlib.contextmanager
def policy_directory(spec: str, cwd: Path | None = None) -> Iterator[Path]:
    """A directory holding the catalogues ``spec`` names: an existing directory, or
    ``REV:PATH`` read from the git repository around ``cwd``."""
    plain = Path(cwd or ".") / spec
    if plain.is_dir() or ":" not in spec:
        if not plain.is_dir():
            raise CatalogueError("policy directory not found", Location(spec))
        yield plain
        return
    rev, _, sub = spec.partition(":")
    # REV:PATH is relative to the repository's top, and git archive run from a
    # subdirectory only sees that subdirectory: run git from the top.
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd, spec).decode(errors="replace").strip())
    cwd = top
    sub = _follow_links(rev, sub.strip("/") or ".", cwd, spec)
    with tempfile.TemporaryDirectory(prefix="dataflow-rules-rev-") as tmp:
        archive = _git(["archive", "--format=tar", f"{rev}:{sub}" if sub != "." else rev], cwd, spec)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and "/" not in m.name.strip("./")]
            if not members:
                raise CatalogueError(f"no files at '{sub}' in revision {rev}", Location(spec))
            for m in members:
                data = tar.extractfile(m)
                assert data is not None
                (Path(tmp) / Path(m.name).name).write_bytes(data.read())
        yield Path(tmp)


MAX_LINKS = 10
"""Symbolic links followed inside a revision before giving up (a loop is an error)."""


def _follow_links(rev: str, sub: str, cwd: Path | None, spec: str) -> str:
    """The path ``sub`` names in ``rev`` once symbolic links are followed: ``policies`` was
    a link in this repository's older revisions (to ``dataflow_rules/policies``), and ``git
    archive REV:policies`` refuses a link ("not a tree object")."""
    import posixpath

    for _ in range(MAX_LINKS):
        if sub == ".":
            return sub
        listed = _git(["ls-tree", "--full-tree", rev, "--", sub], cwd, spec).decode(errors="replace")
        mode, _, rest = listed.partition(" ")
        if mode != "120000":
            return sub
        blob = rest.split()[1]
        target = _git(["cat-file", "blob", blob], cwd, spec).decode(errors="replace").strip()
        if target.startswith("/"):
            raise CatalogueError(f"'{sub}' in revision {rev} links outside the repository", Location(spec))
        sub = posixpath.normpath(posixpath.join(posixpath.dirname(sub), target))
        if sub.startswith(".."):
            raise CatalogueError(f"'{sub}' in revision {rev} links outside the repository", Location(spec))
    raise CatalogueError(f"more than {MAX_LINKS} symbolic links at '{sub}' in revision {rev}", Location(spec))


def _git(args: list[str], cwd: Path | None, spec: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CatalogueError(f"cannot run git: {exc}", Location(spec)) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise CatalogueError(
            f"git cannot read this revision: {message[-1] if message else 'failed'}", Location(spec)
        )
    return done.stdout
