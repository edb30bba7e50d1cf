"""The audit trail when the server is killed (SIGKILL) in the middle of a load: every
decision it acknowledged is in the store, unchanged, and no record is half-written."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from dataflow_rules.audit import open_store

from ..conftest import EXAMPLES
from .conftest import Server

# Slow lane (servers killed under load, PostgreSQL): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

BODIES = [
    (EXAMPLES / name).read_bytes()
    for name in (
        "us-cn-genomic-101.yaml",
        "cn-us-missing-count.yaml",
        "cn-us-climate-research.yaml",
        "cn-us-pi-100000.yaml",
    )
]


def load_until_killed(srv: Server, clients: int = 8, kill_after: int = 150) -> list[dict[str, object]]:
    """Clients post decisions; the server is killed once ``kill_after`` were acknowledged.
    Returns every acknowledged record reference with the transfer it was for."""
    acknowledged: list[dict[str, object]] = []
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()

    def client(n: int) -> None:
        with srv.client(timeout=10) as http:
            i = 0
            while not stop.is_set():
                try:
                    r = http.post("/api/decisions", content=BODIES[(n + i) % len(BODIES)])
                except httpx.TransportError:
                    return  # the server is gone
                i += 1
                if r.status_code != 200:
                    continue
                body = r.json()
                with lock:
                    acknowledged.append(
                        {**body["records"][0], "transfer_id": body["decisions"][0]["transfer_id"]}
                    )
                    if len(acknowledged) >= kill_after:
                        enough.set()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    assert enough.wait(60), "the load never got going"
    srv.kill()  # SIGKILL: no shutdown, requests in flight cut off mid-way
    stop.set()
    for t in threads:
        t.join(30)
    return acknowledged


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_acknowledged_records_survive_a_kill(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = str(tmp_path / "audit.sqlite") if backend == "sqlite" else str(request.getfixturevalue("pg_url"))
    srv = Server(audit_db=url)
    try:
        acknowledged = load_until_killed(srv)
    finally:
        srv.kill()
    assert srv.proc.returncode == -9
    assert len(acknowledged) >= 150

    with open_store(url, create=False) as store:
        chain = store.verify()
        assert chain.ok, chain.problems  # nothing half-written: every row matches its hash
        for ack in acknowledged:
            record = store.get(int(ack["id"]))  # type: ignore[call-overload]
            assert record is not None, f"acknowledged record {ack['id']} was lost"
            assert record.hash == ack["hash"] and record.row.transfer_id == ack["transfer_id"]
        # Records the server wrote but could not acknowledge before dying may exist too;
        # the chain has no gaps either way.
        assert chain.count >= len(acknowledged)
        head = chain.head

    # A new server on the same store carries on the same chain.
    again = Server(audit_db=url)
    try:
        with again.client() as http:
            ref = http.post("/api/decisions", content=BODIES[0]).json()["records"][0]
            assert ref["id"] == chain.count + 1
            record = http.get(f"/api/decisions/{ref['id']}").json()
            assert record["prev_hash"] == head
            check = http.get("/api/audit/verify").json()
            assert check["ok"] and check["count"] == chain.count + 1
    finally:
        assert again.stop(), again.stderr


def test_no_decision_without_its_record(tmp_path: Path, pg_server: str) -> None:
    """If the audit store goes away, the service answers 503 and returns no decision."""
    import psycopg

    name = "gone_" + tmp_path.name[-8:].lower().replace("-", "_")
    with psycopg.connect(pg_server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    srv = Server(audit_db=url)
    try:
        with srv.client() as http:
            assert http.post("/api/decisions", content=BODIES[0]).status_code == 200
            with psycopg.connect(pg_server, autocommit=True) as db:
                db.execute(f"DROP DATABASE {name} WITH (FORCE)")
            r = http.post("/api/decisions", content=BODIES[0])
            assert r.status_code == 503
            body = r.json()
            assert body["error"] == "audit" and "decisions" not in body
            # The counting lock is taken first, then the store is read (the ledger of earlier
            # transfers), then written: each fails closed, and nothing is decided without its
            # record.
            assert body["message"].startswith(
                (
                    f"audit store {url}: cannot lock the ledger: ",
                    f"audit store {url}: cannot record the decision: ",
                    f"audit store {url}: cannot read: ",
                )
            ), body["message"]
            assert http.get("/api/health").status_code == 503
            form = http.post(
                "/check-yaml",
                content="transfer_yaml=" + BODIES[0].decode().replace("\n", "%0A"),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert form.status_code == 503 and form.headers["content-type"].startswith("text/html")
            # Locked, read (the ledger), then written: whichever fails, nothing is decided.
            assert any(
                said in form.text
                for said in ("cannot lock the ledger", "cannot record the decision", "cannot read")
            ), form.text[-800:]
            assert "verdict" not in form.text
    finally:
        assert srv.stop(), srv.stderr
