"""Shared helpers: the shipped examples as JSON lines, and running the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from dataflow_rules import Policies, read_transfers

from ..conftest import EXAMPLES

EXE = shutil.which("dataflow-rules") or str(Path(sys.executable).parent / "dataflow-rules")


def example_values(policies: Policies) -> list[dict[str, Any]]:
    """Every shipped example transfer exactly as written (YAML dates as ISO strings)."""
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for located in read_transfers(path, policies):
            value = located.document.value
            for part in located.path:
                value = value[part]
            out.append(json.loads(json.dumps(value, default=str)))
    return out


def jsonl(values: list[dict[str, Any]], copies: int = 1) -> bytes:
    """``copies`` rounds of ``values``, ids made unique per round, one JSON object a line."""
    lines = []
    for n in range(copies):
        for value in values:
            lines.append(json.dumps({**value, "id": f"{value['id']}-{n}"} if copies > 1 else value))
    return ("\n".join(lines) + "\n").encode()


def run(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=timeout, check=False)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]
