"""A decision made without a ledger states what it presumes: that no earlier transfer of
the same exporter inside the law's window counts with this one (docs/semantics.md, 3a)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from dataflow_rules import Engine, Verdict
from dataflow_rules.engine.counting import Ledger

from .test_counting import cn_contacts

DAY = dt.date(2026, 6, 1)
ROOT = Path(__file__).resolve().parent.parent


def _ledger_notes(decision: object) -> list[object]:
    return [a for a in decision.assumptions if a.fact == "ledger"]  # type: ignore[attr-defined]


def test_an_allow_below_a_cumulative_threshold_says_no_earlier_transfer_was_counted(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 60_000, "anonymised": False}])
    d = engine.decide(t, DAY)
    assert d.verdict is Verdict.ALLOW
    (a,) = _ledger_notes(d)
    assert a.source == "presumption CN" and "since 2026-01-01" in a.sentence
    assert "--ledger DB" in a.override and "--cumulative" in a.override


def test_a_ledger_read_even_empty_presumes_nothing(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 60_000, "anonymised": False}])
    assert not _ledger_notes(engine.decide(t, DAY, prior=Ledger().prior(t)))


def test_a_restrict_needs_no_such_presumption(engine: Engine) -> None:
    t = cn_contacts([{"category": "personal.contact", "individuals": 200_000, "anonymised": False}])
    d = engine.decide(t, DAY)
    assert d.verdict is Verdict.RESTRICT and not _ledger_notes(d)


def test_data_no_cumulative_threshold_counts_presumes_nothing(engine: Engine) -> None:
    t = cn_contacts([{"category": "business.trade", "records": 340}], purpose="international_trade")
    d = engine.decide(t, DAY)
    assert d.verdict is Verdict.ALLOW and not _ledger_notes(d)


def test_check_without_ledger_states_it_in_json() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataflow_rules.cli",
            "check",
            "--format",
            "json",
            "examples/cn-us-pi-99999.yaml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    facts = [a["fact"] for d in json.loads(out.stdout)["decisions"] for a in d["assumptions"]]
    assert "ledger" in facts, out.stderr
