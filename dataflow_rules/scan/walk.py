"""Finding the files to scan: paths given, directories walked, include/exclude/.gitignore.

Files named on the command line are always read unless ``--exclude`` matches them (a
pre-commit hook passes exactly the changed files). Files found by walking a directory must
match an ``--include`` pattern (default ``*.yaml``, ``*.yml``, ``*.json``) and no
``--exclude`` pattern, and not be ignored by a ``.gitignore`` of the repository. ``.git``
is never entered and symbolic links to directories are not followed. A symbolic link that
loops or leads nowhere is reported as skipped, with the reason, and the walk goes on (a
loop used to end the scan with a traceback). Order is sorted by path, so the same tree
always gives the same scan.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .ignore import Pattern, compile_pattern, decide, ignored_by, parse_lines

DEFAULT_INCLUDE = ("*.yaml", "*.yml", "*.json", "*.ndjson", "*.jsonl")


@dataclass(frozen=True)
class Candidate:
    path: Path
    display: str
    """The path as reports show it: relative to the working directory when below it, posix."""
    explicit: bool


@dataclass(frozen=True)
class Skipped:
    display: str
    reason: str


@dataclass
class Walk:
    files: list[Candidate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def display_path(path: Path, cwd: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix() or "."
    except ValueError:
        return absolute.as_posix()


def _key(path: Path) -> str:
    """An absolute posix path without its leading slash: what .gitignore patterns see."""
    return Path(os.path.abspath(path)).as_posix().lstrip("/")


def cli_patterns(values: Sequence[str], option: str) -> list[Pattern]:
    out = []
    for value in values:
        pattern = compile_pattern(value, "", option)
        if pattern is not None:
            out.append(pattern)
    return out


class Walker:
    def __init__(
        self,
        include: Sequence[str] = DEFAULT_INCLUDE,
        exclude: Sequence[str] = (),
        gitignore: bool = True,
        cwd: Path | None = None,
    ) -> None:
        # Matched on lower-cased names: a transfer in T.YAML or x.Json must not slip past the
        # gate because of its spelling (extensions are case-insensitive on most systems).
        self.include = cli_patterns([p.lower() for p in include], "--include")
        self.exclude = cli_patterns(exclude, "--exclude")
        self.gitignore = gitignore
        self.cwd = Path(os.path.abspath(cwd or Path.cwd()))
        self.result = Walk()
        self._seen: set[str] = set()
        self._git: dict[str, tuple[frozenset[str], frozenset[str]] | None] = {}
        """Each repository top's tracked files and the directories holding them."""

    def walk(self, paths: Sequence[Path]) -> Walk:
        for path in paths:
            display = display_path(path, self.cwd)
            if path.is_dir():
                self._directory(path, self._ancestor_ignores(path))
            elif path.is_file():
                self._file(path, display, explicit=True, ignores=[])
            else:
                self.result.missing.append(display)
        self.result.files.sort(key=lambda c: c.display)
        self.result.skipped.sort(key=lambda s: s.display)
        return self.result

    def _included(self, display: str) -> Pattern | None:
        """The last ``--include`` pattern matching ``display``, compared case-insensitively."""
        return decide(self.include, display.lower(), False)

    def _excluded(self, display: str, is_dir: bool) -> str | None:
        pattern = ignored_by(self.exclude, display, is_dir)
        return f"excluded by --exclude '{pattern.text}'" if pattern else None

    def _gitignored(self, path: Path, is_dir: bool, ignores: Sequence[Pattern]) -> str | None:
        pattern = ignored_by(ignores, _key(path), is_dir)
        if pattern is None or self._tracked(path, is_dir):
            return None
        return f"ignored by {pattern.origin} ('{pattern.text}')"

    def _tracked(self, path: Path, is_dir: bool) -> bool:
        """Whether git tracks ``path`` (for a directory: a file beneath it). A ``.gitignore``
        has no effect on tracked files, in git as here: a committed transfer named in a
        committed ``.gitignore`` was left out and the gate passed on a repository holding a
        restricted transfer. Outside a git work tree, or when git cannot say, only the
        ``.gitignore`` files decide (as before)."""
        absolute = os.path.abspath(path)
        tracked = self._tracked_in(Path(absolute))
        if not tracked:
            return False
        files, directories = tracked
        return absolute in directories if is_dir else absolute in files

    def _tracked_in(self, path: Path) -> tuple[frozenset[str], frozenset[str]] | None:
        top = next((p for p in path.parents if (p / ".git").exists()), None)
        if top is None:
            return None
        key = str(top)
        if key not in self._git:
            self._git[key] = _git_tracked(top)
        return self._git[key]

    def _file(self, path: Path, display: str, explicit: bool, ignores: Sequence[Pattern]) -> None:
        if display in self._seen:
            return
        reason = self._excluded(display, False)
        if reason is None and not explicit:
            included = self._included(display)
            if included is None or included.negated:
                return  # not a candidate at all: not reported
            reason = self._gitignored(path, False, ignores)
        self._seen.add(display)
        if reason:
            self.result.skipped.append(Skipped(display, reason))
        else:
            self.result.files.append(Candidate(path, display, explicit))

    def _directory(self, root: Path, inherited: list[Pattern]) -> None:
        ignores = inherited + self._load(root)
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError as exc:
            self.result.skipped.append(
                Skipped(display_path(root, self.cwd) + "/", f"cannot read directory: {exc.strerror}")
            )
            return
        for entry in entries:
            path = Path(entry.path)
            display = display_path(path, self.cwd)
            if entry.is_dir(follow_symlinks=False):
                if entry.name == ".git":
                    continue
                reason = self._excluded(display, True) or self._gitignored(path, True, ignores)
                if reason:
                    self.result.skipped.append(Skipped(display + "/", reason))
                    continue
                self._directory(path, ignores)
            elif entry.is_symlink():
                self._link(path, display, ignores)
            elif entry.is_file():
                self._file(path, display, explicit=False, ignores=ignores)
            else:
                self._special(display, "not a regular file (a FIFO, socket or device): not read")

    def _special(self, display: str, reason: str) -> None:
        """Report a path that is not read, if its name would have been scanned."""
        included = self._included(display)
        if included is None or included.negated or self._excluded(display, False) or display in self._seen:
            return
        self._seen.add(display)
        self.result.skipped.append(Skipped(display, reason))

    def _link(self, path: Path, display: str, ignores: Sequence[Pattern]) -> None:
        """A symbolic link met while walking: followed to a regular file; reported if it
        loops or dangles (when its name would have been scanned), or leads to a directory."""
        try:
            target = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._special(display, "symbolic link loop")
            elif exc.errno == errno.ENOENT:
                self._special(display, f"dangling symbolic link (to {os.readlink(path)})")
            else:
                self._special(display, f"cannot follow the symbolic link: {exc.strerror}")
            return
        if stat.S_ISREG(target.st_mode):
            self._file(path, display, explicit=False, ignores=ignores)
        elif stat.S_ISDIR(target.st_mode):
            # Not followed (a loop, or the same files twice), but said: a manifest behind a
            # link to a directory outside the paths scanned was in no report at all.
            reason = self._excluded(display, True) or self._gitignored(path, True, ignores)
            self.result.skipped.append(
                Skipped(
                    display + "/",
                    reason
                    or f"symbolic link to a directory (to {os.readlink(path)}): not followed; scan its target",
                )
            )
        else:
            self._special(
                display, "symbolic link to something not a regular file (a FIFO, socket or device): not read"
            )

    def _load(self, directory: Path) -> list[Pattern]:
        if not self.gitignore:
            return []
        ignore_file = directory / ".gitignore"
        if not ignore_file.is_file():
            return []
        try:
            lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        return parse_lines(lines, _key(directory), display_path(ignore_file, self.cwd))

    def _ancestor_ignores(self, root: Path) -> list[Pattern]:
        """The .gitignore files above ``root`` up to its repository's top, outermost first."""
        if not self.gitignore:
            return []
        absolute = Path(os.path.abspath(root))
        if (absolute / ".git").exists():
            return []
        chain: list[Path] = []
        for parent in absolute.parents:
            chain.append(parent)
            if (parent / ".git").exists():
                break
        else:
            return []  # not inside a repository: only the walked tree's own files count
        patterns: list[Pattern] = []
        for directory in reversed(chain):
            patterns += self._load(directory)
        return patterns


_GIT = ("git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null")


def _git_tracked(top: Path) -> tuple[frozenset[str], frozenset[str]] | None:
    """The absolute paths of the files git tracks under ``top``, and every directory above
    one of them (None when git is missing or ``top`` is no work tree it can read)."""
    import subprocess

    try:
        listed = subprocess.run(
            # no fsmonitor or hook command of the scanned repository's own config is run
            [*_GIT, "-C", str(top), "ls-files", "-z", "--cached"],
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files: set[str] = set()
    directories: set[str] = set()
    for name in listed.decode("utf-8", "surrogateescape").split("\0"):
        if not name:
            continue
        full = os.path.join(str(top), name)
        files.add(full)
        parent = os.path.dirname(full)
        while len(parent) > len(str(top)) and parent not in directories:
            directories.add(parent)
            parent = os.path.dirname(parent)
    return frozenset(files), frozenset(directories)
