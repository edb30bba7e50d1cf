"""What a running service was started with."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..models.decision import Verdict

DEFAULT_PORT = 8000
MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted (1 MiB): thousands of transfers, far below harm."""
MAX_TRANSFERS = 100
"""Most transfers decided in one request: 1,000 cost 11.7 s, 26 MB out and 500 MB RSS
while other requests waited; 100 answer in about a second."""
MAX_PENDING = 32
"""Most decision requests in progress at once; one more gets 429 (Retry-After: 1)."""
MAX_CONNECTIONS = 500
"""Most open connections (uvicorn's limit_concurrency); beyond it new requests get 503."""
HEADER_TIMEOUT = 10.0
"""Seconds a connection has, from opening (or from its previous response), to send a whole
request; a client that trickles its headers or body is cut off then (slowloris)."""
KEEP_ALIVE = 5
"""Seconds an idle kept-alive connection stays open."""
CHECKPOINT_EVERY = 300.0
"""Seconds between signed checkpoints, when the service makes them (and records were added)."""
PROXY_USER_HEADER = "X-Forwarded-User"
PROXY_ROLES_HEADER = "X-Forwarded-Roles"
MAX_RECORD_ID = 2**63 - 1
"""The largest id an audit record can have: both stores keep ids as signed 64-bit integers
(SQLite INTEGER, PostgreSQL bigint). A larger number names no record, and the database
drivers refuse to even bind it, so it has to be turned away before it reaches a store."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    policies: Path | None = None
    """Policy directory; None: the catalogues shipped with the package."""
    audit_db: str | None = None
    """Audit store URL or path; None: the default location (see dataflow_rules.audit)."""
    unlisted: Verdict | None = None
    """``--unlisted``; None: the engine's default (an origin without a catalogue is review)."""
    max_body_bytes: int = MAX_BODY_BYTES
    max_transfers: int = MAX_TRANSFERS
    max_pending: int = MAX_PENDING
    max_connections: int = MAX_CONNECTIONS
    header_timeout: float = HEADER_TIMEOUT
    tokens: Path | None = None
    """The token file; None: beside the audit store (see tokens.default_tokens_path)."""
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    """Peers whose identity headers are believed (an authenticating reverse proxy)."""
    proxy_user_header: str = PROXY_USER_HEADER
    proxy_roles_header: str = PROXY_ROLES_HEADER
    allowed_hosts: tuple[str, ...] = ()
    """Host header values accepted besides those derived from --host and the bound port."""
    certfile: Path | None = None
    keyfile: Path | None = None
    checkpoint_key: Path | None = None
    """Sign the chain's head with this Ed25519 key every ``checkpoint_every`` seconds."""
    checkpoint_log: Path | None = None
    checkpoint_every: float = CHECKPOINT_EVERY

    @property
    def tls(self) -> bool:
        return self.certfile is not None
