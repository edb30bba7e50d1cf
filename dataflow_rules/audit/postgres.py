"""The PostgreSQL audit store, selected by a ``postgresql://`` URL (needs psycopg).

Appending locks the table in SHARE ROW EXCLUSIVE mode (writers wait for each other,
readers do not) before reading the chain's head, so concurrent writers in any number of
processes extend one chain. A commit returns once PostgreSQL has made it durable
(``synchronous_commit`` is forced on for the session). Triggers refuse UPDATE, DELETE and
TRUNCATE.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

from .records import NewRecord, Row
from .store import SqlStore, create_table, driver_errors

TABLE = "dataflow_audit_records"
_SETUP_LOCK = 0x64667261  # advisory lock id for schema set-up ("dfra")
_COUNTING_LOCK = 0x6466726C  # advisory lock id held from reading the ledger to recording ("dfrl")

_SCHEMA = (
    create_table(TABLE, integer="bigint", text="text"),
    f"CREATE INDEX IF NOT EXISTS {TABLE}_transfer ON {TABLE} (transfer_id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_requester ON {TABLE} (requested_by)",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()""",
    f"""CREATE OR REPLACE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse()""",
)


def redact(url: str) -> str:
    """The URL without its password, for messages and ``display``."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class PostgresStore(SqlStore):
    kind = "postgresql"
    table = TABLE
    mark = "%s"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.display = redact(url)
        self._db: psycopg.Connection[Any] | None = None
        with self._run("open"):
            self._connect()
            with self._transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
                for statement in _SCHEMA:
                    cur.execute(statement)

    def _connect(self) -> psycopg.Connection[Any]:
        if self._db is None or self._db.closed or self._db.broken:
            if self._db is not None:
                with contextlib.suppress(psycopg.Error):
                    self._db.close()
            self._db = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            self._db.execute("SET synchronous_commit = on")
        return self._db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        db = self._connect()
        with db.transaction(), db.cursor() as cur:
            yield cur

    @contextlib.contextmanager
    def _counting_lock(self) -> Iterator[None]:
        """A session advisory lock on this store's connection (appends run in transactions
        on the same connection, so it is held across them)."""
        with self._run("lock the ledger"):
            db = self._connect()
            db.execute("SELECT pg_advisory_lock(%s)", (_COUNTING_LOCK,))
        try:
            yield
        finally:
            with contextlib.suppress(psycopg.Error):
                db.execute("SELECT pg_advisory_unlock(%s)", (_COUNTING_LOCK,))

    def _run(self, what: str) -> contextlib.AbstractContextManager[None]:
        return driver_errors(f"audit store {self.display}: cannot {what}", psycopg.Error)

    def _append(self, records: Sequence[NewRecord]) -> list[Row]:
        with self._run("record the decision"), self._transaction() as cur:
            cur.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
            cur.execute(f"SELECT seq, hash FROM {TABLE} ORDER BY seq DESC LIMIT 1")
            head = cur.fetchone()
            rows = self._chain(None if head is None else (int(head[0]), str(head[1])), records)
            cur.executemany(*self._insert(rows))
        return rows

    def _fetch(self, sql: str, params: Sequence[object]) -> list[Row]:
        with self._run("read"):
            cur = self._connect().execute(sql, params)
            return [Row(*r) for r in cur.fetchall()]

    def _count(self) -> int:
        with self._run("read"):
            found = self._connect().execute(f"SELECT count(*) FROM {TABLE}").fetchone()
        return int(found[0]) if found else 0

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(psycopg.Error):
                self._db.close()
