"""A real ``dataflow-rules serve`` process on loopback, started and stopped by the tests,
and a real headless Chromium (Debian's, driven by Playwright) for the page tests: the
``browser`` fixture, in tests/browser.py, shared with the HTML report tests."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..audit.conftest import pg_server, pg_url  # noqa: F401 - fixtures, re-exported here

ALL_ROLES = ("decider", "reader", "admin")
TESTER = "tester"
"""The name of the token every test server is started with: what its records say asked."""


class Server:
    """One ``dataflow-rules serve --port 0`` process, authenticated by a token file made here."""

    def __init__(
        self,
        *args: str,
        audit_db: str | Path,
        env: dict[str, str] | None = None,
        switch_interval: float | None = None,
        tokens: Path | None = None,
        ready: bool = True,
    ) -> None:
        """``switch_interval``: run the server with ``sys.setswitchinterval`` set this low,
        so its threads switch every few bytecodes and a race has every chance to show.

        ``tokens``: the token file to serve with (default: a new one beside a SQLite store,
        or in a temporary directory); ``self.token`` holds every role, and :meth:`client`
        sends it."""
        from dataflow_rules.server.tokens import TokenFile

        self.audit_db = str(audit_db)
        if tokens is None:
            if "://" in self.audit_db:
                import tempfile

                tokens = Path(tempfile.mkdtemp(prefix="dfr-tokens-")) / "tokens"
            else:
                tokens = Path(self.audit_db).with_name(Path(self.audit_db).name + ".tokens")
        self.tokens = TokenFile(tokens)
        self.token = self.make_token(TESTER, ALL_ROLES)
        start = ["-m", "dataflow_rules.cli"]
        if switch_interval is not None:
            start = [
                "-c",
                f"import sys; sys.setswitchinterval({switch_interval}); import dataflow_rules.cli as c; c.main()",
            ]
        command = [
            sys.executable,
            *start,
            "serve",
            "--port",
            "0",
            "--audit-db",
            self.audit_db,
            "--tokens",
            str(self.tokens.path),
            *args,
        ]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in self.proc.stdout or []], daemon=True
        ).start()
        self.stderr: list[str] = []
        threading.Thread(
            target=lambda: [self.stderr.append(line) for line in self.proc.stderr or []], daemon=True
        ).start()
        try:
            first = lines.get(timeout=30)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"server did not start: {''.join(self.stderr)}") from None
        if not first.startswith("dataflow-rules serving "):
            self.stop()
            raise RuntimeError(f"unexpected first line {first!r}: {''.join(self.stderr)}")
        self.url = first.split()[-1].rstrip("/")
        if not ready:
            return
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server never became healthy: {''.join(self.stderr)}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def make_token(self, name: str, roles: tuple[str, ...] | list[str]) -> str:
        """A new token in this server's token file (the server reads it at the next request)."""
        return self.tokens.create(name, roles)[1]

    @property
    def auth(self) -> dict[str, str]:
        """The ``Authorization`` header of the all-roles token."""
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """A client that sends ``token`` (default: the all-roles one); ``token=""``: none."""
        chosen = self.token if token is None else token
        headers = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.Client(base_url=self.url, headers=headers, **{"timeout": 30, **kwargs})

    def stop(self) -> bool:
        """SIGTERM, then SIGKILL if it will not go. True if it shut down cleanly: ended by
        the SIGTERM (uvicorn re-raises it after its graceful shutdown) or exit 0, and
        nothing went wrong on the way (no traceback)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return False
        time.sleep(0.05)  # let the reader thread take the last lines
        return self.proc.returncode in (0, -signal.SIGTERM) and "Traceback" not in "".join(self.stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the API tests, with its own SQLite audit store."""
    srv = Server(audit_db=tmp_path_factory.mktemp("srv") / "audit.sqlite")
    try:
        yield srv
    finally:
        assert srv.stop(), "".join(srv.stderr)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
