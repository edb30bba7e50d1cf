"""Trusted-proxy mode behind a real reverse proxy: Debian's nginx, started by the test.

nginx authenticates (basic auth standing in for SSO), sets ``X-Forwarded-User`` from the
user it authenticated (overwriting whatever the client sent) and ``X-Forwarded-Roles``
from a map, and connects to the service from 127.0.0.2, the one address the service
trusts (``--trusted-proxy 127.0.0.2``). The same headers sent straight to the service from
127.0.0.1 name nobody.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import EXAMPLES
from ..server.conftest import Server

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GENOMIC = (EXAMPLES / "us-cn-genomic-101.yaml").read_bytes()
PUBLIC_NAME = "dfr.example.test"

CONFIG = """
daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    map $remote_user $dfr_roles {{
        alice "reader";
        bob "decider";
        default "";
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            auth_basic "dataflow-rules";
            auth_basic_user_file {root}/htpasswd;
            proxy_bind 127.0.0.2;
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host {name};
            proxy_set_header X-Forwarded-User $remote_user;
            proxy_set_header X-Forwarded-Roles $dfr_roles;
            proxy_set_header Authorization "";
        }}
        location = /api/health {{
            proxy_bind 127.0.0.2;
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host {name};
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Server]]:
    if not Path(NGINX).exists():
        pytest.skip(
            "trusted-proxy tests skipped: nginx is missing (Debian package 'nginx'; .ci/run installs it)"
        )
    root = tmp_path_factory.mktemp("nginx")
    srv = Server(
        "--trusted-proxy", "127.0.0.2", "--allowed-host", PUBLIC_NAME, audit_db=root / "audit.sqlite"
    )
    port = _free_port()
    (root / "htpasswd").write_text("alice:{PLAIN}alice-pw\nbob:{PLAIN}bob-pw\n")
    config = root / "nginx.conf"
    config.write_text(
        CONFIG.format(root=root, port=port, upstream=srv.url.rsplit(":", 1)[1], name=PUBLIC_NAME)
    )
    proc = subprocess.Popen([NGINX, "-c", str(config), "-p", str(root)], stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
        yield url, srv
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert srv.stop(), "".join(srv.stderr)


@pytest.mark.slow
def test_identity_and_roles_come_from_the_proxy(proxied: tuple[str, Server]) -> None:
    url, _ = proxied
    alice, bob = ("alice", "alice-pw"), ("bob", "bob-pw")
    yaml = {"content-type": "application/yaml"}
    assert httpx.get(f"{url}/api/decisions").status_code == 401  # nginx: no credentials
    assert httpx.get(f"{url}/api/decisions", auth=alice).status_code == 200
    refused = httpx.post(f"{url}/api/decisions", content=GENOMIC, headers=yaml, auth=alice)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert "alice has reader" in refused.json()["message"]
    # bob decides; the header he sends to claim another name is overwritten by nginx.
    decided = httpx.post(
        f"{url}/api/decisions",
        content=GENOMIC,
        headers={**yaml, "X-Forwarded-User": "mallory", "X-Forwarded-Roles": "admin"},
        auth=bob,
    )
    assert decided.status_code == 200, decided.text
    record_id = decided.json()["records"][0]["id"]
    stored = httpx.get(f"{url}/api/decisions/{record_id}", auth=alice).json()
    assert stored["requested_by"] == "bob"
    assert httpx.post(f"{url}/api/reload", auth=bob).status_code == 403


@pytest.mark.slow
def test_proxy_headers_sent_straight_to_the_service_are_not_believed(proxied: tuple[str, Server]) -> None:
    _, srv = proxied
    spoof = {"X-Forwarded-User": "alice", "X-Forwarded-Roles": "reader,decider,admin"}
    assert httpx.get(f"{srv.url}/api/decisions", headers=spoof).status_code == 401
    assert httpx.post(f"{srv.url}/api/reload", headers=spoof).status_code == 401
    # Tokens still work directly (service accounts, the admin on the host).
    assert httpx.get(f"{srv.url}/api/decisions", headers=srv.auth).status_code == 200
