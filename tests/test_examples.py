"""Every shipped example gets its expected verdict, with cited reasons, from the shipped catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dataflow_rules import Engine, Policies, read_transfers

from .conftest import EXAMPLES

EXPECTED = yaml.safe_load((Path(__file__).parent / "expected_examples.yaml").read_text())


def test_every_example_has_an_expectation() -> None:
    files = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert files == sorted(EXPECTED)
    assert len(files) >= 12


def test_examples_cover_both_directions_and_every_verdict() -> None:
    verdicts = {(name[:5], e["verdict"]) for name, e in EXPECTED.items()}
    for direction in ("cn-us", "us-cn"):
        for verdict in ("allow", "restrict"):
            assert (direction, verdict) in verdicts
    assert {e["verdict"] for e in EXPECTED.values()} == {"allow", "review", "restrict"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(name: str, policies: Policies, engine: Engine) -> None:
    (located,) = read_transfers(EXAMPLES / name, policies)
    decision = engine.decide(located.transfer)
    expected = EXPECTED[name]
    assert decision.verdict.value == expected["verdict"]
    standing = [r.entry_id for r in decision.reasons if r.kind in ("entry", "localisation", "missing_fact")]
    assert standing == expected["standing"]
    cleared_by = [r.entry_id for r in decision.reasons if r.kind in ("exemption", "green_lane")]
    assert cleared_by == expected["cleared_by"]
    for reason in decision.reasons:
        assert reason.sentence
        if reason.kind not in ("default", "no_catalogue", "domestic"):
            assert reason.citations, f"{reason.entry_id} has no citation"
            assert all(c.instrument and c.article and c.date for c in reason.citations)
