"""A real PostgreSQL server for tests: initdb + pg_ctl on a temporary directory and a free
loopback port, run as the ``postgres`` user when the tests run as root (PostgreSQL refuses
root). Debian's ``postgresql`` package provides the binaries; ``.ci/run`` installs it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise Unavailable("PostgreSQL is not installed (Debian package 'postgresql'; .ci/run installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL; yield its URL; stop it and remove its files."""
    bindir = _bindir()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        runuser = shutil.which("runuser")
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(
                "running as root and there is no 'postgres' user to run PostgreSQL as"
            ) from None
        if runuser is None:
            raise Unavailable("running as root and 'runuser' is missing")
        prefix = [runuser, "-u", "postgres", "--"]
    top = Path(tempfile.mkdtemp(prefix="dfr-pg-"))
    data, sockets, log = top / "data", top / "sock", top / "log"
    sockets.mkdir()
    if as_root:
        shutil.chown(top, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120, check=False)

    try:
        init = run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        if init.returncode != 0:
            raise Unavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on"
        start = run(
            str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"
        )
        if start.returncode != 0:
            tail = log.read_text()[-500:] if log.exists() else start.stderr
            raise Unavailable(f"pg_ctl start failed: {tail.strip()}")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(top, ignore_errors=True)
