"""Fixtures for the attack tests: real ``serve`` processes on loopback (tests/server's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..server.conftest import Server  # the browser fixture comes from tests/conftest.py


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module, with its own store and token file."""
    srv = Server(audit_db=tmp_path_factory.mktemp("target") / "audit.sqlite")
    try:
        yield srv
    finally:
        assert srv.stop(), "".join(srv.stderr)
