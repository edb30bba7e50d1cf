"""Running a command with standard error on a pseudo-terminal, for the tests of what is drawn
only on a terminal (progress lines)."""

from __future__ import annotations

import os
import pty
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def on_a_terminal(
    argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 60
) -> tuple[int, bytes]:
    """Run ``argv`` with stderr a terminal (stdout discarded); its exit code and all it drew."""
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        list(argv), cwd=cwd, env=None if env is None else dict(env), stdout=subprocess.DEVNULL, stderr=child
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(parent, 4096)
        except OSError:  # the child closed the terminal: Linux reads EIO
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=timeout)
    os.close(parent)
    return code, seen
