"""Fides and ODCS manifests damaged at random, through the real adapters: every file is
either an error (with its place) or decided; nothing escapes as a crash, and a file that
could not be read yields no transfer."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules.scan.runner import ScanOptions, scan

from ..conftest import EXAMPLES

# Slow lane (hypothesis-damaged manifests through the real adapters): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

MANIFESTS = sorted(
    p
    for p in (EXAMPLES / "scan").rglob("*.y*ml")
    if p.parent.name in ("fides", "odcs") and ".dataflow." not in p.name
)

LEAVES: Any = st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=30)
VALUES: Any = st.recursive(
    LEAVES,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=10), c, max_size=3),
    max_leaves=10,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replace(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(MANIFESTS), st.integers(0, 10**6), VALUES, st.integers(1, 3))
def test_damaged_manifests_are_errors_or_decisions(
    tmp_path_factory: Any, manifest: Path, seed: int, new: Any, rounds: int
) -> None:
    root = Path(tmp_path_factory.mktemp("fz"))
    for sibling in manifest.parent.iterdir():  # keep the sidecars beside it
        shutil.copy(sibling, root / sibling.name)
    value = yaml.safe_load(manifest.read_text())
    rng = random.Random(seed)
    for _ in range(rounds):
        value = _replace(value, rng.choice(_paths(value)), new)
    (root / manifest.name).write_text(yaml.dump(value, Dumper=_NoAliases, allow_unicode=True))

    result = scan(
        ScanOptions(
            paths=[root], cwd=root, as_of=dt.date(2026, 3, 2), decided_on=dt.date(2026, 3, 2), gitignore=False
        )
    )

    (damaged,) = [f for f in result.files if f.path.endswith(manifest.name)]
    if damaged.error is not None:
        assert damaged.transfers == []
        assert damaged.error.message and "\n" not in damaged.error.message
    for t in damaged.transfers:
        assert t.verdict.value in ("allow", "review", "restrict")
        if t.decision is None and t.verdict.value == "allow":
            # Nothing decided is never allow, except what docs/scan.md allows: an ODCS contract
            # whose every property is labelled public-like (the damage can make one).
            assert _all_public(value), value


_CLEAR = {"public", "internal"}  # odcs-map.yaml classifications that map to nothing


def _all_public(contract: Any) -> bool:
    """Every ODCS property (nested too) has a public-like classification and no other label."""
    props: list[Any] = []

    def walk(listed: Any) -> None:
        for p in listed if isinstance(listed, list) else []:
            if isinstance(p, dict):
                props.append(p)
                walk(p.get("properties"))

    for obj in contract.get("schema") or [] if isinstance(contract, dict) else []:
        if isinstance(obj, dict):
            walk(obj.get("properties"))
    return bool(props) and all(
        str(p.get("classification", "")).strip().lower() in _CLEAR and not p.get("tags") for p in props
    )
