"""The HTTP API through a real server on loopback: same decisions and messages as the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from dataflow_rules import load_policies

from ..conftest import EXAMPLES, POLICIES
from ..test_cli import run
from .conftest import TESTER, Server

GENOMIC = EXAMPLES / "us-cn-genomic-101.yaml"
YAML = {"content-type": "application/yaml"}


def cli_json(*args: str) -> dict[str, object]:
    """The command line's decision as the service makes it: as of today (the service never
    takes a transfer's own date as the day it decides on)."""
    result = run("check", "--format", "json", "--as-of", dt.date.today().isoformat(), *args)
    assert result.returncode in (0, 3, 4), result.stderr
    body: dict[str, Any] = json.loads(result.stdout)
    # The service reads its audit trail as the ledger; a plain check reads none and says
    # that it presumes no earlier transfers (issue 19): that assumption is the difference.
    for d in body["decisions"]:
        d["assumptions"] = [a for a in d["assumptions"] if a["fact"] != "ledger"]
    return body


def without_records(body: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in body.items() if k != "records"}


def test_health_and_catalogues(http: httpx.Client) -> None:
    health = http.get("/api/health").json()
    assert health["status"] == "ok" and health["version"] == "0.1.0" and health["audit"]["kind"] == "sqlite"
    body = http.get("/api/catalogues").json()
    shipped = load_policies()
    assert body["taxonomy"] == {"version": shipped.taxonomy.version, "digest": shipped.taxonomy_digest}
    assert [(c["jurisdiction"], c["version"], c["digest"]) for c in body["catalogues"]] == [
        (code, lc.catalogue.version, lc.digest) for code, lc in shipped.catalogues.items()
    ]
    # Zone layers decide their zone's exports: listed with version and digest too.
    assert [(c["jurisdiction"], c["zone"], c["version"], c["digest"]) for c in body["layers"]] == [
        (code, zone, lc.catalogue.version, lc.digest) for (code, zone), lc in sorted(shipped.layers.items())
    ]
    assert body["layers"], "the shipped Tianjin layer"
    page = http.get("/").text
    assert all(f"zone {zone} {lc.catalogue.version}" in page for (_, zone), lc in shipped.layers.items())


def test_openapi_describes_the_api_and_no_page_loads_from_the_network(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert spec["info"]["title"] == "dataflow-rules"
    paths = spec["paths"]
    for path in (
        "/api/health",
        "/api/catalogues",
        "/api/reload",
        "/api/decisions",
        "/api/decisions/{record_id}",
    ):
        assert path in paths, path
    body = paths["/api/decisions"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/yaml"}
    assert "Transfer" in spec["components"]["schemas"] and "DataItem" in spec["components"]["schemas"]
    assert "422" in paths["/api/decisions"]["post"]["responses"]
    # Swagger UI and ReDoc would fetch scripts from a CDN: they are not served.
    assert http.get("/docs").status_code == 404 and http.get("/redoc").status_code == 404


@pytest.mark.parametrize(
    "example",
    [
        "us-cn-genomic-101.yaml",
        "cn-us-missing-count.yaml",
        "cn-us-climate-research.yaml",
        "cn-us-pi-100000.yaml",
    ],
)
def test_decision_is_the_clis_decision_and_is_recorded(http: httpx.Client, example: str) -> None:
    path = EXAMPLES / example
    response = http.post(
        "/api/decisions", content=path.read_bytes(), headers={**YAML, "X-Requested-By": "Officer Wu"}
    )  # the header is not read: the record names the authenticated identity
    assert response.status_code == 200, response.text
    body = response.json()
    assert without_records(body) == cli_json(str(path))
    [ref] = body["records"]
    stored = http.get(f"/api/decisions/{ref['id']}").json()
    assert stored["hash"] == ref["hash"]
    assert stored["decision"] == body["decisions"][0]
    assert stored["transfer"]["id"] == example.removesuffix(".yaml")
    assert stored["requested_by"] == TESTER and stored["channel"] == "http"
    listed = http.get("/api/decisions", params={"transfer_id": stored["transfer"]["id"], "limit": 1}).json()
    assert listed["records"][0]["id"] == ref["id"]


def test_many_transfers_in_one_request(http: httpx.Client) -> None:
    names = ["us-cn-genomic-101.yaml", "cn-us-missing-count.yaml", "cn-us-climate-research.yaml"]
    docs = [
        json.loads(json.dumps(__import__("yaml").safe_load((EXAMPLES / n).read_text()), default=str))
        for n in names
    ]
    expected = cli_json(*(str(EXAMPLES / n) for n in names))
    for payload in (docs, {"transfers": docs}):
        response = http.post("/api/decisions", json=payload)
        assert response.status_code == 200, response.text
        body = response.json()
        assert without_records(body) == expected
        ids = [r["id"] for r in body["records"]]
        assert ids == list(range(ids[0], ids[0] + 3))  # one transaction: consecutive records


def test_as_of_and_unlisted_behave_as_on_the_command_line(http: httpx.Client, tmp_path: Path) -> None:
    sg = EXAMPLES / "cn-sg-manufacturing.yaml"
    got = http.post(
        "/api/decisions", content=sg.read_bytes(), params={"unlisted": "allow", "as_of": "2025-06-01"}
    )
    assert without_records(got.json()) == cli_json("--unlisted", "allow", "--as-of", "2025-06-01", str(sg))
    assert http.get(f"/api/decisions/{got.json()['records'][0]['id']}").json()["options"] == {
        "as_of": "2025-06-01",
        "unlisted": "allow",
    }


BAD_INPUTS = {
    "unknown-category": "id: t\norigin: CN\ndestination: US\ndata:\n  - category: personal.heath\n",
    "bad-country": "id: t\norigin: CN\ndestination: XX\ndata:\n  - category: personal.health\n",
    "unknown-field": "id: t\norigin: CN\ndestination: US\ncolour: red\ndata:\n  - category: personal\n",
    "bad-yaml": "id: t\norigin: [CN\n",
    "duplicate-key": "id: t\nid: u\norigin: CN\ndestination: US\ndata: [{category: personal}]\n",
    "negative-count": "id: t\norigin: CN\ndestination: US\ndata:\n  - {category: personal, individuals: -1}\n",
    "no-transfer": "[]\n",
    "duplicate-id": "- {id: a, origin: CN, destination: US, data: [{category: personal}]}\n"
    "- {id: a, origin: CN, destination: US, data: [{category: personal}]}\n",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_the_clis_message(http: httpx.Client, tmp_path: Path, name: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BAD_INPUTS[name])
    cli = run("check", str(path))
    assert cli.returncode == 5
    expected = cli.stderr.decode().strip().removeprefix("error: ").replace(str(path), "request")
    before = http.get("/api/decisions", params={"limit": 1}).json()["records"]
    response = http.post("/api/decisions", content=BAD_INPUTS[name].encode(), headers=YAML)
    assert response.status_code == 422
    assert response.json() == {"error": "input", "message": expected}
    assert http.get("/api/decisions", params={"limit": 1}).json()["records"] == before  # nothing recorded


def test_bad_requests(http: httpx.Client) -> None:
    body = GENOMIC.read_bytes()
    r = http.post("/api/decisions", content=body, params={"as_of": "2026-13-01"})
    assert (r.status_code, r.json()) == (
        400,
        {"error": "input", "message": "as_of '2026-13-01' is not a date (YYYY-MM-DD)"},
    )
    r = http.post("/api/decisions", content=body, params={"unlisted": "maybe"})
    assert r.status_code == 400 and r.json()["message"].startswith("query parameter unlisted: ")
    r = http.post("/api/decisions", content=body, headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type"
    r = http.post("/api/decisions", content=b"id: t\xff\n", headers=YAML)
    assert (r.status_code, r.json()["message"]) == (422, "request:1: not valid UTF-8 (byte 0xff at offset 5)")
    r = http.get("/api/decisions/999999")
    assert (r.status_code, r.json()) == (404, {"error": "not_found", "message": "no decision record 999999"})
    r = http.get("/api/decisions/abc")
    assert r.status_code == 400 and r.json()["message"].startswith("path parameter record_id: ")
    r = http.get("/api/decisions", params={"limit": 5000})
    assert r.status_code == 400 and "limit" in r.json()["message"]
    assert http.get("/api/nothing").status_code == 404


def test_cross_site_posts_are_refused(http: httpx.Client, server: Server) -> None:
    body = GENOMIC.read_bytes()
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
        r = http.post("/api/decisions", content=body, headers=headers)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden"), headers
        assert http.post("/api/reload", headers=headers).status_code == 403
    same = http.post("/api/decisions", content=body, headers={"Origin": server.url})
    assert same.status_code == 200


def test_every_response_forbids_network_resources(http: httpx.Client) -> None:
    for path in ("/", "/api/health", "/static/app.css", "/api/nothing"):
        csp = http.get(path).headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[Server]:
    srv = Server("--max-body-bytes", "4000", "--max-transfers", "3", audit_db=tmp_path / "a.sqlite")
    try:
        yield srv
    finally:
        srv.stop()


def test_size_limits(small_server: Server) -> None:
    one = json.loads(json.dumps(__import__("yaml").safe_load(GENOMIC.read_text()), default=str))
    with small_server.client() as http:
        r = http.post("/api/decisions", content=b"#" * 4001, headers=YAML)
        assert (r.status_code, r.json()) == (
            413,
            {"error": "too_large", "message": "request body is larger than 4000 bytes"},
        )

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit holds as it streams
            for _ in range(10):
                yield b"#" * 1000

        r = http.post("/api/decisions", content=chunked(), headers=YAML)
        assert r.status_code == 413 and r.json()["error"] == "too_large"
        four = [{**one, "id": f"t{i}"} for i in range(4)]
        r = http.post("/api/decisions", json=four)
        assert (r.status_code, r.json()) == (
            413,
            {"error": "too_large", "message": "request: 4 transfers in one request; the limit is 3"},
        )
        assert http.post("/api/decisions", json=four[:3]).status_code == 200
        assert http.get("/api/decisions").json()["records"][0]["id"] == 3


def _policies_copy(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def _replace(path: Path, text: str) -> None:
    """Write a file whole (rename), as a deploy would, so a reload never reads half of it."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_reload_swaps_catalogues_and_keeps_them_on_error(tmp_path: Path) -> None:
    policies = _policies_copy(tmp_path)
    cn = policies / "cn.yaml"
    original = cn.read_text()
    srv = Server("--policies", str(policies), audit_db=tmp_path / "a.sqlite")
    try:
        with srv.client() as http:
            before = http.get("/api/catalogues").json()
            assert before["generation"] == 1
            _replace(cn, original.replace('version: "2026.12"', 'version: "2099.1"', 1))
            assert "2099.1" in cn.read_text()
            after = http.post("/api/reload").json()
            assert after["generation"] == 2
            assert [c["version"] for c in after["catalogues"] if c["jurisdiction"] == "CN"] == ["2099.1"]
            decided = http.post(
                "/api/decisions", content=(EXAMPLES / "cn-us-pi-100000.yaml").read_bytes()
            ).json()
            assert {c["jurisdiction"]: c["version"] for c in decided["decisions"][0]["catalogues"]}[
                "CN"
            ] == "2099.1"

            _replace(cn, original.replace("entries:", "entries:\n  - nonsense: true", 1))
            message = (
                run("catalogues", "--policies", str(policies)).stderr.decode().strip().removeprefix("error: ")
            )
            r = http.post("/api/reload")
            assert (r.status_code, r.json()) == (409, {"error": "catalogue", "message": message})
            assert http.get("/api/catalogues").json() == after  # the previous catalogues stay in use

            _replace(cn, original)
            os.kill(srv.pid, signal.SIGHUP)  # the signal does what the endpoint does
            deadline = time.monotonic() + 20
            while http.get("/api/catalogues").json()["generation"] != 3:
                assert time.monotonic() < deadline, "SIGHUP did not reload"
                time.sleep(0.05)
            assert http.get("/api/catalogues").json()["catalogues"] == before["catalogues"]
    finally:
        assert srv.stop(), srv.stderr


@pytest.mark.slow  # concurrent clients across reloads of a real server
def test_no_request_sees_half_a_reload(tmp_path: Path) -> None:
    """Decide under load while the catalogues flip between two versions that differ in both
    their version label and a rule: every decision must be exactly one version's decision."""
    policies = _policies_copy(tmp_path)
    cn = policies / "cn.yaml"
    version_a = cn.read_text()
    assert "default: allow" in version_a
    version_b = version_a.replace('version: "2026.12"', 'version: "B"', 1).replace(
        "default: allow", "default: review", 1
    )
    examples = [
        EXAMPLES / n
        for n in ("cn-us-climate-research.yaml", "cn-us-trade-documents.yaml", "cn-us-pi-100000.yaml")
    ]
    expected: dict[str, dict[str, list[object]]] = {"A": {}, "B": {}}
    for label, text in (("A", version_a), ("B", version_b)):
        _replace(cn, text)
        for ex in examples:
            expected[label][ex.name] = cli_json("--policies", str(policies), str(ex))["decisions"]  # type: ignore[assignment]
    assert expected["A"] != expected["B"]
    _replace(cn, version_a)
    srv = Server("--policies", str(policies), audit_db=tmp_path / "a.sqlite")
    seen = {"A": 0, "B": 0}
    try:

        def client(n: int) -> list[str]:
            labels = []
            with srv.client() as http:
                for i in range(60):
                    ex = examples[(n + i) % len(examples)]
                    got = http.post("/api/decisions", content=ex.read_bytes()).json()["decisions"]
                    match = [label for label in ("A", "B") if got == expected[label][ex.name]]
                    assert match, f"a decision matching neither version: {got}"
                    labels.append(match[0])
            return labels

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(client, n) for n in range(5)]
            with srv.client() as http:
                for flip in range(30):
                    _replace(cn, version_b if flip % 2 == 0 else version_a)
                    assert http.post("/api/reload").status_code == 200
                    time.sleep(0.01)
            for future in futures:
                for label in future.result():
                    seen[label] += 1
    finally:
        assert srv.stop(), srv.stderr
    assert seen["A"] + seen["B"] == 300
    assert seen["A"] and seen["B"], seen  # the load really overlapped the reloads


def test_serve_refuses_to_start_without_its_catalogues_or_store(tmp_path: Path) -> None:
    broken = _policies_copy(tmp_path)
    (broken / "cn.yaml").write_text("jurisdiction: CN\n")
    result = run("serve", "--port", "0", "--policies", str(broken), "--audit-db", str(tmp_path / "a.sqlite"))
    assert result.returncode == 6
    assert result.stderr.decode().startswith(f"error: {broken / 'cn.yaml'}:")
    assert result.stdout == b""  # it never said it was serving
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("serve", "--port", "0", "--audit-db", str(blocker / "a.sqlite"))
    assert result.returncode == 8 and result.stderr.decode().startswith("error: cannot open audit store")


def test_serve_reports_a_port_in_use(server: Server, tmp_path: Path) -> None:
    port = server.url.rsplit(":", 1)[1]
    result = run("serve", "--port", port, "--audit-db", str(tmp_path / "a.sqlite"))
    assert result.returncode == 1
    assert result.stderr.decode() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
