"""A line's transfer straight from its JSON text, where that is provably the same reading.

``batch`` and ``diff`` read a line by the standard library's decoder into Python values
and then validate those (:func:`.records.read_line`, ``workbench.diff._parse``).
pydantic can validate the JSON text itself, in its own Rust parser
(``Transfer.model_validate_json``), with no Python objects built for the parse.

That is only a faster road to the same place if it never reads a line otherwise. So it
is a *first look*, like :class:`.vocabulary.Vocabulary`: :func:`transfer_from_json`
answers with a transfer only when the strict reading would give that same transfer, and
with None otherwise, and the caller then reads the line the old way, which accepts,
refuses and words every fault exactly as before. Where the two readings can differ
(tests/test_batch_jsonline.py compares them over generated and damaged lines):

- *duplicate keys*: pydantic's parser keeps the last value of a repeated key; the strict
  reading refuses the line. After a successful validation the transfer's keys are
  counted (:func:`_keys`: fields set and map entries, object by object) and compared with
  the line's colons: every key is followed by one colon, so a line holds at least as many
  colons as keys written, and any repeated key (or a colon inside a string) makes the
  colons outnumber the keys the transfer kept. Only a line whose colons are exactly the
  transfer's keys is taken; a line with a colon in a text or id (``"note: ..."``) is
  read the old way, correctly, if not faster;
- *NaN and Infinity*: the strict reading refuses them; pydantic's parser reads them, and
  no field of a transfer takes a float today, but a line naming them is read the old way
  so that a float field added later cannot accept one;
- a BOM, bad UTF-8, a lone surrogate, trailing text, a top-level non-object, numbers
  beyond the standard library's digit limit: pydantic's parser refuses each (so the old
  way reads the line: a BOM on line 1 is accepted there, as always);
- nesting: a validated transfer nests seven levels at most, far below the strict reading's
  limit (:data:`.records.MAX_LINE_DEPTH`), so no line it validates is too deep.

Every other difference between pydantic's Python and JSON modes (strings for dates,
strict integers and booleans, enums) is one of validating Python values against
validating JSON text of those same values; the lines the old way validates are JSON
values, so both modes see the same inputs (the differential test is the proof kept).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from ..models.transfer import Transfer


def transfer_from_json(raw: bytes | str) -> Transfer | None:
    """The transfer of one JSON line by pydantic's JSON parser, or None: read it the old way.

    None for every line the strict reading would refuse or might read differently (see
    the module docstring); a transfer only for a line it reads the same.
    """
    if isinstance(raw, bytes):
        if b"NaN" in raw or b"Infinity" in raw:
            return None
        colons = raw.count(b":")
    else:
        if "NaN" in raw or "Infinity" in raw:
            return None
        colons = raw.count(":")
    try:
        transfer = Transfer.model_validate_json(raw)
    except ValidationError:
        return None
    if colons != _keys(transfer):
        return None  # a key repeated, or a colon inside a string: the old way decides
    return transfer


def _keys(model: BaseModel) -> int:
    """How many JSON keys ``model`` was validated from, at most: the fields set of it and
    of every model inside it, and the entries of every map (a map whose keys collided
    when stripped counts fewer, which only makes a line fall back).

    On every line read, so it skips the scalars by their exact type before any
    ``isinstance`` (a model class's check goes through its metaclass): 3 µs a line, not 12."""
    n = 0
    stack: list[BaseModel] = [model]
    push, pop = stack.append, stack.pop
    while stack:
        current = pop()
        fields = current.__pydantic_fields_set__
        n += len(fields)
        values = current.__dict__
        for name in fields:
            value = values[name]
            kind = type(value)
            if kind in _SCALARS:
                continue
            if kind is list or kind is tuple:
                for item in value:
                    if type(item) not in _SCALARS and isinstance(item, BaseModel):
                        push(item)
            elif kind is dict:
                n += len(value)
                for item in value.values():
                    if type(item) not in _SCALARS and isinstance(item, BaseModel):
                        push(item)
            elif isinstance(value, BaseModel):
                push(value)
    return n


_SCALARS = frozenset({str, int, bool, float, type(None)})


class DuplicateKey(ValueError):
    """A JSON object repeats a key: which value is meant is ambiguous, so the line is refused."""


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a repeated key (the dict is built in C; the pairs
    are walked only to name the first key repeated)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(f"duplicate key '{key}'")
            seen.add(key)
    return out


def loads_unique(text: bytes | str) -> Any:
    """``json.loads`` refusing repeated keys (a :class:`ValueError`, as any malformed JSON).

    ``diff`` read corpus lines by plain ``json.loads``, which keeps the last value of a
    repeated key: a line naming two ids or two destinations was decided under one of them,
    silently. It is refused now, as ``batch`` always refused it."""
    return json.loads(text, object_pairs_hook=unique_pairs)
