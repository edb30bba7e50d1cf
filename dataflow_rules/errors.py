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

    @property
    def problems(self) -> tuple[DataflowRulesError, ...]:
        """Every problem this error stands for (one, unless it gathers several), so a
        caller can print them all and the user fixes a file in one run, not one per error."""
        return (self,)


class InputError(DataflowRulesError):
    """A transfer description cannot be read or does not fit the schema."""

    exit_code = 5


class InputErrors(InputError):
    """Several problems found in one run (schema and reference errors of every transfer of
    every file). It reads as its first problem to code that prints one line; :attr:`problems`
    holds them all, in file and line order."""

    def __init__(self, problems: list[InputError] | str, location: Location | None = None) -> None:
        # Also callable as InputError(message, location): code that re-raises an error as
        # ``type(exc)(message, location)`` (to relocate it) gets a one-problem error.
        if isinstance(problems, str):
            problems = [InputError(problems, location)]
        if not problems:
            raise ValueError("InputErrors needs at least one problem")
        flat = [q for p in problems for q in p.problems]
        self._problems: tuple[DataflowRulesError, ...] = tuple(flat)
        super().__init__(flat[0].message, flat[0].location)

    @property
    def problems(self) -> tuple[DataflowRulesError, ...]:
        return self._problems


def raise_all(problems: list[InputError]) -> None:
    """Raise nothing, the one problem, or all of them together."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputErrors(problems)


class CatalogueError(DataflowRulesError):
    """A catalogue or the taxonomy cannot be read, does not fit the schema, or is inconsistent."""

    exit_code = 6


class EngineError(DataflowRulesError):
    """The rules engine failed; the transfer was not decided."""

    exit_code = 7
