"""Terraform plans damaged at random, through the real adapter: every plan is an error
(with its place), not a plan (skipped), or decided; nothing escapes as a crash, and a plan
that could not be read yields no transfer."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES
from .test_fuzz_manifests import VALUES, _paths, _replace

pytestmark = pytest.mark.slow

PLANS = sorted((EXAMPLES / "terraform").glob("*.tfplan.json"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(PLANS), st.integers(0, 10**6), VALUES, st.integers(1, 3))
def test_damaged_plans_are_errors_or_decisions(
    tmp_path_factory: Any, plan: Path, seed: int, new: Any, rounds: int
) -> None:
    root = Path(tmp_path_factory.mktemp("tf"))
    for sibling in plan.parent.iterdir():  # keep the sidecars beside it
        shutil.copy(sibling, root / sibling.name)
    value = json.loads(plan.read_text())
    rng = random.Random(seed)
    for _ in range(rounds):
        value = _replace(value, rng.choice(_paths(value)), new)
    (root / plan.name).write_text(json.dumps(value, indent=2))

    result = scan(
        ScanOptions(
            paths=[root], cwd=root, as_of=dt.date(2026, 3, 2), decided_on=dt.date(2026, 3, 2), gitignore=False
        )
    )

    (damaged,) = [f for f in result.files if f.path.endswith(plan.name)]
    assert damaged.status in ("recognised", "skipped", "error")
    if damaged.error is not None:
        assert damaged.transfers == []
        assert damaged.error.message and "\n" not in damaged.error.message
    for t in damaged.transfers:
        assert t.verdict.value in ("allow", "review", "restrict")
        assert t.origin != t.destination
