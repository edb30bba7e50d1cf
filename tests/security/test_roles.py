"""Who may call what: the token and role matrix, generated from the live /openapi.json.

Every operation the description lists must appear in ROLES below with the roles it
declares (``x-roles``), so an endpoint added without a role, or with another role than
this table says, fails here. Each operation is then called anonymously (401 unless
public), with a token of each single role (403 without the role, an answer past the
gate with it), with a revoked token and a made-up one (401).
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from ..conftest import EXAMPLES
from ..server.conftest import TESTER, Server

GENOMIC = (EXAMPLES / "us-cn-genomic-101.yaml").read_bytes()

ROLES: dict[tuple[str, str], set[str]] = {
    ("get", "/api/health"): {"public"},
    ("get", "/api/catalogues"): {"authenticated"},
    ("post", "/api/reload"): {"admin"},
    ("post", "/api/decisions"): {"decider"},
    ("get", "/api/decisions"): {"reader"},
    ("get", "/api/decisions/{record_id}"): {"reader"},
    ("get", "/api/audit/verify"): {"reader"},
}
"""What each operation needs; the description must say the same."""

WEB: dict[tuple[str, str], set[str]] = {
    ("get", "/"): {"decider"},
    ("post", "/check"): {"decider"},
    ("post", "/check-yaml"): {"decider"},
    ("get", "/decisions"): {"reader"},
    ("get", "/decisions/1"): {"reader", "decider"},
    ("get", "/decisions/1/report"): {"reader", "decider"},
    ("get", "/openapi.json"): {"authenticated"},
    ("post", "/logout"): {"authenticated"},
    ("get", "/login"): {"public"},
    ("post", "/login"): {"public"},
    ("get", "/static/app.css"): {"public"},
}
"""The pages, which the description leaves out (include_in_schema=False)."""

SINGLE_ROLES = ("decider", "reader", "admin")


@pytest.fixture(scope="module")
def tokens(target: Server) -> dict[str, str]:
    made = {role: target.make_token(f"only-{role}", [role]) for role in SINGLE_ROLES}
    revoked = target.make_token("revoked", SINGLE_ROLES)
    target.tokens.revoke("revoked")
    made["revoked"] = revoked
    made["made-up"] = "dfr_0123abcd_" + "A" * 43
    return made


@pytest.fixture(scope="module")
def spec(target: Server) -> dict[str, Any]:
    with target.client() as c:
        response = c.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _call(target: Server, method: str, path: str, token: str | None) -> httpx.Response:
    url = re.sub(r"\{record_id\}", "1", path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict[str, Any] = {"headers": headers, "timeout": 60}
    if method == "post" and url in ("/api/decisions",):
        kwargs["content"] = GENOMIC
        headers["content-type"] = "application/yaml"
    elif method == "post":
        kwargs["data"] = {"transfer_yaml": GENOMIC.decode(), "token": "x"}
    return httpx.request(method.upper(), target.url + url, follow_redirects=False, **kwargs)


def test_every_operation_in_the_description_declares_the_roles_this_table_expects(
    spec: dict[str, Any],
) -> None:
    described = {
        (method, path): set(op.get("x-roles", []))
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    assert described == ROLES, "an operation was added, removed, or changed its roles: update ROLES"
    for (method, path), roles in ROLES.items():
        security = spec["paths"][path][method].get("security")
        assert (security is None) == ("public" in roles), (method, path)


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", *SINGLE_ROLES, "revoked", "made-up"])
def test_the_role_matrix(target: Server, tokens: dict[str, str], who: str) -> None:
    # Make record 1 (asked by the all-roles tester) so the record routes have something.
    with target.client() as c:
        assert (
            c.post(
                "/api/decisions", content=GENOMIC, headers={"content-type": "application/yaml"}
            ).status_code
            == 200
        )
    token = None if who == "anonymous" else tokens[who]
    for (method, path), roles in {**ROLES, **WEB}.items():
        response = _call(target, method, path, token)
        where = f"{who} {method.upper()} {path}: {response.status_code} {response.text[:200]}"
        if (method, path) == ("post", "/login"):
            # Public, and answers a bad token with its own 401 (the login page again);
            # the login test checks it with a good and a bad token.
            assert "Sign in" in response.text, where
        elif "public" in roles:
            assert response.status_code not in (401, 403), where
        elif who in ("anonymous", "revoked", "made-up"):
            assert response.status_code == 401, where
            assert response.headers["www-authenticate"].startswith("Bearer"), where
        elif "authenticated" in roles or who in roles:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
            if path.startswith("/api/"):
                assert response.json()["error"] == "forbidden", where


def test_an_unknown_path_is_401_to_the_anonymous_and_404_to_others(target: Server) -> None:
    assert httpx.get(f"{target.url}/api/nothing-here").status_code == 401
    assert httpx.get(f"{target.url}/secret-page").status_code == 401
    with target.client() as c:
        assert c.get("/api/nothing-here").status_code == 404


def test_the_anonymous_cannot_read_reload_or_record(target: Server) -> None:
    """The attacks of issue 13, each refused: read every transfer, reload, record."""
    with target.client() as c:
        before = c.get("/api/health").json()["audit"]["records"]
    assert httpx.get(f"{target.url}/api/decisions").status_code == 401
    assert httpx.get(f"{target.url}/api/decisions/1").status_code == 401
    assert httpx.post(f"{target.url}/api/reload").status_code == 401
    r = httpx.post(
        f"{target.url}/api/decisions",
        content=GENOMIC,
        headers={"content-type": "application/yaml", "X-Requested-By": "Officer Wu"},
    )
    assert r.status_code == 401
    with target.client() as c:
        assert c.get("/api/health").json()["audit"]["records"] == before


def test_requested_by_is_the_identity_never_a_header(target: Server, tokens: dict[str, str]) -> None:
    with target.client(tokens["decider"]) as c:
        r = c.post(
            "/api/decisions",
            content=GENOMIC,
            headers={"content-type": "application/yaml", "X-Requested-By": "Officer Wu"},
        )
    assert r.status_code == 200, r.text
    with target.client() as c:
        stored = c.get(f"/api/decisions/{r.json()['records'][0]['id']}").json()
    assert stored["requested_by"] == "only-decider"


def test_proxy_headers_from_an_untrusted_peer_are_ignored(target: Server) -> None:
    """This server trusts no proxy: X-Forwarded-User from loopback names nobody."""
    r = httpx.get(
        f"{target.url}/api/decisions",
        headers={"X-Forwarded-User": "admin", "X-Forwarded-Roles": "reader,admin"},
    )
    assert r.status_code == 401


def test_a_revocation_takes_effect_at_the_next_request(target: Server) -> None:
    token = target.make_token("short-lived", ["reader"])
    with target.client(token) as c:
        assert c.get("/api/decisions").status_code == 200
        target.tokens.revoke("short-lived")
        time.sleep(0.01)
        assert c.get("/api/decisions").status_code == 401


def test_login_sets_an_httponly_samesite_strict_cookie_that_authenticates_the_page(target: Server) -> None:
    page = httpx.get(f"{target.url}/login")
    assert page.status_code == 200 and 'name="token"' in page.text
    bad = httpx.post(f"{target.url}/login", data={"token": "dfr_00000000_" + "B" * 43})
    assert bad.status_code == 401 and "set-cookie" not in bad.headers
    good = httpx.post(f"{target.url}/login", data={"token": target.token})
    assert good.status_code == 303
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    with httpx.Client(base_url=target.url, cookies={"dfr_token": value}) as browser:
        home = browser.get("/")
        assert home.status_code == 200 and TESTER in home.text
        # A cross-site form post carrying the cookie is still refused (CSRF).
        assert (
            browser.post(
                "/check-yaml", data={"transfer_yaml": "x"}, headers={"Origin": "http://evil.example"}
            ).status_code
            == 403
        )


def test_the_anonymous_page_request_gets_the_login_form_with_401(target: Server) -> None:
    r = httpx.get(f"{target.url}/decisions")
    assert r.status_code == 401 and 'action="/login"' in r.text
    assert "no-store" not in r.headers.get("content-security-policy", "")
