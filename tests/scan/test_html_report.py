"""The HTML report of a scan and of a diff, read as HTML (the browser tests draw them):
self-contained, every transfer and finding in its flow's table with its status and a link
to its line, input errors first, deterministic, and safe with hostile names."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules.models.scan import Place, ScanResult
from dataflow_rules.render.html_diff import render as render_diff
from dataflow_rules.render.html_report import render, source_href
from dataflow_rules.scan.runner import ScanOptions, scan
from dataflow_rules.workbench.diff import run_diff

from ..workbench.helpers import base_catalogue, transfer, write_policies
from .helpers import AS_OF, ROOT, TODAY, run

ALL_EXAMPLES = ROOT / "examples"


def scan_all_examples(**kwargs: Any) -> ScanResult:
    """Every shipped example (examples/), with the scan examples' waiver file."""
    return scan(
        ScanOptions(
            paths=[ALL_EXAMPLES],
            waivers=ALL_EXAMPLES / "scan" / "waivers.yaml",
            as_of=AS_OF,
            decided_on=AS_OF,
            today=TODAY,
            cwd=ROOT,
            **kwargs,
        )
    )


class Page(HTMLParser):
    """Elements with their attributes, the text of each ``tr``, and the inline data."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.rows: list[tuple[dict[str, str], str]] = []
        self.scripts: dict[str, str] = {}
        self._row: tuple[dict[str, str], list[str]] | None = None
        self._script: tuple[dict[str, str], list[str]] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "tr":
            self._row = (values, [])
        if tag == "script":
            self._script = (values, [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append((self._row[0], " ".join(" ".join(self._row[1]).split())))
            self._row = None
        if tag == "script" and self._script is not None:
            attrs, text = self._script[0], "".join(self._script[1])
            self._script = None
            self.scripts[attrs.get("id", "")] = text
            if attrs.get("type") == "text/x-rows":  # a flow's later rows, as the page parses them in
                rows = gzip.decompress(base64.b64decode(text)).decode("utf-8")
                later = Page(f"<table><tbody>{rows}</tbody></table>")
                self.elements += later.elements[2:]
                self.rows += later.rows

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row[1].append(data)
        if self._script is not None:
            self._script[1].append(data)

    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.scripts["report-data"])
        return value


@pytest.fixture(scope="module")
def examples() -> tuple[ScanResult, str]:
    result = scan_all_examples()
    return result, render(result)


def test_self_contained(examples: tuple[ScanResult, str]) -> None:
    _, text = examples
    page = Page(text)
    tags = {tag for tag, _ in page.elements}
    assert "link" not in tags and "img" not in tags and "iframe" not in tags
    scripts = [attrs for tag, attrs in page.elements if tag == "script"]
    assert scripts and all("src" not in attrs for attrs in scripts)
    assert "Plotly.newPlot" in text and "sankey" in page.scripts[""]  # plotly.js itself is inline
    # Links to the web are citations a person may follow; nothing is loaded from them.
    loaded = [a for tag, a in page.elements if tag != "a" and any("//" in v for v in a.values())]
    assert loaded == []
    assert not re.search(r"url\(\s*['\"]?https?:", text)


def test_every_transfer_and_finding_in_its_flow(examples: tuple[ScanResult, str]) -> None:
    result, text = examples
    page = Page(text)
    transfers = result.transfers()
    assert len(transfers) > 100
    data = page.data()
    assert [(o, d, v) for o, d, v, _ in data["transfers"]] == [
        (t.origin, t.destination, t.verdict.value) for t in transfers
    ]
    rows = [(attrs, row) for attrs, row in page.rows if "data-t" in attrs]
    for i, t in enumerate(transfers):
        mine = [(a, row) for a, row in rows if a["data-t"] == str(i)]
        assert all(t.id in row for _, row in mine)
        if not t.findings:
            assert len(mine) == 1 and "no findings" in mine[0][1]
            continue
        assert [a["data-rule"] for a, _ in mine] == [x.rule_id for x in t.findings]
        for (_, row), x in zip(mine, t.findings, strict=True):
            assert str(x.place) in row, (t.id, x.rule_id)
            if x.waiver is not None:
                assert "waived" in row and x.waiver.ticket in row and x.waiver.approved_by in row
            elif result.fail_on.fails(x.verdict):
                assert "failing" in row
            else:
                assert "open" in row
    assert any(x.waived for t in transfers for x in t.findings)  # the waiver file is used
    # Each rule's citations in full, once.
    rules = {x.rule_id: x for t in transfers for x in t.findings}
    cited = {a.get("id"): row for a, row in page.rows if a.get("id", "").startswith("rule-")}
    assert len(cited) == len(rules)
    for rule_id, x in rules.items():
        row = cited["rule-" + rule_id]
        assert all(c.short() in row for c in x.citations), rule_id


def test_flows_table_counts_the_transfers(examples: tuple[ScanResult, str]) -> None:
    result, text = examples
    page = Page(text)
    flows = [(a, row) for a, row in page.rows if "data-verdict" in a and "data-t" not in a]
    total = sum(int(row.split()[-1].replace(",", "")) for _, row in flows)
    assert total == len(result.transfers())
    us_cn = {
        a["data-verdict"]: row
        for a, row in flows
        if (a["data-origin"], a["data-destination"]) == ("US", "CN")
    }
    expected = {
        v.value for t in result.transfers() if (t.origin, t.destination) == ("US", "CN") for v in [t.verdict]
    }
    assert set(us_cn) == expected


def test_links_to_the_manifest_line(examples: tuple[ScanResult, str]) -> None:
    _, text = examples
    links = [a["href"] for tag, a in Page(text).elements if tag == "a" and "src" in a.get("class", "")]
    assert links and all(re.fullmatch(r"examples/[\w./-]+#L\d+", h) for h in links), links[:5]
    for href in links[:50]:
        assert (ROOT / href.split("#")[0]).is_file()
    assert source_href(Place(file="a b/c.yaml", line=3), "../") == "../a%20b/c.yaml#L3"
    assert source_href(Place(file="/abs/x.yaml")) == "file:///abs/x.yaml"


def test_deterministic(examples: tuple[ScanResult, str]) -> None:
    result, text = examples
    assert render(result) == text
    assert render(scan_all_examples()) == text


def test_input_errors_come_first(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("origin: US\ndestination: CN\ndata:\n  - category: nope\n")
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, as_of=AS_OF, today=TODAY, decided_on=AS_OF))
    page = Page(render(result))
    sections = [a.get("class") for tag, a in page.elements if tag == "section"]
    assert sections[0] == "problems"
    problem = result.problems()[0]
    text = render(result)
    assert "bad.yaml" in str(problem.place) and problem.place.line
    assert str(problem.place) in text and "Incomplete: 1 input error" in text


def test_hostile_names_are_text(tmp_path: Path) -> None:
    name = "<script>alert(1)<\\script>&amp;'\".yaml"  # "/" cannot be in a file name
    (tmp_path / name).write_text(
        "id: t1\norigin: US\ndestination: CN\ndate: 2026-03-02\n"
        "data:\n  - category: personal.contact\n    individuals: 10\n"
    )
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, as_of=AS_OF, today=TODAY, decided_on=AS_OF))
    assert [t.place.file for t in result.transfers()] == [name]
    text = render(result)
    assert "<script>alert" not in text
    page = Page(text)
    assert sum(1 for tag, _ in page.elements if tag == "script") == 5  # data, 2 templates, plotly, ours
    assert any(name in row for _, row in page.rows)  # shown as text


def test_cli_writes_html_with_links_relative_to_the_report(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "scan.html"
    out.parent.mkdir()
    done = run("scan", "--no-progress", "-f", f"html:{out}", "-f", "text", "examples/us-cn-genomic-101.yaml")
    assert done.returncode == 4, done.stderr
    assert b"us-cn-genomic-101: RESTRICT" in done.stdout
    links = [
        a["href"] for tag, a in Page(out.read_text()).elements if tag == "a" and "src" in a.get("class", "")
    ]
    assert links
    for href in links:
        assert (out.parent / href.split("#")[0]).resolve() == (ROOT / "examples/us-cn-genomic-101.yaml")


def test_diff_html_groups_moved_transfers(tmp_path: Path) -> None:
    old = write_policies(tmp_path / "old", {"nz.yaml": base_catalogue()})
    tighter = base_catalogue()
    tighter["entries"][0]["when"]["individuals"] = {"at_least": 10}
    new = write_policies(tmp_path / "new", {"nz.yaml": tighter})
    corpus = [
        transfer("small", "CN", "personal.health", individuals=50),
        transfer("tiny", "US", "personal.health", individuals=5),
    ]
    raws = [("corpus.jsonl", n + 1, json.dumps(t)) for n, t in enumerate(corpus)]
    result = run_diff(old, new, raws, ("old", "new"), dt.date(2026, 3, 2))
    assert [c.transfer_id for c in result.changed] == ["small"]
    text = render_diff(result)
    page = Page(text)
    data = page.data()
    assert data["kind"] == "diff"
    assert sum(n for *_, n in data["before"]) == sum(n for *_, n in data["after"]) == 2
    before = {(o, d): v for o, d, v, _ in data["before"]}
    after = {(o, d): v for o, d, v, _ in data["after"]}
    change = result.changed[0]
    assert before[(change.origin, change.destination)] == change.old
    assert after[(change.origin, change.destination)] == change.new
    moved = [row for a, row in page.rows if "small" in row and "corpus.jsonl:1" in row]
    assert len(moved) == 1 and f"{change.old} → {change.new}" in moved[0]
    for key in change.responsible:
        assert key in text
    ids = {a.get("id") for _, a in page.elements}
    assert {"sankey-before", "sankey-after", "flows-before", "flows-after"} <= ids


def test_baselined_findings_are_counted_not_listed(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    done = run("scan", "--no-progress", "--create-baseline", str(baseline), "examples/us-cn-genomic-101.yaml")
    assert done.returncode == 0, done.stderr
    result = scan(ScanOptions(paths=[ALL_EXAMPLES / "us-cn-genomic-101.yaml"], cwd=ROOT, baseline=baseline))
    assert result.baselined > 0 and not any(t.findings for t in result.transfers())
    text = render(result)
    assert f"{result.baselined} findings left out because the baseline holds them" in text
    rows = [row for a, row in Page(text).rows if "data-t" in a]
    assert len(rows) == 1 and "its findings are in the baseline" in rows[0] and "RESTRICT" in rows[0].upper()


def test_a_verdict_from_a_default_says_where_it_comes_from(tmp_path: Path) -> None:
    """Defaults are not findings (docs/scan.md): a review by a catalogue's default says why."""
    catalogue = base_catalogue()
    catalogue["default"] = "review"
    other = {**base_catalogue(), "jurisdiction": "AU", "entries": [], "groups": {}}
    policies = write_policies(tmp_path / "policies", {"nz.yaml": catalogue, "au.yaml": other})
    (tmp_path / "t.yaml").write_text(json.dumps(transfer("t1", "AU", "personal.contact", individuals=10)))
    result = scan(
        ScanOptions(
            paths=[tmp_path / "t.yaml"],
            cwd=tmp_path,
            as_of=AS_OF,
            today=TODAY,
            decided_on=AS_OF,
            policies=policies,
        )
    )
    [t] = result.transfers()
    assert t.verdict.value == "review" and not t.findings and t.decision is not None
    rows = [row for a, row in Page(render(result)).rows if "data-t" in a]
    assert len(rows) == 1 and "the verdict comes from" in rows[0]
    defaults = [r for r in t.decision.reasons if r.kind == "default" and r.verdict.value == "review"]
    assert defaults and all(" ".join(r.sentence.split()) in rows[0] for r in defaults)
