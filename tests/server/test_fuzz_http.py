"""Hostile HTTP bodies against a real server: a clear 4xx or a decision, never a crash,
and never a decision for a body the server could not fully read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import EXAMPLES
from .conftest import Server

# Slow lane (hostile HTTP bodies fuzzed against a real server): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

VALID = (EXAMPLES / "us-cn-genomic-101.yaml").read_bytes()
READ_ERRORS = {400, 413, 415, 422}


@pytest.fixture(scope="module")
def fuzz_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    srv = Server(audit_db=Path(tmp_path_factory.mktemp("fuzz")) / "audit.sqlite")
    try:
        with srv.client() as client:
            yield client
    finally:
        assert srv.stop(), "".join(srv.stderr)


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code in READ_ERRORS:
        assert set(body) >= {"error", "message"} and "decisions" not in body
        assert "\n" not in body["message"]
        return
    assert response.status_code == 200, response.text
    for decision in body["decisions"]:
        assert decision["verdict"] in ("allow", "review", "restrict")
        assert decision["reasons"]


def _mutate(data: bytes, cuts: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, junk in cuts:
        at = position % (len(out) + 1)
        out[at : at + len(junk)] = junk
    return bytes(out)


JSONISH: Any = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_random_bytes(fuzz_http: httpx.Client, body: bytes) -> None:
    _check(fuzz_http.post("/api/decisions", content=body, headers={"content-type": "application/yaml"}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=8)), min_size=1, max_size=4))
def test_damaged_transfers(fuzz_http: httpx.Client, cuts: list[tuple[int, bytes]]) -> None:
    _check(
        fuzz_http.post(
            "/api/decisions", content=_mutate(VALID, cuts), headers={"content-type": "application/yaml"}
        )
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(JSONISH)
def test_random_json(fuzz_http: httpx.Client, value: Any) -> None:
    try:
        body = json.dumps(value, allow_nan=True).encode()
    except (ValueError, OverflowError):
        return
    _check(fuzz_http.post("/api/decisions", content=body, headers={"content-type": "application/json"}))


def test_a_damaged_transfer_is_never_decided(fuzz_http: httpx.Client) -> None:
    """A body whose transfer has an unreadable field gets an error and no decision."""
    bad = VALID.replace(b"individuals: 101", b"individuals: lots")
    response = fuzz_http.post("/api/decisions", content=bad, headers={"content-type": "application/yaml"})
    assert response.status_code == 422 and "decisions" not in response.json()
