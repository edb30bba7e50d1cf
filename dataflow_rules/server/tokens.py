"""API tokens: who may use the service, and with which roles.

A token is ``dfr_<id>_<secret>``: 8 hex characters that name it and 43 random URL-safe
characters (256 bits). Only its sha256 is stored (the secret has full entropy, so a slow
hash would add nothing), in a JSON file created 0600 beside the audit store. A token is
shown once, when it is created; a lost token is revoked and a new one made.

Roles, least privilege, none implying another:

- ``decider``: decide and record transfers (``POST /api/decisions``, the web form);
- ``reader``: read recorded decisions and verify the chain;
- ``admin``: reload the catalogues (tokens are managed on the command line, by whoever
  can write the token file).

Imports nothing from FastAPI: the ``tokens`` commands use it without the ``serve`` extra.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audit.records import now_utc
from ..audit.store import default_location
from ..errors import Location
from ..errors import TokenError as TokenError
from ..secure_files import write_private

ROLES = ("decider", "reader", "admin")
TOKENS_ENV = "DATAFLOW_RULES_TOKENS"
FORMAT = 1
_TOKEN = re.compile(r"^dfr_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f-\x9f]{1,200}$")


@dataclass(frozen=True)
class Identity:
    """Who a request comes from, once authenticated."""

    name: str
    roles: frozenset[str]
    via: str
    """``token`` or ``proxy``."""

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class TokenEntry:
    id: str
    name: str
    roles: tuple[str, ...]
    sha256: str
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "roles": list(self.roles),
            "sha256": self.sha256,
            "created_at": self.created_at,
        }


def default_tokens_path(audit_db: str | None) -> Path:
    """``$DATAFLOW_RULES_TOKENS``, else beside a SQLite store (``audit.sqlite.tokens``),
    else (PostgreSQL) in the data directory the default store would be in."""
    env = os.environ.get(TOKENS_ENV)
    if env:
        return Path(env)
    target = audit_db or default_location()
    if target.startswith(("postgresql://", "postgres://")):
        return Path(default_location()).with_name("tokens.json")
    target = target.removeprefix("sqlite:///")
    path = Path(target)
    return path.with_name(path.name + ".tokens")


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sorted(set(roles), key=ROLES.index)) if set(roles) <= set(ROLES) else None
    if not chosen:
        unknown = sorted(set(roles) - set(ROLES))
        what = f"unknown role {', '.join(unknown)}" if unknown else "no role given"
        raise TokenError(f"{what}; roles are {', '.join(ROLES)}")
    return chosen


class TokenFile:
    """The token file, read again whenever it changes on disk (so a revocation made with
    ``tokens revoke`` while the service runs takes effect at the next request)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._entries: dict[str, TokenEntry] = {}

    def _read(self) -> dict[str, TokenEntry]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._entries = None, {}
            return self._entries
        except OSError as exc:
            raise TokenError(f"cannot read token file: {exc.strerror}", Location(str(self.path))) from None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return self._entries
        if st.st_mode & 0o077:
            raise TokenError(
                f"token file is readable by others (mode {st.st_mode & 0o777:o}); chmod 600 it",
                Location(str(self.path)),
            )
        try:
            raw = json.loads(self.path.read_bytes())
            entries = {
                t["id"]: TokenEntry(
                    str(t["id"]), str(t["name"]), tuple(t["roles"]), str(t["sha256"]), str(t["created_at"])
                )
                for t in raw["tokens"]
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TokenError(f"not a token file ({exc})", Location(str(self.path))) from None
        self._stamp, self._entries = stamp, entries
        return entries

    def entries(self) -> list[TokenEntry]:
        return sorted(self._read().values(), key=lambda e: (e.created_at, e.id))

    def exists(self) -> bool:
        return bool(self._read())

    def _write(self, entries: Iterable[TokenEntry]) -> None:
        doc = {"format": FORMAT, "tokens": [e.as_json() for e in entries]}
        try:
            write_private(self.path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
        except OSError as exc:
            raise TokenError(f"cannot write token file: {exc.strerror}", Location(str(self.path))) from None

    def create(self, name: str, roles: Iterable[str]) -> tuple[TokenEntry, str]:
        """Add a token; returns its entry and the token itself (shown once, never stored)."""
        if not _NAME.match(name) or name != name.strip():
            raise TokenError("a token's name is one printable line of 1 to 200 characters")
        chosen = check_roles(roles)
        entries = self._read()
        token_id = secrets.token_hex(4)
        while token_id in entries:
            token_id = secrets.token_hex(4)
        token = f"dfr_{token_id}_{secrets.token_urlsafe(32)}"
        entry = TokenEntry(token_id, name, chosen, _hash(token), now_utc())
        self._write([*entries.values(), entry])
        return entry, token

    def revoke(self, which: str) -> list[TokenEntry]:
        """Remove the token with this id, or every token with this name."""
        entries = self._read()
        gone = [e for e in entries.values() if which in (e.id, e.name)]
        if not gone:
            raise TokenError(f"no token has id or name '{which}'", Location(str(self.path)))
        self._write(e for e in entries.values() if e not in gone)
        return gone

    def identify(self, token: str) -> Identity | None:
        """The identity a presented token stands for, or None."""
        found = _TOKEN.match(token.strip())
        if not found:
            return None
        entry = self._read().get(found.group(1))
        if entry is None or not hmac.compare_digest(entry.sha256, _hash(token.strip())):
            return None
        return Identity(entry.name, frozenset(entry.roles), "token")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
