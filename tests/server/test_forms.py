"""The web form's safeguard and security-measure fields, and HEAD on every GET route.

The form must describe exactly the transfer the same YAML describes (it is read by the same
reader as a file, so the decision then follows), and a fault in a safeguard row must get the
command line's one-line message, placed at the field.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest

from dataflow_rules.errors import InputError
from dataflow_rules.models.policies import Policies
from dataflow_rules.server.forms import FORM_SOURCE, FormData, Vocabulary, form_message
from dataflow_rules.transfers import parse_transfers

from ..test_cli import run
from .conftest import Server

BASE = [
    ("id", "cn-us-contact"),
    ("origin", "cn"),
    ("destination", "us"),
    ("date", "2026-03-02"),
    ("purpose", "business_operations"),
    ("data-0-category", "personal.contact"),
    ("data-0-individuals", "150,000"),
    ("data-0-anonymised", "no"),
]
BASE_YAML = """\
id: cn-us-contact
origin: CN
destination: US
date: 2026-03-02
purpose: business_operations
data: [{category: personal.contact, individuals: 150000, anonymised: false}]
"""


def form_transfer(policies: Policies, pairs: list[tuple[str, str]]) -> object:
    text = FormData.parse(pairs).transfer_text(Vocabulary.of(policies))
    return parse_transfers(text, FORM_SOURCE, policies)[0].transfer


def yaml_transfer(policies: Policies, text: str) -> object:
    return parse_transfers(text, "t.yaml", policies)[0].transfer


def test_safeguards_and_security_make_the_transfer_the_yaml_describes(policies: Policies) -> None:
    pairs = [
        *BASE,
        # Row 0 is left blank (the page always offers one): it is no safeguard.
        ("safeguard-0-mechanism", ""),
        ("safeguard-0-reference", " "),
        ("safeguard-2-mechanism", "cn.standard_contract"),
        ("safeguard-2-reference", "SH-SC-2025-0342"),
        ("safeguard-2-obtained", "2025-02-10"),
        ("safeguard-2-expires", "2027-02-09"),
        ("safeguard-2-recipient", "Example Partner Inc."),
        ("safeguard-2-destinations", "us, sg"),
        ("safeguard-2-categories", "personal.contact personal.financial"),
        ("safeguard-2-max_individuals", "200,000"),
        ("safeguard-5-mechanism", "cn.certification"),
        ("safeguard-5-reference", "PIPC-1"),
        ("safeguard-5-obtained", "2025-05-20"),
        ("security-encryption_in_transit", "yes"),
        ("security-access_control", "no"),
        ("security-data_minimisation", ""),  # not stated: left out, not false
    ]
    yaml = BASE_YAML + (
        "security: {encryption_in_transit: true, access_control: false}\n"
        "safeguards:\n"
        "  - mechanism: cn.standard_contract\n"
        "    reference: SH-SC-2025-0342\n"
        "    obtained: 2025-02-10\n"
        "    expires: 2027-02-09\n"
        "    scope: {recipient: Example Partner Inc., destinations: [US, SG],\n"
        "            categories: [personal.contact, personal.financial], max_individuals: 200000}\n"
        "  - {mechanism: cn.certification, reference: PIPC-1, obtained: 2025-05-20}\n"
    )
    assert form_transfer(policies, pairs) == yaml_transfer(policies, yaml)


def test_without_safeguards_or_measures_the_transfer_has_none(policies: Policies) -> None:
    pairs = [*BASE, ("safeguard-0-mechanism", ""), ("security-encryption_at_rest", "")]
    transfer = form_transfer(policies, pairs)
    assert transfer == yaml_transfer(policies, BASE_YAML)
    assert transfer.safeguards == [] and transfer.security == {}  # type: ignore[attr-defined]


def test_context_facts_are_stated_only_when_answered(policies: Policies) -> None:
    """A context fact answered yes or no is stated; one left blank is not stated at all
    (unknown, not false), as for security measures."""
    pairs = [
        *BASE,
        ("context-collected_abroad", "yes"),
        ("context-exporter_is_data_broker", "no"),
        ("context-eu_occasional_transfer", ""),
    ]
    yaml = BASE_YAML + "context: {collected_abroad: true, exporter_is_data_broker: false}\n"
    assert form_transfer(policies, pairs) == yaml_transfer(policies, yaml)


def test_the_form_offers_the_taxonomys_mechanisms_and_measures(policies: Policies) -> None:
    vocab = Vocabulary.of(policies)
    tax = policies.taxonomy
    assert vocab.mechanisms == {k: m.description for k, m in tax.mechanisms.items()}
    assert "cn.standard_contract" in vocab.mechanisms
    assert vocab.security_measures == tax.security_measures and vocab.security_measures


SAFEGUARD_FAULTS = {
    "obtained-missing": (
        [("safeguard-0-mechanism", "cn.standard_contract"), ("safeguard-0-reference", "X-1")],
        "safeguards:\n  - {mechanism: cn.standard_contract, reference: X-1}\n",
        "form: safeguards[0].obtained: required field 'safeguards[0].obtained' is missing",
    ),
    "expires-before-obtained": (
        [
            ("safeguard-0-mechanism", "cn.standard_contract"),
            ("safeguard-0-reference", "X-1"),
            ("safeguard-0-obtained", "2025-02-10"),
            ("safeguard-0-expires", "2025-01-01"),
        ],
        "safeguards:\n  - {mechanism: cn.standard_contract, reference: X-1, obtained: 2025-02-10,"
        " expires: 2025-01-01}\n",
        "form: safeguards[0].expires: expires is before obtained",
    ),
    "unknown-mechanism": (
        [
            ("safeguard-0-mechanism", "cn.contract"),
            ("safeguard-0-reference", "X"),
            ("safeguard-0-obtained", "2025-01-01"),
        ],
        "safeguards:\n  - {mechanism: cn.contract, reference: X, obtained: 2025-01-01}\n",
        None,
    ),
    "bad-destination": (
        [
            ("safeguard-0-mechanism", "cn.standard_contract"),
            ("safeguard-0-reference", "X"),
            ("safeguard-0-obtained", "2025-01-01"),
            ("safeguard-0-destinations", "US, XX"),
        ],
        "safeguards:\n  - {mechanism: cn.standard_contract, reference: X, obtained: 2025-01-01,"
        " scope: {destinations: [US, XX]}}\n",
        None,
    ),
}


@pytest.mark.parametrize("fault", list(SAFEGUARD_FAULTS))
def test_a_faulty_safeguard_row_gets_the_clis_message_at_the_field(
    fault: str, http: httpx.Client, tmp_path: Path, policies: Policies
) -> None:
    fields, yaml, expected = SAFEGUARD_FAULTS[fault]
    response = http.post("/check", data=dict([*BASE, *fields, ("requested_by", "t")]))
    assert response.status_code == 422, response.text
    found = re.search(r'<span class="message">(.*?)</span>', response.text, re.S)
    assert found, response.text
    shown = html.unescape(found.group(1))
    path = tmp_path / "t.yaml"
    path.write_text(BASE_YAML + yaml)
    cli = run("check", str(path)).stderr.decode().strip()
    assert "\n" not in cli and cli.endswith(shown.removeprefix("form: ")), (cli, shown)
    if expected is not None:
        assert shown == expected
    # The same message from the form's own reader, without the page.
    with pytest.raises(InputError) as caught:
        form_transfer(policies, [*BASE, *fields])
    assert form_message(caught.value) == shown
    # Nothing typed is lost: the row comes back filled in.
    mechanisms = Vocabulary.of(policies).mechanisms
    for name, value in fields:
        if name.endswith("-mechanism"):
            if value in mechanisms:
                assert re.search(rf'<option value="{re.escape(value)}"[^>]*selected>', response.text), name
        else:
            assert re.search(rf'id="{name}"[^>]*value="{re.escape(value)}"', response.text), name


def test_head_answers_as_get_without_the_body(http: httpx.Client) -> None:
    """FastAPI routes took GET only, so HEAD was 405 on every API route and page."""
    decided = http.post(
        "/check",
        data=dict([*BASE, ("id", "head-check")]),
        follow_redirects=False,
    )
    assert decided.status_code == 303
    record = decided.headers["location"].rsplit("/", 1)[1]
    paths = [
        "/",
        "/decisions",
        "/decisions?verdict=restrict",
        f"/decisions/{record}",
        f"/decisions/{record}/report",
        "/decisions/999999999",  # 404 page
        "/api/health",
        "/api/catalogues",
        "/api/decisions?limit=2",
        f"/api/decisions/{record}",
        "/api/decisions/999999999",  # 404
        "/api/decisions?limit=0",  # 400
        "/api/audit/verify",
        "/openapi.json",
        "/static/app.js",
        "/no/such/page",  # 404
        "/api/reload",  # POST only: 405 for GET, so for HEAD too
    ]
    for path in paths:
        get = http.get(path)
        head = http.head(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        volatile = {"date", "last-modified", "etag"}
        assert {k: v for k, v in head.headers.items() if k not in volatile} == {
            k: v for k, v in get.headers.items() if k not in volatile
        }, path
    assert http.head("/api/reload").headers["allow"] == "POST"
    assert http.head("/api/health").headers["content-type"] == "application/json"


def test_head_is_not_an_operation_in_the_description(http: httpx.Client, server: Server) -> None:
    """HEAD is implied by GET: the OpenAPI description keeps one operation per GET."""
    spec = http.get("/openapi.json").json()
    assert all("head" not in operations for operations in spec["paths"].values())
    assert "get" in spec["paths"]["/api/health"]


def test_the_paste_form_keeps_what_was_pasted_and_says_what_is_wrong(http: httpx.Client) -> None:
    """Both forms share one submission path: the paste gets its own messages, keeps its text
    and its panel open, and a good paste is decided and recorded like the form."""
    empty = http.post("/check-yaml", data={"transfer_yaml": "  \n"})
    assert empty.status_code == 422 and "paste a transfer description first" in empty.text
    assert '<details id="paste" open>' in empty.text
    bad = BASE_YAML.replace("origin: CN", "origin: ZZ")
    refused = http.post("/check-yaml", data={"transfer_yaml": bad})
    assert refused.status_code == 422 and '<details id="paste" open>' in refused.text
    assert html.escape("origin: ZZ") in refused.text  # the pasted text comes back
    assert re.search(r'<span class="message">[^<]*origin', refused.text), refused.text
    decided = http.post(
        "/check-yaml",
        data={"transfer_yaml": BASE_YAML.replace("cn-us-contact", "pasted")},
        follow_redirects=False,
    )
    assert decided.status_code == 303 and decided.headers["location"].startswith("/decisions/")
    form = http.post("/check", data=dict([*BASE, ("origin", "zz")]))
    assert form.status_code == 422 and '<details id="paste" open>' not in form.text
