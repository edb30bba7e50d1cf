"""Signed checkpoints: the audit chain's head, anchored outside the store.

The hash chain shows a record changed, inserted or removed in the middle, but a chain cut
short is still a valid chain: deleting the last record, the last thousand or every record
verified as "chain intact". A checkpoint is a signed statement "at TIME the store held
COUNT records and record COUNT's hash was HEAD", made with an Ed25519 key kept apart from
the store and appended to a checkpoint log that can be shipped elsewhere (a log server, a
ticket, a WORM bucket). ``audit verify --checkpoints LOG --public-key KEY.pub`` then
detects, for everything the checkpoints cover:

- truncation: fewer records than a checkpoint counted (the last one, the last 1,000, all);
- removal: a record missing from the middle (the chain's own check, named so);
- rewriting: a record changed, or the chain re-built, so that record COUNT's hash is no
  longer the signed HEAD; and a log line whose signature fails (the log was edited).

A checkpoint is only made of a store that verifies, against its chain and against the log
so far, so a damaged store is never signed as if it were whole.

Log lines are canonical JSON: ``{"count", "head", "time", "key", "format", "signature"}``,
the signature (base64) over the canonical JSON of the other fields.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ChainBroken as ChainBroken
from ..errors import Location
from ..secure_files import append_private, write_private
from .records import AuditError, Verification, canonical, now_utc
from .store import AuditStore

FORMAT = 1
MAX_LOG_BYTES = 64 * 1024 * 1024
"""A checkpoint log larger than this is refused (a line is about 250 bytes: 250,000 lines)."""


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise AuditError(
            "signed checkpoints need the cryptography package: pip install 'dataflow-rules[serve]'"
        ) from None
    return ed25519


def generate_key(path: Path) -> Path:
    """Write a new Ed25519 private key (PEM, 0600) at ``path`` and its public key at
    ``path.pub``; refuses to overwrite a key."""
    from cryptography.hazmat.primitives import serialization

    ed25519 = _crypto()
    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists():
            raise AuditError(f"{target} exists; a signing key is never overwritten", Location(str(target)))
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        write_private(path, private)
        write_private(public_path, public)
    except OSError as exc:
        raise AuditError(f"cannot write key: {exc.strerror}", Location(str(path))) from None
    return public_path


def _read_small(path: Path, what: str) -> bytes:
    from ..loading import read_bytes

    return read_bytes(path, AuditError, limit=MAX_LOG_BYTES, what=what)


def load_private(path: Path) -> Any:
    """The Ed25519 signing key in the PEM file at ``path`` (an AuditError naming it if not)."""
    return _load_key(path, private=True)


def load_public(path: Path) -> Any:
    """The Ed25519 public key in the PEM file at ``path`` (an AuditError naming it if not)."""
    return _load_key(path, private=False)


def _load_key(path: Path, *, private: bool) -> Any:
    from cryptography.hazmat.primitives import serialization

    ed25519 = _crypto()
    name, pem = ("signing key", "private key") if private else ("public key", "public key")
    data = _read_small(path, name)
    try:
        if private:
            key: Any = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise AuditError(f"not a PEM {pem}: {exc}", Location(str(path))) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey):
        raise AuditError(f"the {name} is not an Ed25519 key", Location(str(path)))
    return key


def fingerprint(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True)
class Checkpoint:
    line: int
    count: int
    head: str
    time: str
    key: str
    signature: str

    def statement(self) -> bytes:
        return canonical(
            {"format": FORMAT, "count": self.count, "head": self.head, "time": self.time, "key": self.key}
        ).encode()


def read_log(path: Path) -> Iterator[Checkpoint | str]:
    """Each line of a checkpoint log: a Checkpoint, or the problem with the line."""
    data = _read_small(path, "checkpoint log")
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
            yield Checkpoint(
                number,
                int(doc["count"]),
                str(doc["head"]),
                str(doc["time"]),
                str(doc["key"]),
                str(doc["signature"]),
            )
        except (ValueError, KeyError, TypeError):
            yield f"rewriting: checkpoint line {number} is not a checkpoint (the log was edited)"


def check_against(store: AuditStore, log: Path, public_key: Any) -> tuple[Verification, list[str]]:
    """The chain's own verification and, separately, what the checkpoint log says is
    wrong: each problem begins with truncation, removal or rewriting."""
    from cryptography.exceptions import InvalidSignature

    chain = store.verify()
    problems = [_classify(p) for p in chain.problems]
    expected_key = fingerprint(public_key)
    highest: Checkpoint | None = None
    checked = 0
    for item in read_log(log):
        if isinstance(item, str):
            problems.append(item)
            continue
        try:
            if item.key != expected_key:
                raise InvalidSignature
            public_key.verify(base64.b64decode(item.signature, validate=True), item.statement())
        except (InvalidSignature, ValueError):
            problems.append(
                f"rewriting: checkpoint line {item.line} ({item.time}) does not verify with this public key "
                "(the log was edited, or signed with another key)"
            )
            continue
        checked += 1
        if highest is not None and item.count < highest.count:
            problems.append(
                f"rewriting: checkpoint line {item.line} counts {item.count} records, fewer than the "
                f"{highest.count} of an earlier line (the log was reordered)"
            )
        if highest is None or item.count >= highest.count:
            highest = item
        if item.count > chain.count:
            continue  # reported once below, for the highest checkpoint
        if item.count == 0:
            continue
        record = store.get(item.count)
        if record is None:
            problems.append(f"removal: record {item.count}, signed at {item.time}, is missing")
        elif record.hash != item.head:
            problems.append(
                f"rewriting: record {item.count}'s hash is {record.hash[:16]}..., but the checkpoint of "
                f"{item.time} signed {item.head[:16]}... (records up to {item.count} were rewritten)"
            )
    if checked == 0:
        problems.append(f"the checkpoint log {log} holds no checkpoint that verifies: nothing is anchored")
    if highest is not None and chain.count < highest.count:
        gone = highest.count - chain.count
        if chain.count == 0:
            what = f"the store is empty: all {highest.count} records were removed"
        else:
            what = f"the store holds {chain.count} records: the last {gone} were removed"
        problems.append(
            f"truncation: the checkpoint of {highest.time} covers {highest.count} records; {what}"
        )
    return chain, problems


def _classify(problem: str) -> str:
    if "missing before it" in problem:
        return f"removal: {problem}"
    return f"rewriting: {problem}"


def make_checkpoint(store: AuditStore, key_path: Path, log: Path) -> Checkpoint:
    """Verify the store (chain, and against the log so far), then sign its head and
    append the checkpoint to ``log`` (created 0600). Raises AuditError, or ChainBroken
    with the problems, and then signs nothing."""
    key = load_private(key_path)
    public = key.public_key()
    if log.exists() and log.stat().st_size:
        chain, problems = check_against(store, log, public)
    else:
        chain = store.verify()
        problems = [_classify(p) for p in chain.problems]
    if problems:
        raise ChainBroken(problems, chain)
    checkpoint = Checkpoint(0, chain.count, chain.head, now_utc(), fingerprint(public), "")
    signature = base64.b64encode(key.sign(checkpoint.statement())).decode()
    doc = json.loads(checkpoint.statement())
    doc["signature"] = signature
    try:
        append_private(log, (canonical(doc) + "\n").encode())
    except OSError as exc:
        raise AuditError(f"cannot append to the checkpoint log: {exc.strerror}", Location(str(log))) from None
    return Checkpoint(0, chain.count, chain.head, checkpoint.time, checkpoint.key, signature)


__all__ = ["ChainBroken", "Checkpoint", "check_against", "generate_key", "make_checkpoint", "write_private"]
