"""The user-facing error tree.

Every error a user can cause has its own class and knows *where* (file, line, field) and
*what*. The CLI maps each class to a documented exit code, so a pipeline can tell a bad
catalogue from a bad transfer from a restrict verdict.

    DataflowRulesError
    ├── InputError               a transfer description is malformed          exit 5
    ├── CatalogueError           a catalogue or the taxonomy is malformed     exit 6
    └── EngineError              the engine failed; no decision was taken    exit 7

Exit codes 0, 3 and 4 are the verdicts allow, review and restrict; 2 is a usage error
(unknown option), 1 an unexpected crash. docs/cli.md lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in a file a problem is: path, 1-based line and column, dotted field path."""

    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            where += f": {self.field}"
        return where


class DataflowRulesError(Exception):
    """Base of every error the tool raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as printed: one line, location first, no newlines from user data."""
        from .safe_text import printable

        text = f"{self.location}: {self.message}" if self.location else self.message
        return printable(" ".join(text.split()))


class InputError(DataflowRulesError):
    """A transfer description cannot be read or does not fit the schema."""

    exit_code = 5


class CatalogueError(DataflowRulesError):
    """A catalogue or the taxonomy cannot be read, does not fit the schema, or is inconsistent."""

    exit_code = 6


class EngineError(DataflowRulesError):
    """The rules engine failed; the transfer was not decided."""

    exit_code = 7
