"""Output for people and for CI (issue 15, item 2): --compact, --quiet, the summary table,
--check/--skip-check, and JUnit skipped cases for what was not scanned."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from junitparser import JUnitXml, Skipped

from dataflow_rules.models.scan import ScanResult
from dataflow_rules.render import junit
from dataflow_rules.render import scan_text as text
from dataflow_rules.render.formats import TextStyle, names
from dataflow_rules.scan.runner import selected

from .helpers import scan_examples


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan_examples()


def _findings(result: ScanResult) -> list[tuple[str, str]]:
    return [(t.id, x.rule_id) for t in result.transfers() for x in t.findings]


def test_compact_is_one_line_a_finding_and_each_citation_once(result: ScanResult) -> None:
    out = text.render(result, style=TextStyle(compact=True))
    finding_lines = [line for line in out.splitlines() if re.match(r"^\S+:\d+: (restrict|review) ", line)]
    assert len(finding_lines) == len(_findings(result))
    for line, (tid, rule) in zip(finding_lines, _findings(result), strict=True):
        assert f" {rule} {tid} (" in line
    cited = {c.short() for t in result.transfers() for x in t.findings for c in x.citations}
    for citation in cited:
        assert out.count(citation) == 1  # in the legend only
    assert len(out.splitlines()) < len(text.render(result).splitlines()) / 2


def test_quiet_shows_only_failures_and_the_whole_summary(result: ScanResult) -> None:
    out = text.render(result, style=TextStyle(quiet=True))
    failing = [(t.id, x.rule_id) for t in result.transfers() for x in t.failing(result.fail_on)]
    assert failing
    for tid, rule in _findings(result):
        assert (rule in out and tid in out) or (tid, rule) not in failing
    assert "WAIVED" not in out and "Not scanned" not in out and "unmapped-label" not in out
    assert out.splitlines()[-1] == text.render(result).splitlines()[-1]  # summary of everything


def test_the_summary_table_counts_per_rule_and_verdict(result: ScanResult) -> None:
    table = text.summary_table(result)
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[2:] if line.startswith("  ")}
    for rule in {x.rule_id for t in result.transfers() for x in t.findings}:
        found = [x for t in result.transfers() for x in t.findings if x.rule_id == rule]
        restrict = sum(1 for x in found if x.verdict.value == "restrict")
        assert rows[rule][:3] == [
            str(restrict),
            str(len(found) - restrict),
            str(sum(x.waived for x in found)),
        ]
    summary = result.summary().verdicts
    assert rows["restrict"] == [str(summary["restrict"])] and rows["allow"] == [str(summary["allow"])]


@pytest.mark.parametrize(
    ("rule", "checks", "skips", "kept"),
    [
        ("us.dsp.omic.coc.genomic", (), (), True),
        ("us.dsp.omic.coc.genomic", ("us.dsp.*",), (), True),
        ("us.dsp.omic.coc.genomic", ("cn.*",), (), False),
        ("us.dsp.omic.coc.genomic", (), ("us.dsp.omic.*",), False),
        ("us.dsp.omic.coc.genomic", ("us.*",), ("us.dsp.omic.coc.genomic",), False),
        ("missing-fact/cn.hgr.information.filing", ("cn.hgr.*",), (), True),
        ("missing-fact/cn.hgr.information.filing", ("missing-fact/*",), (), True),
        ("unmapped-label", (), ("unmapped-label",), False),
    ],
)
def test_check_and_skip_check_by_id_or_glob(
    rule: str, checks: tuple[str, ...], skips: tuple[str, ...], kept: bool
) -> None:
    assert selected(rule, checks, skips) is kept


def test_skip_check_leaves_findings_out_and_counts_them(result: ScanResult) -> None:
    less = scan_examples(skip_checks=("us.dsp.*",))
    dropped = [f for f in _findings(result) if f[1].startswith("us.dsp.")]
    assert dropped and less.deselected == len(dropped)
    assert _findings(less) == [f for f in _findings(result) if not f[1].startswith("us.dsp.")]
    only = scan_examples(checks=("cn.pi.*",))
    # A missing fact of a cn.pi entry is selected with it.
    assert {r for _, r in _findings(only)} == {
        "cn.pi.general.contract",
        "cn.pi.sensitive.assessment",
        "missing-fact/cn.pi.sensitive.assessment",
        # The broad 'personal' item may hold sensitive data of fewer than 10,000 people too.
        "missing-fact/cn.pi.sensitive.contract",
    }


def test_junit_lists_a_manifest_without_transfers_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "d.yml").write_text(
        "dataset:\n  - fides_key: d\n    collections:\n      - name: c\n        fields:\n"
        "          - name: e\n            data_categories: [user.contact.email]\n"
    )
    result = scan_examples(paths=[tmp_path], waivers=None, cwd=tmp_path)
    path = tmp_path / "r.xml"
    path.write_text(junit.render(result))
    ((case,),) = [list(s) for s in JUnitXml.fromfile(str(path))]
    (mark,) = case.result
    assert isinstance(mark, Skipped) and "no origin or destination" in (mark.message or "")


def test_every_registered_format_renders() -> None:
    assert set(names()) >= {"text", "json", "sarif", "junit", "github"}
