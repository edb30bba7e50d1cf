"""Output for people and for CI (issue 15, item 2): --compact, --quiet, the summary table,
--check/--skip-check, and JUnit skipped cases for what was not scanned."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from junitparser import JUnitXml, Skipped

from dataflow_rules.models.scan import ScanResult
from dataflow_rules.render import junit
from dataflow_rules.render import scan_text as text
from dataflow_rules.render.formats import TextStyle, names
from dataflow_rules.scan.runner import selected

from .helpers import PINNED_POLICIES, scan_examples


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan_examples()


def _findings(result: ScanResult) -> list[tuple[str, str]]:
    return [(t.id, x.rule_id) for t in result.transfers() for x in t.findings]


def test_compact_is_one_line_a_transfer_and_each_citation_once(result: ScanResult) -> None:
    out = text.render(result, style=TextStyle(compact=True))
    lines = out.splitlines()
    with_findings = [t for t in result.transfers() if t.findings]
    assert with_findings and len(with_findings) <= text.COMPACT_CAP
    for t in with_findings:
        (line,) = [
            line for line in lines if re.match(rf"^\S+:\d+: {t.verdict.value} {re.escape(t.id)} \(", line)
        ]
        assert f"({t.origin}->{t.destination})" in line
        assert all(x.rule_id in line for x in t.findings)
        assert (" FAILS:" in line) is bool(t.failing(result.fail_on))
    cited = {
        c.short()
        for t in result.transfers()
        for x in t.findings
        for c in x.citations
        if not x.rule_id.startswith(text._KINDS)
    }
    assert cited
    for citation in cited:
        assert out.count(citation) == 1  # in the legend only
    assert "missing-fact/* (" in out  # totalled to one row, not one row an entry
    assert len(lines) < len(text.render(result).splitlines()) / 2


def _corpus(directory: Path, count: int = 166, per_file: int = 8) -> Path:
    """``count`` generated transfers (workbench corpus, seed 15) in files of ``per_file``,
    as a repository's pipeline manifests; 166 is the size of the upstream corpus of issue 15."""
    from dataflow_rules.catalogues import load_policies
    from dataflow_rules.workbench.corpus import generate_corpus

    directory.mkdir(parents=True, exist_ok=True)
    taxonomy = load_policies(PINNED_POLICIES).taxonomy
    items = [json.loads(line) for line in generate_corpus(taxonomy, count, 15)]
    for k in range(0, count, per_file):
        body = {"transfers": items[k : k + per_file]}
        (directory / f"pipeline-{k // per_file:02}.json").write_text(json.dumps(body, indent=2))
    return directory


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = _corpus(tmp_path_factory.mktemp("corpus"))
    return scan_examples(paths=[root], waivers=None, cwd=root)


def test_compact_of_166_transfers_fits_on_a_few_screens(corpus: ScanResult) -> None:
    """Issue 15: 166 transfers gave 11,228 lines of text, then 753 in --compact."""
    assert len(corpus.transfers()) == 166
    full = text.render(corpus).splitlines()
    compact = text.render(corpus, style=TextStyle(compact=True)).splitlines()
    # A corpus big enough to need compacting (1,958 lines since a destination without a
    # catalogue is no longer a review finding by default).
    assert len(full) > 1500
    assert len(compact) <= 150, f"{len(compact)} lines"
    assert compact[-1] == full[-1]  # the same summary of everything
    for verdict in ("restrict", "review"):
        transfers = [t for t in corpus.transfers() if t.findings and t.verdict.value == verdict]
        listed = [line for line in compact if re.match(rf"^\S+:\d+: {verdict} ", line)]
        assert len(transfers) > text.COMPACT_CAP  # so the cap is exercised
        assert len(listed) == text.COMPACT_CAP
        assert (
            f"  {len(transfers) - text.COMPACT_CAP} more {verdict} transfers: see --format json"
            in "\n".join(compact)
        )
    failing = [line for line in compact if " FAILS:" in line]
    assert failing and compact.index(failing[-1]) < compact.index(failing[0]) + len(failing)  # failing first
    rules = {x.rule_id for t in corpus.transfers() for x in t.findings}
    for rule in rules:
        if not rule.startswith(text._KINDS):
            assert any(line.startswith(f"  {rule} ") for line in compact), rule  # a row in the table


def test_quiet_compact_lists_only_failing_transfers(corpus: ScanResult) -> None:
    out = text.render(corpus, style=TextStyle(compact=True, quiet=True)).splitlines()
    listed = [line for line in out if re.match(r"^\S+:\d+: (restrict|review|allow) ", line)]
    assert listed and all(" FAILS:" in line for line in listed)
    assert len(out) < 40


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
