"""The "Counts:" clause of a reason reads as a sentence over a cumulative run: each clause
once, and never an empty list of this transfer's items before "with".

Found on ``batch --cumulative`` of the workbench's generated corpus (s10-speed's output
compare): a reason whose rule counts several tallies alike (each category of a combined
set) repeated "counted together, data[1] with ... individuals since ..." once per tally,
and a tally to which none of the transfer's own items belongs (a location item counted in
devices, under an entry counting individuals) read "counted together,  with t1014 ..."."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from dataflow_rules import Policies
from dataflow_rules.engine.counting import Tally
from dataflow_rules.workbench.corpus import generate_corpus

from .test_cli import EXE


def _counts(sentence: str) -> str:
    return sentence.split(" Counts: ", 1)[1] if " Counts: " in sentence else ""


def test_a_cumulative_run_says_each_count_once_and_names_what_it_counts(
    tmp_path: Path, policies: Policies
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(generate_corpus(policies.taxonomy, 400, seed=11)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [EXE, "batch", str(corpus), "-o", str(out), "--cumulative"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 3, 4), result.stderr.decode()
    clauses_seen = 0
    for line in out.read_text(encoding="utf-8").splitlines():
        for reason in json.loads(line).get("reasons", []):
            counts = _counts(reason["sentence"])
            assert "together,  with" not in counts and ", with" not in counts, counts
            together = re.findall(
                r"counted together, [^;]*?: (?:at least )?[\d,]+ \w+(?: since \S+)?", counts
            )
            clauses_seen += len(together)
            assert len(together) == len(set(together)), counts
    assert clauses_seen > 100  # the corpus does count across its transfers


def test_a_tally_of_earlier_items_only_names_them() -> None:
    tally = Tally(low=590, high=590, records=("t1 (line 2)", "t3 (line 4)"), more=7)
    (clause,) = tally.describe("individuals")
    assert (
        clause
        == "counted together, earlier items t1 (line 2), t3 (line 4) and 7 more earlier items: 590 individuals"
    )
    own = Tally(low=5, high=5, items=(0, 2), records=("record 1",))
    assert (
        own.describe("individuals")[0] == "counted together, data[0] and data[2] with record 1: 5 individuals"
    )
    assert Tally(low=5, high=5, items=(0,)).describe("individuals") == ()
