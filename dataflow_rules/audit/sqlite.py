"""The default audit store: one SQLite file in WAL mode, created on first use.

``synchronous=FULL`` makes every commit reach the disk before ``append`` returns, so an
acknowledged record survives the process (or the machine) going down; a transaction that
was interrupted leaves nothing behind. ``BEGIN IMMEDIATE`` takes SQLite's write lock
before the chain's head is read, so writers in other processes wait their turn instead of
forking the chain.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..secure_files import PRIVATE_FILE, touch_private
from .records import AuditError, NewRecord, Row
from .store import SqlStore, create_table, driver_errors

SCHEMA_VERSION = 1
TABLE = "audit_records"

_SCHEMA = (
    create_table(TABLE, integer="INTEGER", text="TEXT"),
    f"CREATE INDEX IF NOT EXISTS {TABLE}_transfer ON {TABLE} (transfer_id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_requester ON {TABLE} (requested_by)",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
)


class SqliteStore(SqlStore):
    kind = "sqlite"
    table = TABLE
    mark = "?"

    def __init__(self, path: Path, *, create: bool = True) -> None:
        super().__init__()
        self.path = path
        self.display = str(path)
        if not create and not path.is_file():
            raise AuditError(f"no audit store at {path} (nothing has been recorded there)")
        try:
            if create:
                # The store holds full transfer descriptions: 0600 (its directory 0700 if
                # made here) whatever the umask; SQLite gives its -wal and -shm files the
                # database file's mode.
                touch_private(path)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise AuditError(f"cannot open audit store {path}: {exc}") from None
        try:
            self._setup(create)
        except sqlite3.Error as exc:
            self._db.close()
            raise AuditError(f"cannot open audit store {path}: {exc}") from None

    def _setup(self, create: bool) -> None:
        db = self._db
        db.execute("PRAGMA busy_timeout = 30000")
        # Whether the file is a store is asked before anything is written: a reader
        # (check --ledger, audit list) switching it to WAL first turned an empty file into
        # a 4 KB database and left another program's database in WAL mode, and then said
        # it was no store. Bad input changes nothing.
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if exists and version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"the store was written by a newer dataflow-rules (schema {version}; this one knows {SCHEMA_VERSION})"
            )
        if not exists and not create:
            raise sqlite3.DatabaseError("the file is not a dataflow-rules audit store")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"the file cannot use WAL mode (journal mode is {mode})")
        db.execute("PRAGMA synchronous = FULL")
        if create:
            with self._transaction():
                for statement in _SCHEMA:  # each idempotent
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _counting_lock(self) -> Iterator[None]:
        """An exclusive ``flock`` on ``STORE.lock`` (0600) beside the store: SQLite's own
        write lock cannot be held across the decisions, as the append takes it again."""
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
        except OSError as exc:
            raise AuditError(f"cannot lock audit store {self.path}: {lock}: {exc.strerror}") from None
        try:
            os.fchmod(fd, PRIVATE_FILE)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _run(self, what: str) -> contextlib.AbstractContextManager[None]:
        return driver_errors(f"audit store {self.path}: cannot {what}", sqlite3.Error)

    def _append(self, records: Sequence[NewRecord]) -> list[Row]:
        with self._run("record the decision"), self._transaction() as db:
            head = db.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1").fetchone()
            rows = self._chain(None if head is None else (int(head[0]), str(head[1])), records)
            db.executemany(*self._insert(rows))
        return rows

    def _fetch(self, sql: str, params: Sequence[object]) -> list[Row]:
        with self._run("read"):
            return [Row(*r) for r in self._db.execute(sql, params).fetchall()]

    def _count(self) -> int:
        with self._run("read"):
            return int(self._db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0])

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
