"""diff at scale: a transfer the change cannot reach is decided once (the same answer as
deciding it twice; tests/workbench/test_diff_reach.py tests the rule itself), and
``--cumulative`` counts the corpus together."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules.catalogues import default_policy_dir, load_policies
from dataflow_rules.render.diff_report import to_json
from dataflow_rules.workbench.corpus import generate_corpus
from dataflow_rules.workbench.diff import run_diff
from dataflow_rules.workbench.reach import Reach


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped catalogues with China's general contract threshold lowered to 50,000."""
    new = tmp_path_factory.mktemp("policies") / "new"
    shutil.copytree(default_policy_dir(), new)
    cn = new / "cn.yaml"
    text = cn.read_text(encoding="utf-8")
    lowered = text.replace(
        "individuals: {at_least: 100000, less_than: 1000000}",
        "individuals: {at_least: 50000, less_than: 1000000}",
    )
    assert lowered != text
    cn.write_text(lowered, encoding="utf-8")
    return new


def test_only_the_changed_side_is_changed(changed: Path) -> None:
    old, new = load_policies(default_policy_dir()), load_policies(changed)
    reach = Reach(old, new)
    assert not reach.everything
    assert set(reach.changes) == {("CN", "outbound", None), ("CN", "outbound", "cn.ftz.tianjin")}


def test_deciding_once_gives_what_deciding_twice_gives(
    changed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = list(generate_corpus(load_policies().taxonomy, 600, seed=3))
    raws = [("corpus.jsonl", n + 1, line) for n, line in enumerate(lines)]
    fast = run_diff(default_policy_dir(), changed, raws, ("a", "b"))
    assert fast.changed and fast.total == 600  # the corpus meets the change
    monkeypatch.setattr(Reach, "reaches", lambda self, transfer: True)
    slow = run_diff(default_policy_dir(), changed, raws, ("a", "b"))
    assert to_json(fast) == to_json(slow)
    assert fast.flows == slow.flows


def _split(ident: str, date: str) -> dict[str, Any]:
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
        "data": [{"category": "personal.contact", "individuals": 30_000, "anonymised": False}],
    }


def test_cumulative_counts_the_corpus_together(changed: Path) -> None:
    """Two transfers of 30,000 contacts: 60,000 in all, over the lowered threshold only
    when counted together, and then only for the later one."""
    raws = [
        ("c.jsonl", 1, json.dumps(_split("late", "2026-05-01"))),
        ("c.jsonl", 2, json.dumps(_split("early", "2026-04-01"))),
    ]
    alone = run_diff(default_policy_dir(), changed, raws, ("a", "b"))
    assert alone.changed == []
    together = run_diff(default_policy_dir(), changed, raws, ("a", "b"), cumulative=True, jobs=2)
    assert [(c.transfer_id, c.old, c.new) for c in together.changed] == [("late", "allow", "restrict")]
