"""Fail closed: find a transfer's fields in a file the scan could not decide.

A gate that skips what it cannot read lets a restricted transfer through: a YAML list whose
first element is ``1`` followed by a transfer, or a JSON manifest with one raw control
character that the strict reader refuses, used to be reported as "not a manifest" and the
scan passed (issue 19, item 7). This module answers one question for such files: does the
readable part, or failing that the raw text, show a transfer's fields, ``data`` together
with ``origin`` or ``destination``? If so the file is an input error (exit 5), never a skip.

It errs towards yes, as :mod:`.sniff` does: a false alarm costs a line in a waiver-free
``--exclude``, a false skip costs a wrong allow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from ..loading import Document

Path_ = tuple[str | int, ...]
_MAX_VISITS = 200_000
"""Values looked at in one file before giving up (and saying yes)."""


# A key in the raw text, written as YAML block (`  origin:`, `- data:`), YAML flow or JSON
# (`{origin: CN`, `"data": [`), quoted or not, at any indentation.
def _key(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:^[ \t]*(?:-[ \t]+)*|[{{,][ \t]*)[\"']?{name}[\"']?[ \t]*:|[\"']{name}[\"'][ \t]*:",
        re.MULTILINE,
    )


_DATA = _key("data")
_COUNTRY = _key("(?:origin|destination)")


def transfer_fields(value: object) -> bool:
    """A mapping with ``data`` and ``origin`` or ``destination`` whose value is a scalar (a
    country code, right or wrong): what a transfer is. A JSON Schema's ``properties``, whose
    ``origin`` is itself a mapping, describes transfers without stating one."""
    if not isinstance(value, dict) or "data" not in value:
        return False
    countries = [value[k] for k in ("origin", "destination") if k in value]
    return any(not isinstance(c, (dict, list)) for c in countries)


def find_in_documents(documents: Sequence[Document]) -> tuple[Document, Path_] | None:
    """The first document and path (depth first) holding a transfer's fields, if any."""
    budget = [_MAX_VISITS]
    for doc in documents:
        for path in _walk(doc.value, (), budget):
            return doc, path
    return None


def _walk(value: object, path: Path_, budget: list[int]) -> Iterator[Path_]:
    budget[0] -= 1
    if budget[0] < 0:
        yield path  # too big to look through: assume the worst
        return
    if transfer_fields(value):
        yield path
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, (*path, str(key)), budget)
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from _walk(child, (*path, n), budget)


def raw_line(text: str) -> int | None:
    """The line of the first ``origin``/``destination`` key when the raw text also has a
    ``data`` key, else None. For text no reader could parse."""
    data = _DATA.search(text)
    country = _COUNTRY.search(text)
    if data is None or country is None:
        return None
    return text.count("\n", 0, country.start()) + 1
