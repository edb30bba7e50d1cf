"""The audit store interface and how a store is chosen from a URL.

Two backends keep the same table: SQLite (the default, a file in WAL mode that needs no
set-up) and PostgreSQL (selected by a ``postgresql://`` URL). Both append inside one
transaction that holds the store's write lock while it reads the chain's head and inserts,
so two writers (a server and a ``check --record``, say) never fork the chain; both refuse
UPDATE and DELETE with a trigger; and both commit durably before ``append`` returns, so a
record that was acknowledged survives the process being killed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .records import (
    COLUMNS,
    GENESIS,
    AuditError,
    AuditRecord,
    NewRecord,
    Row,
    Verification,
    now_utc,
    seal,
    verify_rows,
)

ENV_VAR = "DATAFLOW_RULES_AUDIT_DB"
MAX_LIST = 1000


def default_location() -> str:
    """``$DATAFLOW_RULES_AUDIT_DB``, else ``$XDG_DATA_HOME/dataflow-rules/audit.sqlite``
    (``~/.local/share/...`` when XDG_DATA_HOME is unset): the same for the server and the
    command line, so a decision made by one is found by the other."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "dataflow-rules" / "audit.sqlite")


@dataclass(frozen=True)
class Query:
    """A search over records, newest first."""

    limit: int = 50
    before: int | None = None
    """Only records with a smaller id (for paging backwards)."""
    transfer_id: str | None = None
    requested_by: str | None = None
    verdict: str | None = None


class AuditStore(ABC):
    """Append-only, hash-chained decision records."""

    kind: str
    """``sqlite`` or ``postgresql``."""
    display: str
    """Where the records are, with any password removed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def append(self, records: Sequence[NewRecord]) -> list[AuditRecord]:
        """Append records as one transaction; return them as stored, once durable."""
        if not records:
            return []
        with self._lock:
            rows = self._append(records)
        return [AuditRecord.of(row) for row in rows]

    def _chain(self, head: tuple[int, str] | None, records: Sequence[NewRecord]) -> list[Row]:
        seq, prev = head if head is not None else (0, GENESIS)
        rows = []
        for new in records:
            seq += 1
            row = seal(new, seq, prev, now_utc())
            rows.append(row)
            prev = row.hash
        return rows

    def get(self, seq: int) -> AuditRecord | None:
        with self._lock:
            row = self._get(seq)
        return None if row is None else AuditRecord.of(row)

    def search(self, query: Query) -> list[AuditRecord]:
        limit = max(1, min(query.limit, MAX_LIST))
        with self._lock:
            rows = self._search(query, limit)
        return [AuditRecord.of(row) for row in rows]

    def rows(self, batch: int = 500, after: int = 0) -> Iterator[Row]:
        """Every row in chain order (those after record ``after``), read in batches (for
        verify, export and the ledger)."""
        while True:
            with self._lock:
                chunk = self._after(after, batch)
            yield from chunk
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """Held from reading the ledger to recording the decisions made with it, across
        processes: two ``check --record`` runs (or a run and the service) each read the
        trail, each decided 60,000 people of one exporter as the first, and both were
        allowed under China's 100,000 a year (2024 Provisions Art 8). Under this lock the
        second reads the first's record. Not re-entrant; the service takes it under its
        own thread lock."""
        with self._counting_lock():
            yield

    @abstractmethod
    def _counting_lock(self) -> contextlib.AbstractContextManager[None]: ...

    def verify(self, expected_head: str | None = None) -> Verification:
        return verify_rows(self.rows(), expected_head)

    def ping(self) -> int:
        """Number of records; raises AuditError if the store does not answer."""
        with self._lock:
            return self._count()

    @abstractmethod
    def _append(self, records: Sequence[NewRecord]) -> list[Row]: ...

    @abstractmethod
    def _get(self, seq: int) -> Row | None: ...

    @abstractmethod
    def _search(self, query: Query, limit: int) -> list[Row]: ...

    @abstractmethod
    def _after(self, seq: int, limit: int) -> list[Row]: ...

    @abstractmethod
    def _count(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CONSTRAINTS = {"seq": "PRIMARY KEY CHECK (seq > 0)", "requested_by": "", "hash": "NOT NULL UNIQUE"}
"""The records table's constraints where a column is not plain ``NOT NULL`` text; ``seq`` is
the one integer. One table shape both backends create from :data:`COLUMNS`, so a column
cannot be added to one store and not the other."""


def create_table(table: str, integer: str, text: str) -> str:
    """The ``CREATE TABLE`` of the records table, in a backend's names for the two types."""
    columns = ",\n".join(
        f"        {name} {integer if name == 'seq' else text}"
        + (f" {constraint}" if (constraint := _CONSTRAINTS.get(name, "NOT NULL")) else "")
        for name in COLUMNS  # Row's columns, in Row's order
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{columns}\n    )"


class SqlStore(AuditStore):
    """What both SQL backends read alike: one table of :data:`COLUMNS`, queried with the
    backend's placeholder (``mark``), every error of the driver an :class:`AuditError`."""

    table: str
    mark: str
    """The driver's parameter placeholder: ``?`` (sqlite3) or ``%s`` (psycopg)."""

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[object]) -> list[Row]:
        """The rows ``sql`` selects, read under ``_run("read")``."""

    @property
    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.table}"

    def _insert(self, rows: Sequence[Row]) -> tuple[str, list[tuple[object, ...]]]:
        """The INSERT of ``rows`` and its parameters, a tuple of the columns a row."""
        marks = ", ".join([self.mark] * len(COLUMNS))
        sql = f"INSERT INTO {self.table} ({', '.join(COLUMNS)}) VALUES ({marks})"
        return sql, [tuple(getattr(r, c) for c in COLUMNS) for r in rows]

    def _get(self, seq: int) -> Row | None:
        found = self._fetch(f"{self._select} WHERE seq = {self.mark}", (seq,))
        return found[0] if found else None

    def _search(self, query: Query, limit: int) -> list[Row]:
        clause, params = where(query, self.mark)
        return self._fetch(f"{self._select}{clause} ORDER BY seq DESC LIMIT {self.mark}", (*params, limit))

    def _after(self, seq: int, limit: int) -> list[Row]:
        return self._fetch(
            f"{self._select} WHERE seq > {self.mark} ORDER BY seq LIMIT {self.mark}", (seq, limit)
        )


@contextlib.contextmanager
def driver_errors(prefix: str, error: type[Exception]) -> Iterator[None]:
    """The driver's ``error`` as an :class:`AuditError` of one line: ``prefix: message``."""
    try:
        yield
    except error as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise AuditError(f"{prefix}: {message}") from None


def where(query: Query, placeholder: str) -> tuple[str, list[object]]:
    """The WHERE clause for a search, with the backend's placeholder (``?`` or ``%s``)."""
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (
        ("seq <", query.before),
        ("transfer_id =", query.transfer_id),
        ("requested_by =", query.requested_by),
        ("verdict =", query.verdict),
    ):
        if value is not None:
            clauses.append(f"{column} {placeholder}")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def open_store(url: str | None = None, *, create: bool = True) -> AuditStore:
    """Open the store at ``url``: a ``postgresql://`` (or ``postgres://``) URL, a
    ``sqlite:///relative`` or ``sqlite:////absolute`` URL, or a plain file path; None means :func:`default_location`.

    With ``create=False`` a SQLite file that does not exist is an error rather than a new,
    empty store (for the read-only ``audit`` commands, where a typo must not look like an
    empty trail).
    """
    target = url or default_location()
    if target.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError:
            raise AuditError(
                "a PostgreSQL audit store needs psycopg: pip install 'dataflow-rules[postgres]'"
            ) from None
        return PostgresStore(target)
    if target.startswith("sqlite:///"):
        target = target.removeprefix("sqlite:///")  # as SQLAlchemy: sqlite:////abs, sqlite:///rel
    elif "://" in target:
        scheme = target.split("://", 1)[0]
        raise AuditError(f"unsupported audit store URL scheme '{scheme}' (use a file path or postgresql://)")
    from .sqlite import SqliteStore

    return SqliteStore(Path(target), create=create)
