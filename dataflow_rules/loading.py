"""Safe reading of YAML and JSON documents, keeping the line of every value.

PyYAML's own loaders are unsafe in three ways for law-shaped data: they silently keep
the last of two duplicate keys, they expand aliases (a few hundred bytes can become
gigabytes), and they forget where a value came from, so a schema error cannot name
its line. This module reads the parser's event stream (which keeps marks and never
expands aliases), rejects what we do not accept as each event arrives, and builds plain
Python values together with a map from each value's path to its line and column.
Nothing bigger than the values themselves is ever held: a hostile document (a huge
list, deep nesting, an alias) is refused at the event that crosses a limit.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from .errors import CatalogueError, DataflowRulesError, Location

try:  # libyaml's composer is several times faster; fall back to pure Python.
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_LIBYAML_SURROGATE = "found invalid Unicode character escape code"
_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_BYTES = 16 * 1024 * 1024
"""Largest document accepted (16 MiB): far above any real catalogue, far below harm."""
MAX_DEPTH = 64
"""Deepest nesting accepted; real catalogues nest fewer than ten levels."""
MAX_NODES = 2_000_000
"""Most YAML nodes accepted in one file, bounding memory whatever the layout."""

Path_ = tuple[str | int, ...]

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_OCTAL_LOOKING = re.compile(r"[-+]?0[0-7]+")
"""An integer YAML 1.1 reads as octal (a leading zero, octal digits only: ``08`` is decimal
there and stays accepted)."""
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Document:
    """One parsed document: its plain value and where each part of it came from."""

    source: str
    value: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    booleans: dict[Path_, str] = field(default_factory=dict)
    """Values YAML 1.1 read as booleans from a bare word other than true/false (``NO``,
    ``yes``, ``off``), by path, with the word: so a schema error can say "quote it"."""

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


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(
    path: Path, error: type[DataflowRulesError], *, limit: int = MAX_BYTES, what: str = "file"
) -> bytes:
    """Read a regular file of at most ``limit`` bytes; refuse anything else at once.

    A FIFO, a character device (``/dev/zero``), a socket or a link to one is refused
    before a byte is read: reading one grew without bound or hung. It is opened
    non-blocking (opening a FIFO otherwise waits for a writer) and checked on the open
    descriptor, so a file swapped for a FIFO after a check is still caught; and it is read
    to at most ``limit`` + 1 bytes whatever its size claims (a file growing as it is read).
    """
    where = Location(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", where) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"cannot read {what}: it is {_kind(st.st_mode)}, not a regular file", where)
        if st.st_size > limit:
            raise error(f"{what} is {st.st_size} bytes; the limit is {limit} bytes", where)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise error(f"{what} is larger than the limit of {limit} bytes", where)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", where) from None
    finally:
        os.close(fd)


def read_stream(
    stream: BinaryIO, source: str, error: type[DataflowRulesError], limit: int = MAX_BYTES
) -> bytes:
    """At most ``limit`` bytes of a stream (stdin): ``yes | dataflow-rules check -`` is
    refused after ``limit`` + 1 bytes instead of filling memory."""
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= limit:
            chunk = stream.read(min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(f"cannot read input: {exc.strerror}", Location(source)) from None
    if total > limit:
        raise error(f"input is larger than the limit of {limit} bytes", Location(source))
    return b"".join(chunks)


def read_text(path: Path, error: type[DataflowRulesError]) -> str:
    """Read a regular file as UTF-8, refusing special and oversized files before reading them."""
    return decode(read_bytes(path, error), str(path), error)


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
    return iter(_EventBuilder(source, error).run(text))


def parse_one(text: str, source: str, error: type[DataflowRulesError]) -> Document:
    """Parse a file that must hold exactly one document."""
    docs = list(parse_documents(text, source, error))
    if len(docs) != 1:
        raise error(f"expected one YAML document, found {len(docs)}", Location(source))
    return docs[0]


class DeferredDocument(Document):
    """A catalogue's :class:`Document` as the policy cache keeps it: only its source, the
    text attached on a hit (:func:`dataflow_rules.policy_cache.load`, from the very bytes the
    entry's key names), and value, marks and booleans parsed from that text when first read.

    A check never reads a loaded catalogue's document (it is there for error locations and
    the workbench), so a hit need not unpickle one: half the entry's bytes, about 4 ms of a
    cold check. Parsing the same text again gives the same document, so whoever does read
    it sees what a load from the files gave."""

    def __init__(self, source: str) -> None:  # the fields are filled from the text on first read
        self.source = source
        self.text: str | None = None

    def __getattr__(self, name: str) -> Any:
        if name not in ("value", "marks", "booleans") or self.text is None:
            raise AttributeError(name)
        parsed = parse_one(self.text, self.source, CatalogueError)
        self.value, self.marks, self.booleans = parsed.value, parsed.marks, parsed.booleans
        return getattr(self, name)

    def __reduce__(self) -> tuple[type[DeferredDocument], tuple[str]]:
        return (DeferredDocument, (self.source,))


class _Frame:
    __slots__ = ("container", "depth", "key", "key_mark", "path")

    def __init__(self, container: Any, path: Path_, depth: int) -> None:
        self.container = container
        self.path = path
        self.depth = depth
        self.key: str | None = None
        self.key_mark: tuple[int, int] = (0, 0)


class _EventBuilder:
    """Builds plain values straight from the parser's events, with limits checked as each
    event arrives: nothing is held but the values built so far, so a huge or hostile
    document is refused after MAX_NODES values, not after composing all of it."""

    _constructor = yaml.SafeLoader("")

    def __init__(self, source: str, error: type[DataflowRulesError]) -> None:
        self.source = source
        self.error = error
        self.count = 0
        # Only PyYAML's pure-Python parser yields surrogate escapes (libyaml refuses them),
        # so only then is each string scalar checked for a pair to join.
        self.surrogates = _Loader is yaml.SafeLoader
        self.booleans: dict[Path_, str] = {}

    def fail(self, message: str, mark: Any, path: Path_) -> DataflowRulesError:
        return self.error(
            message, Location(self.source, mark.line + 1, mark.column + 1, dotted(path) or None)
        )

    def run(self, text: str) -> list[Document]:
        try:
            return self._run(_Loader, text)
        except yaml.MarkedYAMLError:  # _run lets only libyaml's surrogate refusal through
            # libyaml refuses the \uD83E\uDDEC escapes (a UTF-16 surrogate pair) that JSON
            # writers such as json.dumps emit for characters beyond the BMP; the pure-Python
            # parser reads them, and _text joins each pair into its character.
            self.count, self.surrogates = 0, True
            return self._run(yaml.SafeLoader, text)

    def _run(self, loader_class: Any, text: str) -> list[Document]:
        loader = loader_class(text)
        try:
            return self._documents(loader)
        except yaml.MarkedYAMLError as exc:
            if exc.problem == _LIBYAML_SURROGATE and loader_class is not yaml.SafeLoader:
                raise
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            loc = Location(self.source, mark.line + 1, mark.column + 1) if mark else Location(self.source)
            raise self.error(f"invalid YAML: {problem}", loc) from None
        except yaml.YAMLError as exc:
            raise self.error(f"invalid YAML: {exc}", Location(self.source)) from None
        finally:
            loader.dispose()

    def _documents(self, loader: Any) -> list[Document]:
        docs: list[Document] = []
        get = loader.get_event
        stack: list[_Frame] = []
        marks: dict[Path_, tuple[int, int]] = {}
        root: Any = None
        have_root = root_empty = False
        while True:
            event = get()
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                # Where the new value goes.
                if stack:
                    top = stack[-1]
                    if isinstance(top.container, dict):
                        if top.key is None:  # this event is a key
                            self._key(top, event, marks)
                            continue
                        path: Path_ = (*top.path, top.key)
                    else:
                        path = (*top.path, len(top.container))
                    depth = top.depth + 1
                else:
                    top = None
                    path, depth = (), 0
                self.count += 1
                mark = event.start_mark
                if self.count > MAX_NODES:
                    raise self.fail(f"document has more than {MAX_NODES} values", mark, path)
                if depth > MAX_DEPTH:
                    raise self.fail(f"document nests deeper than {MAX_DEPTH} levels", mark, path)
                if top is None or not isinstance(top.container, dict):
                    marks[path] = (mark.line + 1, mark.column + 1)
                if kind is yaml.ScalarEvent:
                    value = self._scalar(event, path)
                    if top is None:
                        root, have_root, root_empty = value, True, event.value == ""
                    else:
                        self._place(top, value, marks)
                else:
                    self._collection_tag(event, path)
                    container: Any = {} if kind is yaml.MappingStartEvent else []
                    if top is None:
                        root, have_root = container, True
                    else:
                        self._place(top, container, marks)
                    stack.append(_Frame(container, path, depth))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                path = stack[-1].path if stack else ()
                if stack and isinstance(stack[-1].container, dict) and stack[-1].key is not None:
                    path = (*path, stack[-1].key)
                raise self.fail("YAML aliases (*name) are not accepted", event.start_mark, path)
            elif kind is yaml.DocumentStartEvent:
                marks, root, have_root, root_empty = {}, None, False, False
                self.booleans = {}
            elif kind is yaml.DocumentEndEvent:
                if have_root and not root_empty:  # skip an empty document, e.g. after '---'
                    docs.append(Document(self.source, root, marks, self.booleans))
            elif kind is yaml.StreamEndEvent:
                return docs

    def _place(self, top: _Frame, value: Any, marks: dict[Path_, tuple[int, int]]) -> None:
        if isinstance(top.container, dict):
            key = top.key
            assert key is not None
            top.container[key] = value
            marks[(*top.path, key)] = top.key_mark
            top.key = None
        else:
            top.container.append(value)

    def _key(self, top: _Frame, event: Any, marks: dict[Path_, tuple[int, int]]) -> None:
        path = top.path
        mark = event.start_mark
        if type(event) is not yaml.ScalarEvent:
            raise self.fail("mapping keys must be plain strings", mark, path)
        key = self._scalar(event, path)
        if isinstance(key, bool) and event.value.lower() not in ("true", "false"):
            raise self.fail(
                f"key {event.value} is read by YAML as the boolean {str(key).lower()}; quote it: '{event.value}'",
                mark,
                path,
            )
        if not isinstance(key, str):
            key = str(key).lower() if isinstance(key, bool) else str(key)
        if key in top.container:
            first = marks.get((*path, key), (0, 0))[0]
            raise self.fail(f"duplicate key '{key}' (first defined on line {first})", mark, (*path, key))
        top.key = key
        top.key_mark = (mark.line + 1, mark.column + 1)
        marks[(*path, key)] = top.key_mark

    _resolver = yaml.SafeLoader("")

    def _collection_tag(self, event: Any, path: Path_) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            return
        want = _MAP_TAG if type(event) is yaml.MappingStartEvent else _SEQ_TAG
        if tag != want:
            raise self.fail(f"YAML tag {tag} is not accepted", event.start_mark, path)

    def _text(self, event: Any, path: Path_) -> str:
        value: str = event.value
        if not _SURROGATE.search(value):
            return value
        try:  # a \uD83E\uDDEC pair, as JSON writes one character: join it
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError:
            raise self.fail(
                "a \\u escape is half of a UTF-16 surrogate pair with no other half", event.start_mark, path
            ) from None

    def _unambiguous_int(self, event: Any, path: Path_) -> None:
        """Refuse an integer whose value depends on the YAML version reading it. PyYAML
        reads YAML 1.1, where ``individuals: 0100000`` is octal (32,768, under China's
        100,000: allow) and ``1:40`` is base 60 (100); YAML 1.2 and JSON read the first as
        100,000 or not at all, and so does whoever wrote it. Ambiguous input is an error."""
        text = str(event.value).replace("_", "")
        if _OCTAL_LOOKING.fullmatch(text):
            raise self.fail(
                f"number {event.value!r} has a leading zero, which YAML 1.1 reads as octal "
                f"({int(text, 8):,}) and YAML 1.2 as decimal: write it without the leading zero",
                event.start_mark,
                path,
            )
        if ":" in text:
            raise self.fail(
                f"number {event.value!r} is read by YAML 1.1 as base 60 (sexagesimal): write the number "
                "in decimal, or quote it if it is text",
                event.start_mark,
                path,
            )

    def _scalar(self, event: Any, path: Path_) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _STR_TAG:
            return self._text(event, path) if self.surrogates else event.value
        if tag == _MERGE_TAG:
            raise self.fail("YAML merge keys (<<) are not accepted", event.start_mark, path)
        if tag.startswith("!") or not tag.startswith("tag:yaml.org,2002:"):
            raise self.fail(f"YAML tag {tag} is not accepted", event.start_mark, path)
        if tag == _INT_TAG:
            self._unambiguous_int(event, path)
        construct = yaml.SafeLoader.yaml_constructors.get(tag)
        if construct is None:
            raise self.fail(f"YAML tag {tag} is not accepted", event.start_mark, path)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = construct(self._constructor, node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            raise self.fail(f"invalid value: {exc}", event.start_mark, path) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(f"number {event.value!r} is not finite", event.start_mark, path)
        if isinstance(value, bytes):
            raise self.fail("binary values are not accepted", event.start_mark, path)
        if isinstance(value, bool) and event.value.lower() not in ("true", "false"):
            self.booleans[path] = event.value
        return value
