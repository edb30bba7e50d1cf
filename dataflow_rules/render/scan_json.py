"""The scan's machine-readable form (``--format json``), documented in docs/scan.md.

Written file by file (:func:`write`): the report of a 10,000-file scan is some 100 MB of
text, which is never held whole, nor the dict it was once built from. The bytes are those
of ``dumps_indented`` over the whole report (tests/scan/test_formats.py holds the two to
each other): each part is the same encoder's text, indented to its depth.
"""

from __future__ import annotations

import io
from typing import Any, TextIO

from ..jsonio import dumps_indented
from ..models.scan import ScanReport


def render(result: ScanReport) -> str:
    out = io.StringIO()
    write(result, out)
    return out.getvalue()


def write(result: ScanReport, out: TextIO) -> None:
    """Write the report to ``out``: the head, then each file's result as it is read back."""
    head: dict[str, Any] = {
        "schema_version": result.schema_version,
        "kind": "scan",
        "tool": dict(result.tool),
        "fail_on": result.fail_on.value,
        "exit_code": result.exit_code(),
        "summary": result.summary().model_dump(mode="json"),
    }
    tail: dict[str, Any] = {
        "errors": [p.model_dump(mode="json") for p in result.errors],
        "unused_waivers": [p.model_dump(mode="json") for p in result.unused_waivers],
        "baselined": result.baselined,
        "deselected": result.deselected,
    }
    out.write(dumps_indented(head)[: -len("\n}\n")] + ',\n  "files": [')
    empty = True
    for f in result.each_file():
        out.write(("\n" if empty else ",\n") + indented(f.model_dump(mode="json"), 2))
        empty = False
    out.write("]" if empty else "\n  ]")
    out.write(",\n" + dumps_indented(tail)[len("{\n") :])


def indented(value: Any, depth: int) -> str:
    """``value``'s indented JSON as it reads ``depth`` levels down in an enclosing document
    (no trailing newline): every line shifted by two spaces a level."""
    pad = "  " * depth
    return pad + dumps_indented(value)[:-1].replace("\n", "\n" + pad)
