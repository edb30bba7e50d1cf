"""Safe reading of YAML and JSON documents, keeping the line of every value.

PyYAML's own loaders are unsafe in three ways for law-shaped data: they silently keep
the last of two duplicate keys, they expand aliases (a few hundred bytes can become
gigabytes), and they forget where a value came from, so a schema error cannot name
its line. This module composes the node graph (which keeps marks and never expands
aliases), rejects what we do not accept, and builds plain Python values together with
a map from each value's path to its line and column.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DataflowRulesError, Location

try:  # libyaml's composer is several times faster; fall back to pure Python.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_BYTES = 16 * 1024 * 1024
"""Largest document accepted (16 MiB): far above any real catalogue, far below harm."""
MAX_DEPTH = 64
"""Deepest nesting accepted; real catalogues nest fewer than ten levels."""
MAX_NODES = 2_000_000
"""Most YAML nodes accepted in one file, bounding memory whatever the layout."""

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """One parsed document: its plain value and where each part of it came from."""

    source: str
    value: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> Location:
        """The location of the deepest known prefix of ``path`` (pydantic's ``loc``)."""
        p = tuple(path)
        while p and p not in self.marks:
            p = p[:-1]
        line, col = self.marks.get(p, self.marks.get((), (1, 1)))
        return Location(self.source, line, col, dotted(path) or None)


def dotted(path: Sequence[str | int]) -> str:
    """A field path as users write it: ``data[2].category``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_text(path: Path, error: type[DataflowRulesError]) -> str:
    """Read a file as UTF-8, refusing oversized files before reading them."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    if size > MAX_BYTES:
        raise error(f"file is {size} bytes; the limit is {MAX_BYTES} bytes", Location(str(path)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror}", Location(str(path))) from None
    return decode(data, str(path), error)


def decode(data: bytes, source: str, error: type[DataflowRulesError]) -> str:
    """Decode UTF-8 strictly; a stray byte is an error with its line, not mojibake."""
    if len(data) > MAX_BYTES:
        raise error(f"input is {len(data)} bytes; the limit is {MAX_BYTES} bytes", Location(source))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            Location(source, line),
        ) from None


def parse_documents(text: str, source: str, error: type[DataflowRulesError]) -> Iterator[Document]:
    """Parse every YAML (or JSON) document in ``text``, rejecting unsafe constructs."""
    if len(text) > MAX_BYTES:
        raise error(f"input is {len(text)} characters; the limit is {MAX_BYTES}", Location(source))
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        loc = Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)
        raise error(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", Location(source)) from None
    except RecursionError:
        raise error(f"document nests deeper than {MAX_DEPTH} levels", Location(source)) from None
    for node in nodes:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.value == ""):
            continue  # an empty document, e.g. after a trailing '---'
        builder = _Builder(source, error)
        value = builder.build(node, (), 0)
        yield Document(source, value, builder.marks)


def parse_one(text: str, source: str, error: type[DataflowRulesError]) -> Document:
    """Parse a file that must hold exactly one document."""
    docs = list(parse_documents(text, source, error))
    if len(docs) != 1:
        raise error(f"expected one YAML document, found {len(docs)}", Location(source))
    return docs[0]


class _Builder:
    """Turns a composed node graph into plain values, recording marks by path."""

    _constructor = yaml.SafeLoader("")  # only its pure scalar constructors are used

    def __init__(self, source: str, error: type[DataflowRulesError]) -> None:
        self.source = source
        self.error = error
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.count = 0
        self.seen: set[int] = set()

    def _fail(self, message: str, node: yaml.Node, path: Path_) -> DataflowRulesError:
        m = node.start_mark
        return self.error(message, Location(self.source, m.line + 1, m.column + 1, dotted(path) or None))

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._fail(f"document has more than {MAX_NODES} values", node, path)
        if depth > MAX_DEPTH:
            raise self._fail(f"document nests deeper than {MAX_DEPTH} levels", node, path)
        if id(node) in self.seen:
            # The composer shares one node object between an anchor and its aliases.
            raise self._fail("YAML aliases (*name) are not accepted", node, path)
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._fail("YAML merge keys (<<) are not accepted", key_node, path)
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._fail("mapping keys must be plain strings", key_node, path)
                key = self._scalar(key_node, path)
                if not isinstance(key, str):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                if key in out:
                    first = self.marks.get((*path, key), (0, 0))[0]
                    raise self._fail(
                        f"duplicate key '{key}' (first defined on line {first})",
                        key_node,
                        (*path, key),
                    )
                self.marks[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, (*path, key), depth + 1)
                # Point the field at its key, where a reader looks for it.
                self.marks[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
            return out
        raise self._fail("unsupported YAML node", node, path)  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag = node.tag
        if tag.startswith("!") or not tag.startswith("tag:yaml.org,2002:"):
            raise self._fail(f"YAML tag {tag} is not accepted", node, path)
        try:
            construct = yaml.SafeLoader.yaml_constructors.get(tag)
            if construct is None:
                raise self._fail(f"YAML tag {tag} is not accepted", node, path)
            # Called directly: construct_object() would cache every node forever.
            value = construct(self._constructor, node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise self._fail(f"invalid value: {exc}", node, path) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(f"number {node.value!r} is not finite", node, path)
        if isinstance(value, bytes):
            raise self._fail("binary values are not accepted", node, path)
        return value
