"""``dataflow-rules tokens``: create prints the token once, the file keeps only hashes, 0600."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dataflow_rules.server.tokens import TokenFile


def tokens(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", "tokens", *args],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(umask),
    )


def test_create_list_revoke(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "tokens"
    made = tokens("create", "--name", "ci-bot", "--role", "decider", "--tokens", str(path), umask=0)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("dfr_") and len(token) == 4 + 8 + 1 + 43
    assert path.stat().st_mode & 0o777 == 0o600
    stored = path.read_text()
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    identity = TokenFile(path).identify(token)
    assert identity is not None and identity.name == "ci-bot" and identity.roles == {"decider"}
    listed = tokens("list", "--tokens", str(path))
    assert listed.returncode == 0 and "ci-bot" in listed.stdout and token not in listed.stdout
    token_id = token.split("_")[1]
    revoked = tokens("revoke", token_id, "--tokens", str(path))
    assert revoked.returncode == 0 and f"revoked token {token_id} (ci-bot)" in revoked.stdout
    assert TokenFile(path).identify(token) is None


def test_bad_roles_and_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    bad = tokens("create", "--name", "x", "--role", "root", "--tokens", str(path))
    assert bad.returncode == 14 and "unknown role root; roles are decider, reader, admin" in bad.stderr
    bad = tokens("create", "--name", "evil\x1b]0;t\x07", "--role", "reader", "--tokens", str(path))
    assert bad.returncode == 14 and "printable" in bad.stderr
    assert not path.exists()
    assert tokens("revoke", "nobody", "--tokens", str(path)).returncode == 14


def test_a_token_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    assert tokens("create", "--name", "a", "--role", "reader", "--tokens", str(path)).returncode == 0
    path.chmod(0o644)
    listed = tokens("list", "--tokens", str(path))
    assert listed.returncode == 14 and "readable by others" in listed.stderr


@pytest.mark.slow
def test_first_start_makes_a_token_shows_it_once_and_keeps_its_hash_0600(tmp_path: Path) -> None:
    """As Jupyter does: a service started with no token file makes one token with every
    role, prints it on standard error once, and a second start prints none."""
    store = tmp_path / "audit.sqlite"
    outputs = []
    for _ in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "dataflow_rules.cli", "serve", "--port", "0", "--audit-db", str(store)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.umask(0),
        )
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1].rstrip("/")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            anonymous = httpx.get(f"{url}/api/decisions").status_code
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        outputs.append((err, anonymous, url))
    first, second = outputs[0][0], outputs[1][0]
    assert "created the first API token 'admin' (roles decider, reader, admin)" in first
    [token] = [word for word in first.split() if word.startswith("dfr_")]
    assert "dfr_" not in second, "a second start showed a token again"
    assert outputs[0][1] == outputs[1][1] == 401
    path = tmp_path / "audit.sqlite.tokens"
    assert path.stat().st_mode & 0o777 == 0o600 and token not in path.read_text()
    identity = TokenFile(path).identify(token)
    assert identity is not None and identity.roles == {"decider", "reader", "admin"}
