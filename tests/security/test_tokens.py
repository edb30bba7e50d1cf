"""``dataflow-rules tokens``: create prints the token once, the file keeps only hashes, 0600."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

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
