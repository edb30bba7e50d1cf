"""The audit store on both back-ends: append, read, search, the chain, and tampering."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules import Engine, Policies, read_transfers
from dataflow_rules.audit import AuditError, NewRecord, Query, open_store
from dataflow_rules.audit.records import GENESIS, canonical, digest

from ..conftest import EXAMPLES


def new_records(policies: Policies, engine: Engine, names: list[str], who: str = "alice") -> list[NewRecord]:
    out = []
    for name in names:
        for located in read_transfers(EXAMPLES / name, policies):
            decision = engine.decide(located.transfer)
            out.append(NewRecord.of(located.transfer, decision, policies, requested_by=who, channel="cli"))
    return out


EXAMPLE_NAMES = ["us-cn-genomic-101.yaml", "cn-us-missing-count.yaml", "cn-us-climate-research.yaml"]


def tamper(url: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """What someone with write access to the database could do: drop the guard, edit."""
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute("ALTER TABLE dataflow_audit_records DISABLE TRIGGER USER")
            db.execute(sql.replace("audit_records", "dataflow_audit_records").replace("?", "%s"), params)
            db.execute("ALTER TABLE dataflow_audit_records ENABLE TRIGGER USER")
    else:
        with sqlite3.connect(url) as db:
            db.execute("DROP TRIGGER audit_records_no_update")
            db.execute("DROP TRIGGER audit_records_no_delete")
            db.execute(sql, params)


def test_append_get_and_chain(store_url: str, policies: Policies, engine: Engine) -> None:
    records = new_records(policies, engine, EXAMPLE_NAMES)
    with open_store(store_url) as store:
        first = store.append(records[:1])
        rest = store.append(records[1:])
        stored = first + rest
        assert [r.seq for r in stored] == [1, 2, 3]
        assert stored[0].row.prev_hash == GENESIS
        assert stored[1].row.prev_hash == stored[0].hash and stored[2].row.prev_hash == stored[1].hash
        again = store.get(2)
        assert again is not None and again.row == stored[1].row
        assert again.decision == records[1].decision and again.transfer == records[1].transfer
        assert again.row.requested_by == "alice" and again.content["channel"] == "cli"
        assert again.hash == digest(again.row.body) and canonical(again.content) == again.row.body
        assert store.get(4) is None
        result = store.verify()
        assert result.ok and result.count == 3 and result.head == stored[2].hash
        assert store.ping() == 3


def test_records_survive_reopening(store_url: str, policies: Policies, engine: Engine) -> None:
    with open_store(store_url) as store:
        stored = store.append(new_records(policies, engine, EXAMPLE_NAMES[:2]))
    with open_store(store_url, create=False) as store:
        assert [r.row for r in store.search(Query())] == [r.row for r in reversed(stored)]
        more = store.append(new_records(policies, engine, EXAMPLE_NAMES[2:]))
        assert more[0].seq == 3 and more[0].row.prev_hash == stored[-1].hash
        assert store.verify().ok


def test_search_filters_newest_first(store_url: str, policies: Policies, engine: Engine) -> None:
    with open_store(store_url) as store:
        store.append(new_records(policies, engine, EXAMPLE_NAMES, who="alice"))
        store.append(new_records(policies, engine, EXAMPLE_NAMES[:1], who="bob"))
        assert [r.seq for r in store.search(Query())] == [4, 3, 2, 1]
        assert [r.seq for r in store.search(Query(requested_by="bob"))] == [4]
        assert [r.seq for r in store.search(Query(transfer_id="us-cn-genomic-101"))] == [4, 1]
        assert [r.seq for r in store.search(Query(verdict="restrict"))] == [4, 1]
        assert [r.seq for r in store.search(Query(limit=2, before=4))] == [3, 2]


def test_update_and_delete_are_refused(store_url: str, policies: Policies, engine: Engine) -> None:
    with open_store(store_url) as store:
        store.append(new_records(policies, engine, EXAMPLE_NAMES[:1]))
    if store_url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store_url, autocommit=True) as db:
            for sql in (
                "UPDATE dataflow_audit_records SET verdict = 'allow'",
                "DELETE FROM dataflow_audit_records",
                "TRUNCATE dataflow_audit_records",
            ):
                with pytest.raises(psycopg.Error, match="append-only"):
                    db.execute(sql)
    else:
        with sqlite3.connect(store_url) as db:
            for sql in ("UPDATE audit_records SET verdict = 'allow'", "DELETE FROM audit_records"):
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    db.execute(sql)
    with open_store(store_url) as store:
        assert store.verify().ok and store.ping() == 1


def test_edited_verdict_column_is_detected(store_url: str, policies: Policies, engine: Engine) -> None:
    with open_store(store_url) as store:
        store.append(new_records(policies, engine, EXAMPLE_NAMES))
    tamper(store_url, "UPDATE audit_records SET verdict = 'allow' WHERE seq = 1")
    with open_store(store_url) as store:
        result = store.verify()
    assert not result.ok
    assert result.problems == ["record 1: column verdict does not match the recorded content"]


def test_edited_content_is_detected_even_with_its_hash_recomputed(
    store_url: str, policies: Policies, engine: Engine
) -> None:
    with open_store(store_url) as store:
        stored = store.append(new_records(policies, engine, EXAMPLE_NAMES))
    # Rewrite record 2's decision to allow, keep the body canonical, and fix its own hash:
    # only the next record's link to it can give it away.
    content = dict(stored[1].content)
    content["decision"] = {**content["decision"], "verdict": "allow"}
    body = canonical(content)
    tamper(
        store_url,
        "UPDATE audit_records SET body = ?, verdict = 'allow', hash = ? WHERE seq = 2",
        (body, digest(body)),
    )
    with open_store(store_url) as store:
        result = store.verify()
    assert result.problems == ["record 3: prev_hash does not match the hash of the record before it"]
    # Without recomputing the hash, the record itself is named.
    tamper(
        store_url,
        "UPDATE audit_records SET body = ? WHERE seq = 1",
        (stored[0].row.body.replace("alice", "mallory"),),
    )
    with open_store(store_url) as store:
        problems = store.verify().problems
    assert "record 1: its content does not match its hash (the record was changed)" in problems


def test_removed_records_are_detected(store_url: str, policies: Policies, engine: Engine) -> None:
    with open_store(store_url) as store:
        stored = store.append(new_records(policies, engine, EXAMPLE_NAMES))
        head = store.verify().head
    tamper(store_url, "DELETE FROM audit_records WHERE seq = 3")
    with open_store(store_url) as store:
        # Cutting the end leaves a valid, shorter chain: only the kept head hash shows it.
        assert store.verify().ok
        cut = store.verify(expected_head=head)
        assert not cut.ok and "not at the expected head" in cut.problems[0]
    tamper(store_url, "DELETE FROM audit_records WHERE seq = 1")
    with open_store(store_url) as store:
        problems = store.verify(expected_head=stored[1].hash).problems
    assert problems[0] == "record 2: record 1 is missing before it"
    assert "record 2: prev_hash does not match the hash of the record before it" in problems


def test_concurrent_appends_from_threads_make_one_chain(
    store_url: str, policies: Policies, engine: Engine
) -> None:
    records = new_records(policies, engine, EXAMPLE_NAMES)
    errors: list[BaseException] = []

    with open_store(store_url) as store:

        def work() -> None:
            try:
                for _ in range(25):
                    store.append(records[:2])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        result = store.verify()
    assert result.ok, result.problems
    assert result.count == 6 * 25 * 2


def test_missing_store_is_an_error_for_readers(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="no audit store at"):
        open_store(str(tmp_path / "nothing.sqlite"), create=False)
    assert not (tmp_path / "nothing.sqlite").exists()
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(AuditError, match="not a dataflow-rules audit store"):
        open_store(str(other), create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database, just text " * 100)
    with pytest.raises(AuditError, match="cannot open audit store"):
        open_store(str(junk))


def test_store_urls(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="unsupported audit store URL scheme 'mysql'"):
        open_store("mysql://localhost/db")
    with open_store(f"sqlite:///{tmp_path}/a.sqlite") as store:
        assert store.kind == "sqlite" and store.display == f"{tmp_path}/a.sqlite"
    with sqlite3.connect(tmp_path / "a.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unreachable_postgres_is_an_audit_error() -> None:
    from .pg import free_port

    with pytest.raises(AuditError, match="cannot open") as caught:
        open_store(f"postgresql://someone:secret@127.0.0.1:{free_port()}/nothing")
    assert "secret" not in str(caught.value)


def test_both_backends_create_one_table_of_the_rows_columns() -> None:
    """SQLite and PostgreSQL create the table from one declaration: Row's columns, in order,
    each once, in the backend's own type names."""
    import re

    from dataflow_rules.audit import postgres, sqlite
    from dataflow_rules.audit.records import COLUMNS

    for module, integer, text in ((sqlite, "INTEGER", "TEXT"), (postgres, "bigint", "text")):
        ddl = module._SCHEMA[0]
        declared = re.findall(r"^\s+(\w+) (\w+)", ddl, re.M)
        assert tuple(name for name, _ in declared) == COLUMNS
        assert {kind for _, kind in declared} == {integer, text}
        assert (
            "seq " + integer + " PRIMARY KEY CHECK (seq > 0)" in ddl
            and "hash " + text + " NOT NULL UNIQUE" in ddl
        )
