"""batch/records.py's strict line reader: its one decoder reads and refuses exactly as
``json.loads`` with the same options did (values, duplicate keys, BOM, non-finite
numbers, trailing data, depth), with the same messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dataflow_rules.batch import records
from dataflow_rules.errors import InputError

LINES = [
    '{"a": 1}',
    '{"a": {"b": [1, 2.5, {"c": null}]}, "d": "x"}',
    '{"a": 1, "a": 2}',
    '{"a": {"b": 1, "c": 2, "b": 3}}',
    '{"a": [{"k": 1}, {"k": 1, "j": 2, "k": 3}]}',
    '{"a": 1, "b": 2, "a": 3, "b": 4}',
    '\ufeff{"a": 1}',
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": 1e999}',
    '{"a": 1} x',
    '{"a": 1}{"b": 2}',
    "",
    "   ",
    "[1, 2]",
    '"text"',
    '{"a": 1',
    '{"a" 1}',
    '{"a": tru}',
    "[" * 40 + "]" * 40,
    '{"a":' * 40 + "1" + "}" * 40,
    '{"\\ud800": 1}',
    '{"a": "\\u00e9"}',
    '{"a": 12345678901234567890123}',
]


def _reference(text: str) -> Any:
    """What parse_line's decoding was: json.loads with the strict options."""
    return json.loads(
        text,
        object_pairs_hook=records._pairs,
        parse_constant=records._constant,
        parse_float=records._float,
    )


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("text", LINES)
def test_the_decoder_reads_as_json_loads(text: str) -> None:
    assert _outcome(lambda: records._loads(text)) == _outcome(lambda: _reference(text))


@pytest.mark.parametrize("line", [1, 2])
@pytest.mark.parametrize("text", LINES)
def test_parse_line_messages(text: str, line: int) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    try:
        got: tuple[str, Any] = ("ok", records.parse_line(raw, "in.jsonl", line))
    except InputError as exc:
        got = ("error", exc.one_line())
    if text.startswith("\ufeff") and line == 1:
        assert got[0] == "ok"  # the first line may start with a BOM (utf-8-sig)
    elif got[0] == "ok":
        assert _outcome(lambda: _reference(text)) == got


def test_the_first_repeated_key_is_named() -> None:
    with pytest.raises(InputError, match="duplicate key 'b'"):
        records.parse_line(b'{"a": 1, "b": 2, "c": 3, "b": 4, "a": 5}', "in.jsonl", 3)
    with pytest.raises(
        InputError, match=r"invalid JSON: Unexpected UTF-8 BOM \(decode using utf-8-sig\) \(column 1\)$"
    ):
        records.parse_line("\ufeff{}".encode(), "in.jsonl", 2)
