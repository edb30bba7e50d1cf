"""``Engine.decide(notes=False)``: the decision without what only describes it.

``diff`` compares verdicts and reasons, never assumptions or warnings, so it asks for the
decision without them (a tenth of a decision is the ledger presumption behind the notes).
That is sound only if everything else is the full decision's, field for field, whatever
the transfer, the day and the ledger: checked here over generated transfers, and the
``diff`` report itself compared with one made from full decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.diff_corpus import lowered_copy
from dataflow_rules import Transfer
from dataflow_rules.catalogues import default_policy_dir, load_policies
from dataflow_rules.engine.counting import Ledger
from dataflow_rules.engine.engine import Engine
from dataflow_rules.models.decision import Decision
from dataflow_rules.render.diff_report import to_json
from dataflow_rules.workbench.corpus import generate_corpus, iter_corpus
from dataflow_rules.workbench.diff import DiffResult, run_diff

DESCRIBING = ("assumptions", "retrospective")
"""The fields ``notes=False`` leaves at their defaults (warnings: see :func:`_same`)."""

COUNT = 400


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_policies(None))


def _transfers(count: int, seed: int) -> Iterator[Transfer]:
    for line in generate_corpus(load_policies(None).taxonomy, count, seed=seed):
        yield Transfer.model_validate_json(line)


def _same(full: Decision, bare: Decision) -> None:
    """``bare`` is ``full`` but for the notes: every other field equal, the describing
    fields at their defaults, and the warnings a prefix of the full decision's (the notes
    append theirs after the warnings the rules' branches wrote)."""
    a, b = full.model_dump(mode="json"), bare.model_dump(mode="json")
    assert b["assumptions"] == [] and b["retrospective"] is False
    assert a["warnings"][: len(b["warnings"])] == b["warnings"]
    for name in (*DESCRIBING, "warnings"):
        del a[name], b[name]
    assert a == b


@pytest.mark.parametrize("as_of", [None, dt.date(2024, 3, 1), dt.date(2026, 6, 1)])
def test_the_decision_without_notes_is_the_decision(engine: Engine, as_of: dt.date | None) -> None:
    noted = 0
    for t in _transfers(COUNT, seed=21):
        full = engine.decide(t, as_of)
        bare = engine.decide(t, as_of, notes=False)
        _same(full, bare)
        noted += bool(full.assumptions) and len(full.warnings) >= len(bare.warnings)
    assert noted > COUNT // 4  # not vacuous: the notes were there to leave out


def test_with_a_ledger_too(engine: Engine) -> None:
    """With a ledger read (a PriorSet: no unrecorded presumption, but the pooled note), the
    counts of earlier transfers reach the reasons alike."""
    ledger = Ledger()
    counted = 0
    for n, t in enumerate(_transfers(COUNT, seed=22)):
        prior = ledger.prior(t)
        full = engine.decide(t, prior=prior)
        _same(full, engine.decide(t, prior=prior, notes=False))
        counted += any(r.counted_with for r in full.reasons)
        ledger.add_transfer(t, f"record {n + 1}", full.as_of)
    assert counted > 10  # not vacuous: earlier transfers were counted


def _report(tmp: Path, notes: bool | None, monkeypatch: pytest.MonkeyPatch) -> DiffResult:
    """``diff``'s result (every transfer's verdicts, each change's reasons) of a lowered threshold over a generated corpus; ``notes``:
    force every decision to be made with (True) or without (False) its notes."""
    old, new = default_policy_dir(), tmp / "new"
    if not new.exists():
        lowered_copy(old, new)
    corpus = tmp / "corpus.jsonl"
    if not corpus.exists():
        corpus.write_text("".join(generate_corpus(load_policies(None).taxonomy, COUNT, seed=23)))
    decide = Engine.decide

    def forced(self: Engine, *args: Any, **kw: Any) -> Decision:
        return decide(self, *args, **{**kw, "notes": notes})

    with monkeypatch.context() as m:
        if notes is not None:
            m.setattr(Engine, "decide", forced)
        result = run_diff(old, new, iter_corpus(corpus), ("old", "new"))
    return result


def test_diff_reports_alike_with_or_without_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_notes = _report(tmp_path, True, monkeypatch)
    assert with_notes.changed  # not vacuous: the lowered threshold changes transfers
    for notes in (None, False):  # diff as it runs, and every decision without notes
        result = _report(tmp_path, notes, monkeypatch)
        assert result == with_notes  # every transfer's verdicts and flows, every change
        assert to_json(result) == to_json(with_notes)
