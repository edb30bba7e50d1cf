"""The scan's machine-readable form (``--format json``), documented in docs/scan.md."""

from __future__ import annotations

from typing import Any

from ..jsonio import dumps_indented
from ..models.scan import ScanResult


def render(result: ScanResult) -> str:
    dumped = result.model_dump(mode="json")
    body: dict[str, Any] = {
        "schema_version": dumped["schema_version"],
        "kind": "scan",
        "tool": dumped["tool"],
        "fail_on": dumped["fail_on"],
        "exit_code": result.exit_code(),
        "summary": result.summary().model_dump(mode="json"),
        "files": dumped["files"],
        "errors": dumped["errors"],
        "unused_waivers": dumped["unused_waivers"],
        "baselined": dumped["baselined"],
        "deselected": dumped["deselected"],
    }
    return dumps_indented(body)
