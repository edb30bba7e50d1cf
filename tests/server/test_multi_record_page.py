"""A page of several records (``/decisions/N?through=M``) gives each record's remediation
on that record's own page: remediation decides a transfer again per candidate change, and a
hundred of them in one request took longer than a client waits (found by the API fuzzing)."""

from __future__ import annotations

import httpx

from ..conftest import EXAMPLES

YAML = {"content-type": "application/yaml"}


def test_several_records_point_to_their_own_pages_one_record_shows_its_suggestions(
    http: httpx.Client,
) -> None:
    ids = []
    for name in ("cn-us-pi-100000.yaml", "us-cn-genomic-101.yaml"):
        response = http.post("/api/decisions", content=(EXAMPLES / name).read_bytes(), headers=YAML)
        assert response.status_code == 200, response.text
        ids.append(response.json()["records"][0]["id"])
    first, last = min(ids), max(ids)
    several = http.get(f"/decisions/{first}?through={last}").text
    assert several.count('data-remediation="elsewhere"') == last - first + 1
    assert f'href="/decisions/{first}"' in several
    one = http.get(f"/decisions/{first}").text
    assert 'data-remediation="shown"' in one or 'data-remediation="none"' in one
