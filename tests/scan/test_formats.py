"""Every scan format, from one scan of examples/scan: golden files, and each format read by
a real consumer (the SARIF 2.1.0 schema, a JUnit parser, the runner's command syntax)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from dataflow_rules.models.scan import ScanResult
from dataflow_rules.render import github, junit, sarif
from dataflow_rules.render import scan_json as json_report
from dataflow_rules.render import scan_text as text

from .helpers import GOLDEN, SARIF_SCHEMA, parse_workflow_commands, scan_examples

RENDERERS: dict[str, Callable[[ScanResult], str]] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
}
SUFFIX = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "github": "txt"}


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan_examples()


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_golden(fmt: str, result: ScanResult) -> None:
    """The rendered examples match the reviewed golden file byte for byte.

    Regenerate after a deliberate change with UPDATE_GOLDEN=1 and review the diff.
    """
    rendered = RENDERERS[fmt](result)
    golden = GOLDEN / f"examples.{fmt}.{SUFFIX[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_deterministic(fmt: str, result: ScanResult) -> None:
    assert RENDERERS[fmt](scan_examples()) == RENDERERS[fmt](result)


def test_examples_cover_every_kind_of_finding(result: ScanResult) -> None:
    kinds = {f.kind for t in result.transfers() for f in t.findings}
    assert {"entry", "missing_fact", "no_catalogue", "unmapped_label"} <= kinds
    assert {t.source for t in result.transfers()} == {
        "transfer",
        "fides_dataset",
        "fides_system",
        "odcs_contract",
        "dbt_model",
        "openlineage_run",
        "terraform_replication",
    }
    assert any(f.waived for t in result.transfers() for f in t.findings)


def test_vendored_sarif_schema_is_the_published_one() -> None:
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert digest == "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"


def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(result: ScanResult) -> None:
    log = json.loads(sarif.render(result))
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_the_schema_check_can_fail(result: ScanResult) -> None:
    log = json.loads(sarif.render(result))
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(_sarif_validator().iter_errors(log))) == 2


def test_sarif_meets_github_code_scanning(result: ScanResult) -> None:
    """What code scanning needs beyond the schema: rule ids, indices, relative URIs, lines."""
    log = json.loads(sarif.render(result))
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    catalogue_ids = {
        x.rule_id for t in result.transfers() for x in t.findings if x.kind in ("entry", "localisation")
    }
    assert catalogue_ids <= set(ids)
    assert len(run["results"]) == sum(len(t.findings) for t in result.transfers())
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        (loc,) = res["locations"]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and (Path(__file__).parents[2] / uri).is_file()
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["dataflowRulesFinding/v1"]
    waived = [r for r in run["results"] if "suppressions" in r]
    assert waived and all(r["suppressions"][0]["status"] == "accepted" for r in waived)
    assert all(r["ruleId"] == "cn.pi.general.contract" for r in waived)


def test_sarif_result_points_at_the_data_item_line(result: ScanResult) -> None:
    log = json.loads(sarif.render(result))
    genomic = next(
        r
        for r in log["runs"][0]["results"]
        if r["ruleId"] == "us.dsp.omic.coc.genomic"
        and r["properties"]["transfer"] == "biobank-genomes-to-sequencer"
    )
    region = genomic["locations"][0]["physicalLocation"]["region"]
    lines = (Path(__file__).parents[2] / "examples/scan/transfers/vendor-flows.yaml").read_text().splitlines()
    assert lines[region["startLine"] - 1].strip() == "- category: personal.omic.genomic"
    # A Fides finding whose category is declared on two fields: the second is related.
    geo = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "us.dsp.restricted.coc.geolocation")
    fides_lines = (
        (Path(__file__).parents[2] / "examples/scan/fides/loyalty-members.fides.yml").read_text().splitlines()
    )
    first = geo["locations"][0]["physicalLocation"]["region"]["startLine"]
    (related,) = geo["relatedLocations"]
    assert "user.location.precise" in fides_lines[first - 1]
    assert "user.location.precise" in fides_lines[related["physicalLocation"]["region"]["startLine"] - 1]


def test_junit_read_by_a_junit_parser(result: ScanResult, tmp_path: Path) -> None:
    path = tmp_path / "scan.xml"
    path.write_text(junit.render(result), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    cases = [case for suite in xml for case in suite if not case.is_skipped]
    assert len(cases) == len(result.transfers())  # one test case per transfer
    failing = {case.name.split(" ")[0] for case in cases if any(isinstance(r, Failure) for r in case.result)}
    expected = {t.id for t in result.transfers() if t.failing(result.fail_on)}
    assert failing == expected and failing
    assert not any(isinstance(r, Error) for case in cases for r in case.result)
    waived = next(c for c in cases if c.name.startswith("crm_platform:Newsletter_campaigns"))
    assert waived.is_passed and "waived by Li Wei" in (waived.system_out or "")
    skipped = [case for suite in xml for case in suite if case.is_skipped]
    not_scanned = [f for f in result.files if f.status == "skipped"]
    assert [c.name for c in skipped] == [f"{f.path} (not scanned)" for f in not_scanned] and skipped
    for case, f in zip(skipped, not_scanned, strict=True):
        (mark,) = case.result
        assert isinstance(mark, Skipped) and mark.message == f.reason
    xml.update_statistics()
    assert xml.tests == len(cases) + len(skipped) and xml.failures == len(expected)
    assert xml.skipped == len(skipped)


def test_junit_input_errors_are_error_cases(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\norigin: CN\ndestination: US\ndata:\n  - category: personal.contcat\n")
    result = scan_examples(paths=[bad], waivers=None, cwd=tmp_path)
    path = tmp_path / "scan.xml"
    path.write_text(junit.render(result), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    ((case,),) = [list(suite) for suite in xml]
    (error,) = case.result
    assert isinstance(error, Error) and "bad.yaml:5:" in (error.message or "")


def test_github_annotations_are_one_per_transfer_at_its_strictest_finding(result: ScanResult) -> None:
    commands, plain = parse_workflow_commands(github.render(result))
    assert len(plain) == 1 and plain[0].startswith("dataflow-rules scan:")
    with_findings = [t for t in result.transfers() if t.findings]
    assert len(with_findings) < sum(len(t.findings) for t in with_findings)
    if len(with_findings) > github.LIMIT:  # the last says how many more are in the SARIF
        *commands, more = commands
        assert "file" not in more.properties
        assert more.message.startswith(f"{len(with_findings) - github.LIMIT} more in the SARIF report")
    assert len(commands) == min(len(with_findings), github.LIMIT)
    rank = {"error": 0, "warning": 1, "notice": 2}
    assert [rank[c.name] for c in commands] == sorted(rank[c.name] for c in commands)  # errors first
    by_id = {t.id: t for t in with_findings}
    for command in commands:
        t = by_id[command.message.split(" (", 1)[0]]
        levels = [
            "notice" if x.waived else "error" if result.fail_on.fails(x.verdict) else "warning"
            for x in t.findings
        ]
        x = t.findings[levels.index(min(levels, key=rank.__getitem__))]
        assert command.name == min(levels, key=rank.__getitem__)
        assert command.properties["file"] == x.place.file
        assert command.properties["line"] == str(x.place.line)
        assert command.properties["title"].startswith(f"{x.verdict.value}: {x.rule_id}")
        others = len(t.findings) - 1
        if others:
            assert command.properties["title"].endswith(
                f"and {others} more finding" + ("s" if others > 1 else "")
            )
            assert all(o.rule_id in command.message.split("\nAlso: ")[1] for o in t.findings if o is not x)


def test_github_annotations_are_capped_with_a_pointer_to_the_sarif(tmp_path: Path) -> None:
    flows = "\n".join(
        f"- id: flow-{n:02}\n  origin: US\n  destination: CN\n  date: 2026-03-02\n"
        f"  transaction: vendor_agreement\n  recipient: {{type: company, controlled_by: CN}}\n"
        f"  data:\n    - category: personal.omic.genomic\n      individuals: {200 + n}\n"
        for n in range(14)
    )
    (tmp_path / "flows.yaml").write_text(flows)
    (tmp_path / "bad.yaml").write_text("origin: CN\ndestination: US\ndata: [\n")
    result = scan_examples(paths=[tmp_path], waivers=None, cwd=tmp_path)
    assert len([t for t in result.transfers() if t.findings]) == 14
    commands, _ = parse_workflow_commands(github.render(result))
    assert len(commands) == github.LIMIT + 1
    assert commands[0].properties["file"] == "bad.yaml"  # input errors first
    last = commands[-1]
    assert last.name == "error" and "file" not in last.properties
    assert last.message.startswith("5 more in the SARIF report (5 errors)")


def test_github_escapes_what_the_runner_would_misread() -> None:
    from dataflow_rules.models.scan import Place

    line = github.command("error", Place(file="a,b:c%.yaml", line=3), "t: 1, 2", "50% done\nnext")
    (command,), _ = parse_workflow_commands(line + "\n")
    assert command.properties == {"file": "a,b:c%.yaml", "line": "3", "title": "t: 1, 2"}
    assert command.message == "50% done\nnext"


def test_text_is_coloured_only_when_asked(result: ScanResult) -> None:
    assert "\x1b[" not in text.render(result)
    coloured = text.render(result, colour=True)
    assert "\x1b[1;31mRESTRICT\x1b[0m" in coloured
    assert coloured.replace("\x1b[1;31m", "").replace("\x1b[1;33m", "").replace("\x1b[1;32m", "").replace(
        "\x1b[1m", ""
    ).replace("\x1b[2m", "").replace("\x1b[0m", "") == text.render(result)


def test_json_form(result: ScanResult) -> None:
    body = json.loads(json_report.render(result))
    assert body["schema_version"] == 1 and body["kind"] == "scan"
    assert body["exit_code"] == result.exit_code() == 4
    assert body["summary"]["transfers"] == len(result.transfers())
    statuses = {f["path"]: f["status"] for f in body["files"]}
    assert statuses["examples/scan/other/ci-config.yaml"] == "skipped"
    waived = [x for f in body["files"] for t in f["transfers"] for x in t["findings"] if x["waiver"]]
    assert waived[0]["waiver"]["ticket"] == "PRIV-1432"


def test_input_errors_in_sarif_and_github(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\norigin: CN\ndestination: US\ndata:\n  - category: personal.contcat\n")
    result = scan_examples(paths=[bad, tmp_path / "gone.yaml"], waivers=None, cwd=tmp_path)
    log = json.loads(sarif.render(result))
    assert not list(_sarif_validator().iter_errors(log))
    (run,) = log["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert [r["ruleId"] for r in run["results"]] == ["input-error", "input-error"]
    first = run["results"][0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"] == "bad.yaml" and first["region"]["startLine"] == 5
    commands, _ = parse_workflow_commands(github.render(result))
    assert [(c.name, c.properties["file"]) for c in commands] == [
        ("error", "bad.yaml"),
        ("error", "gone.yaml"),
    ]


def test_every_sarif_rule_has_what_github_asks_for(result: ScanResult) -> None:
    """GitHub's rules (GH2012, SARIF2005), checked without the multitool too."""
    (run,) = json.loads(sarif.render(result))["runs"]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://") and driver["semanticVersion"]
    assert run["automationDetails"]["id"]
    assert {r["ruleId"] for r in run["results"]} == {r["id"] for r in driver["rules"]}
    for rule in driver["rules"]:
        assert rule["name"][0].isupper() and rule["name"].isalnum()
        for key in ("shortDescription", "fullDescription"):
            assert rule[key]["text"].endswith(".")
        assert "What to do" in rule["help"]["text"] and "What to do" in rule["help"]["markdown"]
        assert rule["helpUri"].startswith("https://")
        if rule["properties"]["tags"][1] in ("entry", "localisation"):
            assert "Cites: " in rule["help"]["text"] and "**Cites:**" in rule["help"]["markdown"]
