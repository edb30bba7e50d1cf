"""A scan counts the run's manifests together (one repository, one exporter's flows),
decides as of the day it runs, takes the exporter facts of its config file, and never
passes a gate on a back-dated run (issue 19, items 3, 4 and 7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataflow_rules.models.decision import Verdict
from dataflow_rules.scan.runner import ScanOptions, scan

MANIFEST = """\
id: {ident}
origin: CN
destination: US
exporter: {{name: Example Retailer, ciio: false}}
recipient: {{name: Example CRM Inc., type: company, controlled_by: US}}
purpose: marketing
transaction: vendor_agreement
context: {{exporter_automotive_data_processor: false}}
data:
  - category: personal.contact
    individuals: 60000
    anonymised: false
"""


def _repo(tmp_path: Path, n: int = 2) -> Path:
    for i in range(n):
        (tmp_path / f"flow{i}.yaml").write_text(MANIFEST.format(ident=f"flow-{i}"))
    return tmp_path


def _verdicts(tmp_path: Path, **kw: object) -> dict[str, Verdict]:
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, **kw))  # type: ignore[arg-type]
    return {t.id: t.verdict for f in result.files for t in f.transfers}


def test_each_manifest_alone_is_allowed(tmp_path: Path) -> None:
    assert _verdicts(_repo(tmp_path, 1)) == {"flow-0": Verdict.ALLOW}


def test_the_run_is_counted_together(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 2)
    assert _verdicts(repo) == {"flow-0": Verdict.RESTRICT, "flow-1": Verdict.RESTRICT}
    result = scan(ScanOptions(paths=[repo], cwd=repo))
    (first,) = [t for f in result.files for t in f.transfers if t.id == "flow-0"]
    assert first.decision is not None
    (reason,) = [r for r in first.decision.reasons if r.entry_id == "cn.pi.general.contract"]
    assert reason.counted_with == ["flow1.yaml flow-1"]
    assert _verdicts(repo, cumulative=False) == {"flow-0": Verdict.ALLOW, "flow-1": Verdict.ALLOW}


def test_a_future_dated_manifest_counts_on_the_day_the_scan_decides(tmp_path: Path) -> None:
    """The run decides every manifest as of today, so each counts on today: one dated next
    year must be in this year's count of the others (2024 Provisions Arts 5(4), 8: 60,000
    and 60,000 people in one year cross 100,000). Counted on its own date it fell outside
    2026's window and flow-1 was allowed: a wrong allow."""
    repo = _repo(tmp_path, 2)
    future = repo / "flow0.yaml"
    future.write_text(future.read_text().replace("id: flow-0\n", "id: flow-0\ndate: 2027-02-01\n"))
    today = dt.date(2026, 6, 1)
    assert _verdicts(repo, decided_on=today) == {"flow-0": Verdict.RESTRICT, "flow-1": Verdict.RESTRICT}
    result = scan(ScanOptions(paths=[repo], cwd=repo, decided_on=today))
    (second,) = [t for f in result.files for t in f.transfers if t.id == "flow-1"]
    assert second.decision is not None and second.decision.as_of == today
    (reason,) = [r for r in second.decision.reasons if r.entry_id == "cn.pi.general.contract"]
    assert reason.counted_with == ["flow0.yaml flow-0"]


def test_a_scan_decides_as_of_today_not_the_manifests_date(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text(
        MANIFEST.format(ident="old").replace("id: old\n", "id: old\ndate: 2020-01-01\n")
    )
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, decided_on=dt.date(2026, 6, 1)))
    (t,) = [t for f in result.files for t in f.transfers]
    assert t.decision is not None and t.decision.as_of == dt.date(2026, 6, 1)


def test_a_back_dated_scan_never_passes_the_gate(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 1)
    today = dt.date(2026, 6, 1)
    assert scan(ScanOptions(paths=[repo], cwd=repo, decided_on=today, as_of=today)).exit_code() == 0
    back = scan(ScanOptions(paths=[repo], cwd=repo, decided_on=today, as_of=dt.date(2024, 3, 21)))
    assert back.exit_code() != 0
    assert any("retrospective" in p.message for p in back.errors)


def test_the_config_file_states_the_exporter_once(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(MANIFEST.format(ident="flow").replace("ciio: false", "ciio: null"))
    (tmp_path / "dataflow-rules.yaml").write_text("facts:\n  exporter: {ciio: false}\n")
    from dataflow_rules.facts_file import read_facts

    facts = read_facts(None, start=tmp_path)
    assert facts is not None
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, facts=facts))
    (t,) = [t for f in result.files for t in f.transfers]
    assert t.decision is not None
    assert [(a.fact, a.source) for a in t.decision.assumptions] == [
        ("exporter.ciio", "dataflow-rules.yaml"),
        ("context.important_data_identified", "presumption CN"),  # 2024 Provisions Art 2
    ]
    assert t.verdict is Verdict.ALLOW


def test_each_manifest_is_read_once_even_when_counted_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the run together needs every transfer before the first decision; the
    files are still read and parsed once, not once to count and once to decide (issue 14)."""
    import collections

    from dataflow_rules.scan import runner

    repo = _repo(tmp_path, 3)
    reads: collections.Counter[str] = collections.Counter()
    real = runner.read_text

    def counting(path: Path, error: type[Exception]) -> str:
        reads[Path(path).name] += 1
        return real(path, error)

    monkeypatch.setattr(runner, "read_text", counting)
    assert _verdicts(repo) == dict.fromkeys(("flow-0", "flow-1", "flow-2"), Verdict.RESTRICT)
    assert reads == {"flow0.yaml": 1, "flow1.yaml": 1, "flow2.yaml": 1}


def test_a_forward_dated_scan_never_passes_the_gate(tmp_path: Path) -> None:
    """`--as-of` a later day decides by the law of that day (a grace period over, an
    exemption in force from then), not the law today's transfers leave under: it was
    accepted, so a gate passed on a later day's law. It fails the gate as a back-dated scan
    does, naming the day."""
    repo = _repo(tmp_path, 1)
    today = dt.date(2026, 6, 1)
    ahead = scan(ScanOptions(paths=[repo], cwd=repo, decided_on=today, as_of=dt.date(2026, 6, 2)))
    assert ahead.exit_code() != 0
    assert any("--as-of 2026-06-02 is after today (2026-06-01)" in p.message for p in ahead.errors)
