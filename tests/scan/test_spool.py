"""The scan's spool (scan/spool.py) and the writers that read it back file by file: the
same bytes as the whole report built at once, a private file removed after use, and a
memory that does not grow with the number of files (issue 14)."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflow_rules.jsonio import dumps_indented
from dataflow_rules.models.decision import Verdict
from dataflow_rules.models.scan import FailOn, ScanResult, in_memory
from dataflow_rules.render import formats, github, junit, sarif
from dataflow_rules.render import scan_json as json_report
from dataflow_rules.scan.runner import ScanOptions, scan_spooled
from dataflow_rules.scan.spool import Spool

from .helpers import EXAMPLE_OPTIONS, scan_examples

OPTIONS = EXAMPLE_OPTIONS
STYLES = [
    formats.TextStyle(),
    formats.TextStyle(compact=True),
    formats.TextStyle(quiet=True),
    formats.TextStyle(compact=True, quiet=True),
]


@pytest.fixture(scope="module", params=[FailOn.restrict, FailOn.review, FailOn.never])
def result(request: pytest.FixtureRequest) -> ScanResult:
    return scan_examples(fail_on=request.param)


def test_the_spool_is_private_and_removed_after_use() -> None:
    spool = Spool()
    spool.add({"a": 1})
    spool.add([2])
    assert stat.S_IMODE(spool.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    assert list(spool) == [{"a": 1}, [2]] and list(spool) == [{"a": 1}, [2]]  # read as often as needed
    spool.close()
    assert not spool.directory.exists()


def test_a_spooled_scan_removes_its_spool_when_closed() -> None:
    with scan_spooled(OPTIONS) as spooled:
        directory = spooled._spool.directory
        assert directory.exists() and next(spooled.each_file()).path
    assert not directory.exists()


@pytest.mark.parametrize("cumulative", [True, False])
def test_spooled_and_in_memory_results_are_the_same(cumulative: bool) -> None:
    options = replace(OPTIONS, cumulative=cumulative)
    with scan_spooled(options) as spooled:
        loaded = spooled.load()
        assert spooled.summary() == loaded.summary() and spooled.exit_code() == loaded.exit_code()
        assert spooled.problems() == loaded.problems()
    assert [f.path for f in loaded.files] == sorted(f.path for f in loaded.files)
    assert loaded == scan_examples(cumulative=cumulative)


@pytest.mark.parametrize("name", formats.names())
def test_every_writer_streams_what_it_renders_in_memory(name: str) -> None:
    expected = {(n, s): formats.render(name, scan_examples(), n, s) for n in (False, True) for s in STYLES}
    with scan_spooled(OPTIONS) as spooled:
        for (colour, style), text in expected.items():
            out = io.StringIO()
            formats.write_scan(name, spooled, out, colour, style)
            assert out.getvalue() == text, (name, colour, style)


def _whole_json(result: ScanResult) -> str:
    """The JSON report as it was built before the writers streamed: one dict, one dump."""
    dumped = result.model_dump(mode="json")
    body: dict[str, Any] = {
        "schema_version": dumped["schema_version"],
        "kind": "scan",
        "tool": dumped["tool"],
        "fail_on": dumped["fail_on"],
        "exit_code": result.exit_code(),
        "summary": result.summary().model_dump(mode="json"),
        "files": dumped["files"],
        "errors": dumped["errors"],
        "unused_waivers": dumped["unused_waivers"],
        "baselined": dumped["baselined"],
        "deselected": dumped["deselected"],
    }
    return dumps_indented(body)


def test_the_json_report_is_the_whole_dump(result: ScanResult) -> None:
    assert json_report.render(result) == _whole_json(result)
    empty = result.model_copy(update={"files": [], "errors": []})
    assert json_report.render(empty) == _whole_json(empty)
    assert json.loads(json_report.render(empty))["files"] == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(results=st.lists(st.dictionaries(st.text(max_size=6), _JSON, max_size=4), max_size=4), run=_JSON)
def test_a_sarif_log_written_result_by_result_is_the_whole_log(
    results: list[dict[str, Any]], run: Any
) -> None:
    driver = {"name": "x", "rules": [{"id": "a", "results": []}]}  # a decoy "results": [] before the run's
    out = io.StringIO()
    sarif.write_sarif_log(out, driver, iter(results), extra=run)
    assert out.getvalue() == sarif.sarif_log(driver, results, extra=run)


def _whole_junit(result: ScanResult) -> str:
    """The JUnit report as one tree indented and serialised at once (as it was built)."""
    root = ET.Element("testsuites", {"name": "dataflow-rules scan"})
    total = [0, 0, 0, 0]
    for f in result.files:
        suite, counts = junit._suite(f, result)
        if suite is not None:
            root.append(suite)
        total = [a + b for a, b in zip(total, counts, strict=True)]
    if result.errors:
        root.append(junit._config_suite(result))
        n = len(result.errors)
        total = [total[0] + n, total[1], total[2] + n, total[3]]
    junit._counts(root, *total)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def test_the_junit_report_is_the_whole_tree(result: ScanResult) -> None:
    assert junit.render(result) == _whole_junit(result)
    empty = result.model_copy(update={"files": [], "errors": []})
    assert junit.render(empty) == _whole_junit(empty)
    assert junit.render(empty).splitlines()[1].endswith("/>")


def _github_sorted(result: ScanResult) -> str:
    """The annotations as they were written: all made, sorted by level, cut at LIMIT."""
    annotations = [github._problem(p) for p in result.problems()]
    annotations += [github._transfer(t, result) for t in result.transfers() if t.findings]
    annotations.sort(key=lambda a: github._RANK[a[0]])
    lines = [text for _, text in annotations[: github.LIMIT]]
    hidden = annotations[github.LIMIT :]
    if hidden:
        counts = {k: sum(1 for h, _ in hidden if h == k) for k in github._RANK}
        said = ", ".join(f"{n} {k}" + ("" if n == 1 else "s") for k, n in counts.items() if n)
        lines.append(
            github.command(
                hidden[0][0],
                None,
                "dataflow-rules: more annotations",
                f"{len(hidden)} more in the SARIF report ({said}); GitHub shows about {github.LIMIT} a step."
                " Upload the SARIF (--format sarif:FILE) to code scanning, or see --format text.",
            )
        )
    return "\n".join(lines)


@pytest.mark.parametrize("keep", [0, 1, 3, 12, 40, 10_000])
def test_github_annotations_kept_a_level_at_a_time_are_the_sorted_ones(result: ScanResult, keep: int) -> None:
    files = []
    for f in result.files:  # fewer transfers, so the cut at LIMIT falls at each level in turn
        files.append(f.model_copy(update={"transfers": f.transfers[:keep]}))
        keep = max(0, keep - len(f.transfers))
    cut = result.model_copy(update={"files": files})
    assert "\n".join(github.render(cut).splitlines()[:-1]) == _github_sorted(cut)


def test_the_totals_are_the_plain_counts(result: ScanResult) -> None:
    transfers = result.transfers()
    findings = [x for t in transfers for x in t.findings]
    summary = result.summary()
    assert summary.transfers == len(transfers) and summary.errors == len(result.problems())
    assert summary.verdicts == {v.value: sum(t.verdict is v for t in transfers) for v in Verdict}
    assert summary.findings_open == sum(not x.waived for x in findings)
    assert summary.findings_waived == sum(x.waived for x in findings)
    failing = [x.verdict for t in transfers for x in t.failing(result.fail_on)]
    assert summary.findings_failing == len(failing)
    code = (
        5
        if result.problems()
        else {Verdict.RESTRICT: 4, Verdict.REVIEW: 3}.get(
            Verdict.strictest(failing) if failing else Verdict.ALLOW, 0
        )
    )
    assert result.exit_code() == code
    assert in_memory(result) is result


def _manifests(directory: Path, count: int) -> Path:
    directory.mkdir()
    for n in range(count):
        (directory / f"m{n:05d}.yaml").write_text(
            f"id: t{n}\norigin: CN\ndestination: US\ndate: 2026-03-01\n"
            f"exporter: {{id: e{n}}}\ndata:\n  - {{category: personal.contact.email, individuals: {n + 1}}}\n",
            encoding="utf-8",
        )
    return directory


def _peak(directory: Path) -> int:
    """Peak traced bytes of a scan with its JSON report written (to a file)."""
    day = dt.date(2026, 3, 2)
    options = ScanOptions(paths=[directory], cwd=directory, as_of=day, decided_on=day, cumulative=False)
    tracemalloc.start()
    try:
        with scan_spooled(options) as spooled, (directory.parent / f"{directory.name}.json").open("w") as out:
            json_report.write(spooled, out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_scan_memory_does_not_grow_with_the_number_of_files(tmp_path: Path) -> None:
    small = _peak(_manifests(tmp_path / "small", 100))
    large = _peak(_manifests(tmp_path / "large", 1000))
    # Held results cost ~16 KB a file: ten times the files would add some 14 MB.
    assert large < small * 1.5, (small, large)


def test_every_name_of_the_scan_api_imports() -> None:
    import dataflow_rules.scan as api

    for name in api.__all__:
        assert getattr(api, name) is not None, name
