"""The decision page and the printable report list what the decision assumed (a law's
presumption, a facts file's statement) with how to say otherwise, as text, JSON and SARIF
do (issue 19, item 4)."""

from __future__ import annotations

import html

import httpx

from ..conftest import EXAMPLES

YAML = {"content-type": "application/yaml"}


def test_the_page_and_the_report_list_the_assumptions(http: httpx.Client) -> None:
    # No `anonymised` stated: China's catalogue presumes personal information is not
    # anonymised (PIPL Art 4, 73(4)), and the decision says so.
    text = (EXAMPLES / "cn-us-pi-100000.yaml").read_text(encoding="utf-8")
    text = text.replace("    anonymised: false\n", "")
    response = http.post("/api/decisions", content=text.encode(), headers=YAML)
    assert response.status_code == 200, response.text
    decision = response.json()["decisions"][0]
    assumed = [a for a in decision["assumptions"] if a["fact"] == "data[0].anonymised"]
    assert assumed, decision["assumptions"]
    record = response.json()["records"][0]["id"]
    for url in (f"/decisions/{record}", f"/decisions/{record}/report"):
        page = html.unescape(http.get(url).text)
        assert 'class="assumptions"' in page, url
        assert "data[0].anonymised" in page and assumed[0]["override"] in page, url


def test_no_assumption_no_section(http: httpx.Client) -> None:
    response = http.post(
        "/api/decisions", content=(EXAMPLES / "cn-us-climate-research.yaml").read_bytes(), headers=YAML
    )
    decision = response.json()["decisions"][0]
    record = response.json()["records"][0]["id"]
    page = http.get(f"/decisions/{record}").text
    assert ('class="assumptions"' in page) == bool(decision["assumptions"])
