"""``batch --cumulative``: a corpus's transfers add up where the law counts across
transfers (issue 19, item 3), deterministically: each transfer is counted with those dated
on or before it, never with itself or a later one, whatever the order of the lines or the
number of workers."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from dataflow_rules import Policies
from dataflow_rules.batch import run_batch

ENTRY = "cn.pi.general.contract"


def _transfer(ident: str, date: str, individuals: int = 60_000) -> dict[str, Any]:
    """CN to US, 60,000 contacts: allowed alone, over the 100,000 threshold when two add up."""
    return {
        "id": ident,
        "date": date,
        "origin": "CN",
        "destination": "US",
        "exporter": {"name": "Example Retailer", "ciio": False},
        "recipient": {"name": "Example CRM Inc.", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False},
        "data": [{"category": "personal.contact", "individuals": individuals, "anonymised": False}],
    }


def _run(
    tmp_path: Path, policies: Policies, lines: list[dict[str, Any]], **kw: Any
) -> dict[str, dict[str, Any]]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(v) + "\n" for v in lines))
    run_batch(src, out, policies, overwrite=True, **kw)
    records = [json.loads(r) for r in out.read_text().splitlines()]
    return {r["transfer_id"]: r for r in records}


def _entry(record: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in record["reasons"] if r.get("entry_id") == ENTRY), None)


def test_split_transfers_are_restricted_with_cumulative(tmp_path: Path, policies: Policies) -> None:
    corpus = [_transfer("a", "2026-03-01"), _transfer("b", "2026-04-01")]
    alone = _run(tmp_path, policies, corpus)
    assert {k: v["verdict"] for k, v in alone.items()} == {"a": "allow", "b": "allow"}
    together = _run(tmp_path, policies, corpus, cumulative=True)
    # The earlier one is decided on what preceded it (nothing); the later one adds it up.
    assert together["a"]["verdict"] == "allow"
    assert together["b"]["verdict"] == "restrict"
    reason = _entry(together["b"])
    assert reason is not None and reason["counted_with"] == ["a (line 1)"]


def test_same_day_transfers_count_each_other_as_scan_does(tmp_path: Path, policies: Policies) -> None:
    corpus = [_transfer("a", "2026-03-01"), _transfer("b", "2026-03-01")]
    got = _run(tmp_path, policies, corpus, cumulative=True)
    assert {k: v["verdict"] for k, v in got.items()} == {"a": "restrict", "b": "restrict"}


def test_a_transfer_is_never_counted_with_itself(tmp_path: Path, policies: Policies) -> None:
    got = _run(tmp_path, policies, [_transfer("a", "2026-03-01", 99_999)], cumulative=True)
    assert got["a"]["verdict"] == "allow"


def test_a_repeated_line_adds_up(tmp_path: Path, policies: Policies) -> None:
    """Two lines with the same id are two transfers to the count: the stricter reading."""
    corpus = [_transfer("a", "2026-03-01"), _transfer("a", "2026-03-01")]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(v) + "\n" for v in corpus))
    run_batch(src, out, policies, cumulative=True)
    assert [json.loads(r)["verdict"] for r in out.read_text().splitlines()] == ["restrict", "restrict"]


def test_last_years_transfers_do_not_count_in_china(tmp_path: Path, policies: Policies) -> None:
    corpus = [_transfer("old", "2025-12-31"), _transfer("new", "2026-01-01")]
    got = _run(tmp_path, policies, corpus, cumulative=True)
    assert got["new"]["verdict"] == "allow"  # China counts since 1 January


def test_same_verdicts_whatever_the_order_and_the_workers(tmp_path: Path, policies: Policies) -> None:
    rng = random.Random(5)
    corpus = [
        _transfer(
            f"t{i}", f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", rng.choice([20_000, 40_000])
        )
        for i in range(24)
    ]
    first = _run(tmp_path, policies, corpus, cumulative=True)
    verdicts = {k: v["verdict"] for k, v in first.items()}
    assert set(verdicts.values()) == {"allow", "restrict"}  # the corpus crosses the threshold
    rng.shuffle(corpus)
    shuffled = _run(tmp_path, policies, corpus, cumulative=True, workers=2)
    assert {k: v["verdict"] for k, v in shuffled.items()} == verdicts
    for k, v in shuffled.items():
        # The lines moved (records name the earlier transfers by id and line); nothing else may.
        assert _without_lines(v) == _without_lines(first[k])


def _without_lines(record: dict[str, Any]) -> str:
    return re.sub(r" \(line \d+\)", "", json.dumps({**record, "line": None}))
