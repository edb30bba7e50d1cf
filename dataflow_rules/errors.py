"""The user-facing error tree.

Every error a user can cause has its own class and knows *where* (file, line, field) and
*what*. The CLI maps each class to a documented exit code, so a pipeline can tell a bad
catalogue from a bad transfer from a restrict verdict.

    DataflowRulesError
    ├── InputError               a transfer description is malformed          exit 5
    │   └── InputErrors          several of them, all reported at once        exit 5
    ├── TooLarge                 a service request is too large (HTTP 413)    exit 5
    ├── Busy                     the service is at its limit (HTTP 429)       exit 5
    ├── CatalogueError           a catalogue or the taxonomy is malformed     exit 6
    ├── EngineError              the engine failed; no decision was taken    exit 7
    ├── Interrupted              a batch stopped early; its output resumes    exit 7
    ├── AuditError               the audit store cannot be used              exit 8
    │   └── ChainBroken          the audit chain does not verify             exit 8
    └── TokenError               the token file or a token command is wrong  exit 14
    ConfigErrors (an Exception)  every error of a scan config file            exit 5
    BadRequest (an Exception)    a malformed service request (HTTP 400/415)   (no exit)

:class:`ExitCode` below is the one table of exit codes (docs/cli.md lists them all): the
verdicts, the error classes' codes and the workbench's outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .audit.records import Verification


class ExitCode(IntEnum):
    """Every exit code the tool gives, stable once published (docs/cli.md)."""

    ALLOW = 0
    CRASH = 1
    """An unexpected failure (a bug); the traceback is printed."""
    USAGE = 2
    REVIEW = 3
    RESTRICT = 4
    INPUT = 5
    CATALOGUE = 6
    ENGINE = 7
    AUDIT = 8
    CHAIN_BROKEN = 9
    LINT_WARNINGS = 10
    TEST_FAILED = 11
    COVERAGE_LOW = 12
    DIFF_CHANGED = 13
    TOKEN = 14


def verdict_exit(verdict: str) -> ExitCode:
    """The exit code of a verdict (``allow``, ``review``, ``restrict``): the strictest
    verdict of a run is its exit code."""
    return ExitCode[str(verdict).upper()]


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

    exit_code: int = ExitCode.CRASH

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

    exit_code: int = ExitCode.INPUT


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

    exit_code: int = ExitCode.CATALOGUE


class EngineError(DataflowRulesError):
    """The rules engine failed; the transfer was not decided."""

    exit_code: int = ExitCode.ENGINE


class Interrupted(DataflowRulesError):
    """The run stopped before the end of its input; the output is a resumable prefix."""

    exit_code: int = ExitCode.ENGINE


class ConfigErrors(Exception):
    """Every error of a config file, one located line each (exit 5)."""

    exit_code: int = ExitCode.INPUT

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class TooLarge(DataflowRulesError):
    """The request is larger than the service accepts (HTTP 413)."""

    exit_code: int = ExitCode.INPUT


class Busy(DataflowRulesError):
    """As many decision requests as the service takes at once are in progress (HTTP 429):
    one more would only make every one of them slower, so it is refused at once."""

    exit_code: int = ExitCode.INPUT


class AuditError(DataflowRulesError):
    """The audit store cannot be opened, read or written. Nothing was recorded."""

    exit_code: int = ExitCode.AUDIT


class ChainBroken(AuditError):
    """The store does not verify: it is not signed."""

    def __init__(self, problems: list[str], chain: Verification) -> None:
        super().__init__(f"not signed: the store does not verify ({len(problems)} problem(s))")
        self.chain_problems = problems
        self.chain = chain


class TokenError(DataflowRulesError):
    """The token file cannot be read or written, or a token command was misused."""

    exit_code: int = ExitCode.TOKEN


class BadRequest(Exception):
    """A malformed request (not a malformed transfer): HTTP 400 or 415.

    Not a :class:`DataflowRulesError`: it says what is wrong with the HTTP request itself
    (its media type, its query), so it has an HTTP status and an error kind, not an exit code.
    """

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message
