"""Signed checkpoints: every way of cutting, emptying or re-writing the store is named.

Records are made with the library (fast); the attacks are made as an attacker with
write access to the SQLite file would: drop the append-only triggers, then DELETE or
UPDATE, or replace the file by a fresh chain.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataflow_rules import load_policies
from dataflow_rules.audit import NewRecord, open_store
from dataflow_rules.engine.engine import Engine
from dataflow_rules.transfers import read_transfers

from ..conftest import EXAMPLES

GENOMIC = EXAMPLES / "us-cn-genomic-101.yaml"


def cli(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=set_umask,
    )


def fill(store_path: Path, n: int, start: int = 0) -> None:
    policies = load_policies()
    [located] = read_transfers(GENOMIC, policies)
    decision = Engine(policies).decide(located.transfer)
    with open_store(str(store_path)) as store:
        for first in range(start, start + n, 500):
            batch = [
                NewRecord.of(located.transfer, decision, policies, requested_by=f"r{i}", channel="cli")
                for i in range(first, min(first + 500, start + n))
            ]
            store.append(batch)


def tamper(store_path: Path, *statements: str) -> None:
    db = sqlite3.connect(store_path)
    db.execute("DROP TRIGGER audit_records_no_delete")
    db.execute("DROP TRIGGER audit_records_no_update")
    for statement in statements:
        db.execute(statement)
    db.commit()
    db.close()


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    where = tmp_path_factory.mktemp("key") / "checkpoint.key"
    result = cli("audit", "keygen", "--key", str(where))
    assert result.returncode == 0, result.stderr
    yield where, where.with_name(where.name + ".pub")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, key: tuple[Path, Path]) -> tuple[Path, Path]:
    """A store of 1,500 records and a log with a checkpoint at 1,200 and one at 1,500."""
    where = tmp_path_factory.mktemp("signed")
    store, log = where / "audit.sqlite", where / "checkpoints.log"
    fill(store, 1200)
    assert (
        cli(
            "audit", "checkpoint", "--key", str(key[0]), "--log", str(log), "--audit-db", str(store)
        ).returncode
        == 0
    )
    fill(store, 300, start=1200)
    result = cli("audit", "checkpoint", "--key", str(key[0]), "--log", str(log), "--audit-db", str(store))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checkpoint: 1500 records in ")
    return store, log


@pytest.fixture
def copy(signed: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    store, log = tmp_path / "audit.sqlite", tmp_path / "checkpoints.log"
    store.write_bytes(signed[0].read_bytes())
    log.write_bytes(signed[1].read_bytes())
    return store, log


def verify(store: Path, log: Path, public: Path) -> subprocess.CompletedProcess[str]:
    return cli(
        "audit", "verify", "--audit-db", str(store), "--checkpoints", str(log), "--public-key", str(public)
    )


def test_an_intact_store_verifies(copy: tuple[Path, Path], key: tuple[Path, Path]) -> None:
    result = verify(*copy, key[1])
    assert result.returncode == 0, result.stderr
    assert "chain intact, every checkpoint" in result.stdout


@pytest.mark.parametrize(
    ("cut", "remaining"),
    [("seq > 1499", 1499), ("seq > 500", 500), ("seq > 0", 0)],
    ids=["last-record", "last-1000", "all-records"],
)
def test_truncation_is_detected_and_named(
    copy: tuple[Path, Path], key: tuple[Path, Path], cut: str, remaining: int
) -> None:
    store, log = copy
    tamper(store, f"DELETE FROM audit_records WHERE {cut}")
    # Without the checkpoints the cut chain still verifies: that was the hole.
    plain = cli("audit", "verify", "--audit-db", str(store))
    assert plain.returncode == 0, plain.stderr
    result = verify(store, log, key[1])
    assert result.returncode == 9
    assert "truncation: " in result.stderr, result.stderr
    if remaining:
        assert (
            f"the store holds {remaining} records: the last {1500 - remaining} were removed" in result.stderr
        )
    else:
        assert "the store is empty: all 1500 records were removed" in result.stderr


def test_an_emptied_store_replaced_by_a_new_file_fails(
    copy: tuple[Path, Path], key: tuple[Path, Path]
) -> None:
    store, log = copy
    store.unlink()
    with open_store(str(store)):
        pass
    result = verify(store, log, key[1])
    assert result.returncode == 9 and "all 1500 records were removed" in result.stderr


def test_removal_from_the_middle_is_named(copy: tuple[Path, Path], key: tuple[Path, Path]) -> None:
    store, log = copy
    tamper(store, "DELETE FROM audit_records WHERE seq = 700")
    result = verify(store, log, key[1])
    assert result.returncode == 9
    assert "removal: record 701: record 700 is missing before it" in result.stderr


def test_rewriting_a_record_is_named(copy: tuple[Path, Path], key: tuple[Path, Path]) -> None:
    store, log = copy
    tamper(store, "UPDATE audit_records SET verdict = 'allow' WHERE seq = 10")
    result = verify(store, log, key[1])
    assert result.returncode == 9 and "rewriting: record 10: column verdict" in result.stderr


def test_a_rebuilt_chain_that_verifies_on_its_own_is_named_rewritten(
    copy: tuple[Path, Path], key: tuple[Path, Path]
) -> None:
    """Every record replaced by a fresh, valid chain of the same length: only the
    checkpoints can tell."""
    store, log = copy
    store.unlink()
    fill(store, 1500)
    assert cli("audit", "verify", "--audit-db", str(store)).returncode == 0
    result = verify(store, log, key[1])
    assert result.returncode == 9
    assert "rewriting: record 1500's hash is" in result.stderr
    assert "rewriting: record 1200's hash is" in result.stderr


def test_an_edited_log_is_named(copy: tuple[Path, Path], key: tuple[Path, Path], tmp_path: Path) -> None:
    store, log = copy
    lines = log.read_text().splitlines()
    log.write_text(lines[0].replace('"count":1200', '"count":1100') + "\n" + lines[1] + "\n")
    result = verify(store, log, key[1])
    assert (
        result.returncode == 9 and "checkpoint line 1" in result.stderr and "does not verify" in result.stderr
    )
    other = tmp_path / "other.key"
    assert cli("audit", "keygen", "--key", str(other)).returncode == 0
    result = verify(store, log, other.with_name("other.key.pub"))
    assert result.returncode == 9 and "nothing is anchored" in result.stderr


def test_a_damaged_store_is_not_signed(copy: tuple[Path, Path], key: tuple[Path, Path]) -> None:
    store, log = copy
    tamper(store, "DELETE FROM audit_records WHERE seq > 1000")
    before = log.read_bytes()
    result = cli("audit", "checkpoint", "--key", str(key[0]), "--log", str(log), "--audit-db", str(store))
    assert result.returncode == 9 and "truncation" in result.stderr
    assert log.read_bytes() == before, "a truncated store was signed"


def test_store_key_and_log_are_0600_whatever_the_umask(tmp_path: Path) -> None:
    store, keyfile, log = (
        tmp_path / "s" / "audit.sqlite",
        tmp_path / "k" / "sign.key",
        tmp_path / "l" / "cp.log",
    )
    assert cli("check", "--record", "--audit-db", str(store), str(GENOMIC), umask=0).returncode == 4
    assert cli("audit", "keygen", "--key", str(keyfile), umask=0).returncode == 0
    made = cli(
        "audit", "checkpoint", "--key", str(keyfile), "--log", str(log), "--audit-db", str(store), umask=0
    )
    assert made.returncode == 0, made.stderr
    for path in (store, keyfile, keyfile.with_name("sign.key.pub"), log):
        assert path.stat().st_mode & 0o777 == 0o600, (path, oct(path.stat().st_mode))
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o700
    # While a writer holds it open, SQLite's -wal and -shm files take the store's mode.
    with open_store(str(store)) as opened:
        opened.ping()
        for suffix in ("-wal", "-shm"):
            side = store.with_name(store.name + suffix)
            if side.exists():
                assert side.stat().st_mode & 0o777 == 0o600, side


def test_a_key_is_never_overwritten(key: tuple[Path, Path]) -> None:
    before = key[0].read_bytes()
    result = cli("audit", "keygen", "--key", str(key[0]))
    assert result.returncode == 8 and "never overwritten" in result.stderr
    assert key[0].read_bytes() == before


@pytest.mark.slow
def test_the_service_signs_checkpoints_itself(tmp_path: Path, key: tuple[Path, Path]) -> None:
    from ..server.conftest import Server

    log = tmp_path / "service.log"
    srv = Server(
        "--checkpoint-key",
        str(key[0]),
        "--checkpoint-log",
        str(log),
        "--checkpoint-every",
        "1",
        audit_db=tmp_path / "a.sqlite",
    )
    try:
        with srv.client() as c:
            r = c.post(
                "/api/decisions", content=GENOMIC.read_bytes(), headers={"content-type": "application/yaml"}
            )
            assert r.status_code == 200
    finally:
        assert srv.stop(), "".join(srv.stderr)
    assert log.stat().st_mode & 0o777 == 0o600
    result = verify(tmp_path / "a.sqlite", log, key[1])
    assert result.returncode == 0, result.stderr
    assert '"count":1' in log.read_text()


def test_keys_are_read_as_what_they_must_be(tmp_path: Path) -> None:
    """A signing key and a public key are each Ed25519 PEM of their own kind; anything else
    is refused naming the file, before a checkpoint is signed or checked with it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from dataflow_rules.audit.checkpoint import generate_key, load_private, load_public
    from dataflow_rules.errors import AuditError

    public_path = generate_key(tmp_path / "k")
    assert load_public(public_path).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == load_private(tmp_path / "k").public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    with pytest.raises(AuditError, match="not a PEM private key") as caught:
        load_private(public_path)  # the public half given as the signing key
    assert caught.value.location is not None and caught.value.location.file == str(public_path)
    with pytest.raises(AuditError, match="not a PEM public key"):
        load_public(tmp_path / "k")
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ec").write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "ec.pub").write_bytes(
        other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(AuditError, match="the signing key is not an Ed25519 key"):
        load_private(tmp_path / "ec")
    with pytest.raises(AuditError, match="the public key is not an Ed25519 key"):
        load_public(tmp_path / "ec.pub")
