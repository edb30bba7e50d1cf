"""Bounded work: slow clients, oversized requests, a full house; a real server each time."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml

from dataflow_rules.server.settings import MAX_TRANSFERS

from ..conftest import EXAMPLES
from ..server.conftest import Server

GENOMIC = EXAMPLES / "us-cn-genomic-101.yaml"


def _transfers(n: int) -> bytes:
    one = yaml.safe_load(GENOMIC.read_text())
    items = [{**one, "id": f"t-{i}"} for i in range(n)]
    return json.dumps({"transfers": items}, default=str).encode()


def _slow_client(address: tuple[str, int], interval: float, until: float, closed: list[float]) -> None:
    """Send a request line, then one header line every ``interval`` s, never finishing;
    note when the server closes the connection."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened = time.monotonic()
        n = 0
        while time.monotonic() < until:
            time.sleep(interval)
            try:
                sock.sendall(f"X-Slow-{n}: {'a' * 10}\r\n".encode())
                sock.settimeout(0.01)
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
            n += 1
        else:
            return
        closed.append(time.monotonic() - opened)


@pytest.mark.slow
def test_slow_clients_are_cut_off_and_health_recovers(tmp_path: Path) -> None:
    """Issue 13: 1,100 clients trickling headers kept every slot and /api/health at 503.
    Here: 80 slow clients against a cap of 50 connections and a 2 s request deadline; each
    is cut off by then and the service answers again, all within a few seconds."""
    srv = Server("--max-connections", "50", "--header-timeout", "2", audit_db=tmp_path / "a.sqlite")
    try:
        host, port = srv.url.removeprefix("http://").rsplit(":", 1)
        address = (host, int(port))
        until = time.monotonic() + 8
        closed: list[float] = []
        clients = [
            threading.Thread(target=_slow_client, args=(address, 0.3, until, closed), daemon=True)
            for _ in range(80)
        ]
        for t in clients:
            t.start()
        time.sleep(0.5)
        start = time.monotonic()
        recovered = None
        while time.monotonic() - start < 6:
            try:
                if httpx.get(f"{srv.url}/api/health", timeout=2).status_code == 200:
                    recovered = time.monotonic() - start
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        for t in clients:
            t.join(timeout=15)
        assert recovered is not None, "health never answered 200 while slow clients were connected"
        assert len(closed) == 80, f"only {len(closed)} of 80 slow clients were cut off"
        assert max(closed) < 4, f"a slow client kept its connection {max(closed):.1f} s"
    finally:
        assert srv.stop(), "".join(srv.stderr)


@pytest.mark.slow
def test_too_many_transfers_is_413_at_once(target: Server) -> None:
    """One request with 1,000 transfers cost 11.7 s, 26 MB out and 500 MB RSS; now the
    default bound (100) answers 413 before deciding any."""
    body = _transfers(1000)
    with target.client() as c:
        before = c.get("/api/health").json()["audit"]["records"]
        started = time.monotonic()
        r = c.post("/api/decisions", content=body, headers={"content-type": "application/yaml"})
        took = time.monotonic() - started
        assert (r.status_code, r.json()["error"]) == (413, "too_large")
        assert r.json()["message"] == f"request: 1000 transfers in one request; the limit is {MAX_TRANSFERS}"
        assert took < 5, took
        assert c.get("/api/health").json()["audit"]["records"] == before
        r = c.get("/api/decisions", params={"limit": 1001})
        assert r.status_code == 400


def test_a_full_house_is_429_with_retry_after(tmp_path: Path) -> None:
    """As many decision requests as --max-pending are in progress: one more is refused at
    once, not queued behind them (the engine's work is held, here, by the test)."""
    from dataflow_rules.errors import DataflowRulesError
    from dataflow_rules.server.app import ERROR_STATUS
    from dataflow_rules.server.run import build
    from dataflow_rules.server.service import Busy
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite"), max_pending=2))
    try:
        assert service._pending.acquire(blocking=False) and service._pending.acquire(blocking=False)
        with pytest.raises(Busy, match="2 decision requests are in progress"):
            service.evaluate(GENOMIC.read_text(), "request", as_of=dt.date(2026, 3, 2))
        service._pending.release()
        outcome = service.evaluate(GENOMIC.read_text(), "request", as_of=dt.date(2026, 3, 2))
        assert len(outcome.records) == 1
        status: tuple[int, str] = next(
            ERROR_STATUS[c] for c in Busy.__mro__ if c in ERROR_STATUS and issubclass(c, DataflowRulesError)
        )
        assert status == (429, "busy")
    finally:
        service.store.close()
