"""Trusted hosts, CSRF under DNS rebinding, TLS, and the refusal to listen in the clear."""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ..conftest import EXAMPLES
from ..server.conftest import Server

GENOMIC = (EXAMPLES / "us-cn-genomic-101.yaml").read_bytes()
YAML = {"content-type": "application/yaml"}


def test_a_foreign_host_gets_400_even_with_a_token(target: Server) -> None:
    """DNS rebinding: attacker.example made to resolve to 127.0.0.1; the browser sends
    ``Host: attacker.example`` (and the victim's cookie is not sent to that name, but a
    bearer token is refused too: the Host check comes first)."""
    with target.client() as c:
        for host in ("attacker.example", "attacker.example:" + target.url.rsplit(":", 1)[1], "127.0.0.2"):
            r = c.get("/api/decisions", headers={"Host": host})
            assert (r.status_code, r.json()["error"]) == (400, "input"), host
        r = c.post("/api/reload", headers={"Host": "attacker.example", "Origin": "http://attacker.example"})
        assert r.status_code == 400
        port = target.url.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert c.get("/api/health", headers={"Host": host}).status_code == 200, host


def test_origin_equal_to_host_is_not_enough(target: Server) -> None:
    """The old CSRF check passed any Origin equal to Host: under DNS rebinding both are
    the attacker's name. Now the Origin must name one of this service's hosts."""
    with target.client() as c:
        r = c.post(
            "/api/decisions",
            content=GENOMIC,
            headers={**YAML, "Host": "attacker.example", "Origin": "http://attacker.example"},
        )
        assert r.status_code == 400
        r = c.post("/api/decisions", content=GENOMIC, headers={**YAML, "Origin": "http://attacker.example"})
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
        r = c.post("/api/decisions", content=GENOMIC, headers={**YAML, "Origin": target.url})
        assert r.status_code == 200, r.text


def test_allowed_host_adds_a_name(tmp_path: Path) -> None:
    srv = Server("--allowed-host", "dfr.example.org", audit_db=tmp_path / "a.sqlite")
    try:
        port = srv.url.rsplit(":", 1)[1]
        with srv.client() as c:
            assert c.get("/api/health", headers={"Host": f"dfr.example.org:{port}"}).status_code == 200
            # Bare too: what a reverse proxy on 443 forwards.
            assert c.get("/api/health", headers={"Host": "dfr.example.org"}).status_code == 200
            assert c.get("/api/health", headers={"Host": "other.example.org"}).status_code == 400
    finally:
        assert srv.stop(), "".join(srv.stderr)


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])  # refused before the Host check
def test_a_non_loopback_bind_without_tls_or_proxy_is_refused(host: str, tmp_path: Path) -> None:
    result = _serve("--host", host, "--port", "0", "--audit-db", str(tmp_path / "a.sqlite"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: refusing to listen on {host} without TLS"), result.stderr
    assert not (tmp_path / "a.sqlite.tokens").exists(), "a refused start minted a token"


def test_certfile_and_keyfile_go_together(tmp_path: Path) -> None:
    result = _serve("--certfile", str(tmp_path / "c.pem"), "--audit-db", str(tmp_path / "a.sqlite"))
    assert result.returncode == 2 and "go together" in result.stderr


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certfile, keyfile


@pytest.mark.slow
def test_tls_serves_https_and_sets_a_secure_cookie(tmp_path: Path) -> None:
    certfile, keyfile = _self_signed(tmp_path)
    srv = Server(
        "--certfile", str(certfile), "--keyfile", str(keyfile), audit_db=tmp_path / "a.sqlite", ready=False
    )
    try:
        assert srv.url.startswith("https://127.0.0.1:"), srv.url
        port = srv.url.rsplit(":", 1)[1]
        context = ssl.create_default_context(cafile=str(certfile))
        with httpx.Client(base_url=f"https://localhost:{port}", verify=context, timeout=30) as c:
            deadline = 30
            while deadline:
                try:
                    if c.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                deadline -= 1
                import time

                time.sleep(0.2)
            assert c.get("/api/decisions", headers=srv.auth).status_code == 200
            login = c.post("/login", data={"token": srv.token})
            assert login.status_code == 303 and "Secure" in login.headers["set-cookie"]
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).raise_for_status()
    finally:
        assert srv.stop(), "".join(srv.stderr)


def test_a_wildcard_bind_must_name_its_hosts(tmp_path: Path) -> None:
    result = _serve(
        "--host", "0.0.0.0", "--insecure-bind", "--port", "0", "--audit-db", str(tmp_path / "a.sqlite")
    )
    assert result.returncode == 2 and "--allowed-host" in result.stderr, result.stderr
