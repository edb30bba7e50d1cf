"""Fixtures for the audit tests: a store per test on each back-end, PostgreSQL started here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .pg import Unavailable, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a real PostgreSQL started for this test session (skips, saying why, if
    none can be started here)."""
    try:
        with postgres_server() as url:
            yield url
    except Unavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "audit.sqlite")
    return str(request.getfixturevalue("pg_url"))
