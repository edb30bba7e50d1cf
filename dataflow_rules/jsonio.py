"""JSON out at C speed, byte for byte what ``json.dumps`` gave.

The report writers (``scan --format json``, SARIF, ``check --format json``) used the
standard library's encoder with ``indent=2``, which is pure Python: on a 10,000-file scan
writing the report was 41% of the run (issue 14). orjson writes the same text for the
values these reports hold (strings, integers, booleans, None, lists and string-keyed
dicts), many times faster. Where the two could differ, this module gives the standard
library's bytes instead:

- a float: orjson writes ``1e16``, Python ``1e+16``; a report holding any float is
  written by the standard library (reports hold counts and dates, not floats);
- an integer beyond 64 bits, a non-string key, a lone surrogate in a string, or any
  other value orjson refuses: the standard library (which writes what it always wrote).

Non-ASCII text is written as UTF-8, as ``ensure_ascii=False`` did; control characters are
escaped the same way (``\\u001f``, ``\\n``) by both.
"""

from __future__ import annotations

import json
from typing import Any

try:  # a dependency (pyproject.toml); the fallback keeps a broken install working, slowly
    import orjson
except ImportError:  # pragma: no cover - exercised only without orjson installed
    orjson = None  # type: ignore[assignment]


def _has_float(value: Any) -> bool:
    """Whether any float occurs in ``value`` (iterative: a deep report cannot recurse)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def dumps_indented(value: Any) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False) + "\\n"``, at C speed where safe."""
    if orjson is not None and not _has_float(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            pass  # a value orjson refuses: the standard library's text (or its error)
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def canonical(value: Any) -> str:
    """The one serialisation the audit trail's hashes are computed over (sorted keys, no
    spaces, UTF-8, no NaN): the standard library's, exactly, as every stored hash was."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
