"""A second, lenient look at a file that the strict reader refused.

``scan`` walks whole repositories and pre-commit hands it every changed YAML and JSON
file, so it meets YAML it was never meant to read: CloudFormation templates (``!Sub``),
Helm templates (``{{ .Release.Name }}``), files with duplicate keys. The strict reader
(:mod:`dataflow_rules.loading`) rightly refuses those constructs in a manifest, but a file
that is not a manifest at all must be reported as not scanned, not fail the build.

This module only answers "could this be a manifest?", and errs towards yes: the strict
error is kept whenever the answer is not a clear no, so a broken manifest never passes
quietly. Nothing read here is ever decided.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from ..loading import MAX_BYTES

# Top-level keys that only our three manifest kinds use together, for text that is not
# even YAML (a syntax error): `transfers:`, `origin:`/`destination:`, Fides' `dataset:` /
# `system:` lists and `fides_key:`, ODCS' `kind: DataContract`.
_MANIFEST_LINE = re.compile(
    r"^(?:-\s+)?(?:transfers|origin|destination|dataset|system|fides_key)\s*:"
    r"|^kind\s*:\s*[\"']?DataContract\b",
    re.MULTILINE,
)
_DEPTH = 3  # deep enough for every kind check: value -> list -> item keys


def could_be_manifest(text: str, kind: Callable[[object], object | None]) -> bool:
    """False only when ``text`` is clearly not a manifest ``kind`` would recognise."""
    if len(text) > MAX_BYTES:
        return True  # too large to look at safely; the strict error stands
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return _MANIFEST_LINE.search(text) is not None
    except RecursionError:
        return True  # nested too deeply to tell
    return any(node is not None and kind(_shallow(node, _DEPTH)) is not None for node in nodes)


def _shallow(node: yaml.Node, depth: int) -> object:
    """The node's outline as plain values, tags ignored, keys that are not scalars dropped.

    Composing builds nodes without constructing them, so unknown tags, duplicate keys and
    aliases cost nothing here; ``depth`` bounds the work on a hostile file.
    """
    if isinstance(node, yaml.ScalarNode):
        return node.value
    if depth == 0:
        return None
    if isinstance(node, yaml.SequenceNode):
        return [_shallow(child, depth - 1) for child in node.value[:16]]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, object] = {}
        merged: dict[str, object] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            if key.tag == _MERGE or key.value == "<<":
                # A merge key would make a manifest out of an anchored mapping: read what it
                # brings in (explicit keys win), or a transfer could hide behind `<<: *t`.
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources[:16]:
                    brought = _shallow(source, depth)
                    if isinstance(brought, dict):
                        merged = {**brought, **merged}
                continue
            out[key.value] = _shallow(value, depth - 1)
        return {**merged, **out}
    return None


_MERGE = "tag:yaml.org,2002:merge"
