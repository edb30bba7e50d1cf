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

import yaml

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


def composed_line(text: str) -> int | None:
    """The line of the first mapping (depth first) holding a transfer's fields in ``text``
    composed leniently (tags, duplicate keys and aliases as YAML gives them, keys decoded),
    when :func:`raw_line` finds none in the raw text; else None.

    For a file the strict reader refused that :mod:`.sniff` did not take for a manifest:
    the raw keys alone missed a transfer written with YAML's explicit keys (``? data``) or
    escaped ones (``"\\x64ata"``) as the seventeenth element of a list or three levels
    down, behind one duplicate key, and that gate passed (s10 attack)."""
    raw = raw_line(text)
    if raw is not None:
        return raw
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    except RecursionError:
        return 1  # nested too deeply to look through: assume the worst
    budget, seen = [_MAX_VISITS], set[int]()
    for node in nodes:
        line = _node_line(node, budget, seen)
        if line is not None:
            return line
    return None


def _node_line(node: yaml.Node | None, budget: list[int], seen: set[int]) -> int | None:
    if node is None or id(node) in seen:
        return None  # an alias of a node already looked at (or a recursive anchor)
    seen.add(id(node))
    budget[0] -= 1
    if budget[0] < 0:
        return node.start_mark.line + 1  # too big to look through: assume the worst
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        if transfer_fields(_keys(node)):
            return node.start_mark.line + 1
        children = [child for pair in node.value for child in pair]
    else:
        return None
    for child in children:
        line = _node_line(child, budget, seen)
        if line is not None:
            return line
    return None


def _keys(node: yaml.MappingNode, merging: frozenset[int] = frozenset()) -> dict[str, object]:
    """A mapping's scalar keys, each with its value's scalar text (a list for a collection,
    which is what :func:`transfer_fields` tells a country code from); a merge key's
    mappings bring theirs in, as YAML merges them (``merging``: those already on the way,
    so a recursive anchor ends)."""
    keys: dict[str, object] = {}
    merging = merging | {id(node)}
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if key.value == "<<" or key.tag == "tag:yaml.org,2002:merge":
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode) and id(source) not in merging:
                    keys = {**_keys(source, merging), **keys}
            continue
        if isinstance(value, yaml.ScalarNode):
            keys[key.value] = value.value
        else:  # a duplicate key's scalar, read by another reader, is not hidden by a list
            keys.setdefault(key.value, [None])
    return keys


def raw_line(text: str) -> int | None:
    """The line of the first ``origin``/``destination`` key when the raw text also has a
    ``data`` key, else None. For text no reader could parse."""
    data = _DATA.search(text)
    country = _COUNTRY.search(text)
    if data is None or country is None:
        return None
    return text.count("\n", 0, country.start()) + 1
