"""Gitignore-style patterns, for ``.gitignore`` files and ``--include``/``--exclude``.

The syntax is git's (gitignore(5)): ``#`` comments, ``!`` negation, a trailing ``/`` for
directories only, a pattern with a slash anchored to its file's directory and one without
matching a name at any depth, ``*``, ``?``, ``[...]`` and ``**`` (leading ``**/``, trailing
``/**`` and middle ``/**/``). The last matching pattern wins. A directory that is ignored is
not entered, so nothing beneath it can be re-included, as in git.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    """One pattern line, compiled, with where it came from (for 'skipped because')."""

    text: str
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    base: str
    """The directory the pattern is relative to: a posix path, '' for the top."""
    origin: str
    """Where the pattern was written, e.g. ``.gitignore:3`` or ``--exclude``."""

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.base:
            if not path.startswith(self.base + "/"):
                return False
            path = path[len(self.base) + 1 :]
        return self.regex.match(path) is not None


def compile_pattern(line: str, base: str = "", origin: str = "") -> Pattern | None:
    """Compile one gitignore line; ``None`` for blank lines and comments."""
    text = line.rstrip("\n").rstrip("\r")
    # Trailing spaces are ignored unless escaped with a backslash.
    while text.endswith(" ") and not text.endswith("\\ "):
        text = text[:-1]
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated or text.startswith("\\!") or text.startswith("\\#"):
        text = text[1:]
    dir_only = text.endswith("/") and not text.endswith("\\/")
    if dir_only:
        text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    prefix = "" if anchored else "(?:.*/)?"
    regex = re.compile(f"^{prefix}{body}$", re.DOTALL)
    shown = ("!" if negated else "") + line.strip()
    return Pattern(shown, regex, negated, dir_only, base.strip("/"), origin)


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                j = i + 2
                at_end = j == n or pattern[j] == "/"
                if at_start and at_end:
                    if j == n:  # trailing '/**' or a lone '**': everything below
                        out.append(".*")
                        i = j
                    else:  # '**/' : zero or more directories
                        out.append("(?:.*/)?")
                        i = j + 1
                    continue
                # other consecutive asterisks are ordinary asterisks
                while i < n and pattern[i] == "*":
                    i += 1
                out.append("[^/]*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = _class_end(pattern, i)
            if end < 0:
                out.append(re.escape(c))
            else:
                inner = pattern[i + 1 : end]
                if inner.startswith("!") or inner.startswith("^"):
                    inner = "^" + inner[1:]
                out.append("[" + inner.replace("\\", "\\\\") + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int:
    j = start + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    return j if j < len(pattern) else -1


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
