"""Gitignore-style patterns, for ``.gitignore`` files and ``--include``/``--exclude``.

The syntax is git's (gitignore(5)), as pathspec implements it (its ``GitIgnoreSpecPattern``
compiles each line); this module only adds what a scan reports beside a match: the
directory a ``.gitignore`` pattern is relative to, and where it was written, for "skipped
because .gitignore:3". The last matching pattern wins. A directory that is ignored is not
entered, so nothing beneath it can be re-included, as in git.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern


@dataclass(frozen=True)
class Pattern:
    """One pattern line, compiled, with where it came from (for 'skipped because')."""

    text: str
    regex: re.Pattern[str]
    negated: bool
    base: str
    """The directory the pattern is relative to: a posix path, '' for the top."""
    origin: str
    """Where the pattern was written, e.g. ``.gitignore:3`` or ``--exclude``."""

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            path = path[len(self.base) + 1 :]
        # pathspec's patterns read a directory as its path with a trailing slash, so a
        # trailing-slash pattern ("build/") matches directories only.
        return self.regex.match(path + "/" if is_dir else path) is not None


def compile_pattern(line: str, base: str = "", origin: str = "") -> Pattern | None:
    """Compile one gitignore line; ``None`` for blank lines and comments."""
    regex, include = GitIgnoreSpecPattern.pattern_to_regex(line.rstrip("\r\n"))
    if regex is None or include is None:
        return None
    return Pattern(line.strip(), re.compile(regex, re.DOTALL), not include, base.strip("/"), origin)


def parse_lines(lines: Iterable[str], base: str, source: str) -> list[Pattern]:
    """Every pattern of an ignore file, each remembering its file and line."""
    out = []
    for number, line in enumerate(lines, 1):
        pattern = compile_pattern(line, base, f"{source}:{number}")
        if pattern is not None:
            out.append(pattern)
    return out


def decide(patterns: Sequence[Pattern], path: str, is_dir: bool) -> Pattern | None:
    """The last pattern matching ``path``: it ignores unless it is a negation."""
    found = None
    for pattern in patterns:
        if pattern.matches(path, is_dir):
            found = pattern
    return found


def ignored_by(patterns: Sequence[Pattern], path: str, is_dir: bool) -> Pattern | None:
    """The pattern that ignores ``path``, or ``None`` if it is not ignored."""
    found = decide(patterns, path, is_dir)
    return found if found is not None and not found.negated else None
