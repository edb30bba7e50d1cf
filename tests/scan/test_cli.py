"""`dataflow-rules scan` and `schema` as a pipeline runs them: real processes, exit codes,
several formats in one run, errors beside results, progress, large trees, the hook."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from junitparser import JUnitXml

from ..terminal import on_a_terminal
from .helpers import EXAMPLES, EXE, ROOT, SARIF_SCHEMA, parse_workflow_commands, run, scan_examples

TRANSFER = """\
id: {id}
origin: {origin}
destination: US
date: 2026-03-02
exporter: {{ciio: false}}
recipient: {{type: company, controlled_by: US}}
purpose: marketing
data:
  - category: personal.contact
    individuals: {count}
    anonymised: false
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("count", "fail_on", "code"),
    [
        (50_000, "restrict", 0),  # below every threshold: allow
        (150_000, "restrict", 4),  # standard contract: restrict
        (150_000, "never", 0),
    ],
)
def test_exit_codes_follow_fail_on(tmp_path: Path, count: int, fail_on: str, code: int) -> None:
    write(tmp_path / "t.yaml", TRANSFER.format(id="t", origin="CN", count=count))
    result = run("scan", ".", "--fail-on", fail_on, "--no-colour", cwd=tmp_path)
    assert result.returncode == code, result.stdout.decode() + result.stderr.decode()


def test_review_fails_only_with_fail_on_review(tmp_path: Path) -> None:
    # No count stated: the catalogue cannot be decided, so review (a missing fact).
    write(
        tmp_path / "t.yaml", TRANSFER.format(id="t", origin="CN", count=1).replace("    individuals: 1\n", "")
    )
    assert run("scan", ".", cwd=tmp_path).returncode == 0
    assert run("scan", ".", "--fail-on", "review", cwd=tmp_path).returncode == 3
    assert run("scan", ".", "--fail-on", "never", cwd=tmp_path).returncode == 0


def test_a_broken_file_is_an_error_with_its_line_and_the_rest_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a-good.yaml", TRANSFER.format(id="good", origin="CN", count=150_000))
    write(tmp_path / "b-broken.yaml", "id: x\norigin: CN\ndestination: US\ndata:\n  - category: [unclosed\n")
    write(
        tmp_path / "c-bad-field.yaml",
        TRANSFER.format(id="bad", origin="CN", count=5).replace("personal.contact", "personal.contcat"),
    )
    result = run("scan", ".", "-f", "json", cwd=tmp_path)
    assert result.returncode == 5  # input errors outrank the restrict verdict
    body = json.loads(result.stdout)
    files = {f["path"]: f for f in body["files"]}
    assert files["a-good.yaml"]["transfers"][0]["verdict"] == "restrict"
    broken = files["b-broken.yaml"]["error"]
    assert broken["place"]["file"] == "b-broken.yaml" and broken["place"]["line"] == 6
    bad = files["c-bad-field.yaml"]["error"]
    assert bad["place"]["line"] == 9 and bad["place"]["field"] == "data[0].category"
    assert "unknown category 'personal.contcat'" in bad["message"]
    assert files["c-bad-field.yaml"]["transfers"] == []  # nothing from it is decided
    text = run("scan", ".", "--no-colour", cwd=tmp_path).stdout.decode()
    assert "error: c-bad-field.yaml:9:5: data[0].category: unknown category 'personal.contcat'" in text


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = run(
        "scan", str(EXAMPLES), "--no-colour",
        "-f", "text", "-f", f"sarif:{out / 'scan.sarif'}", "-f", f"junit:{out / 'scan.xml'}",
        "-f", "github", "--output", str(out / "annotations.txt"),
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert "--fail-on restrict: FAIL (exit 4)" in result.stdout.decode()
    log = json.loads((out / "scan.sarif").read_text())
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    cases = [c for s in JUnitXml.fromfile(str(out / "scan.xml")) for c in s if not c.is_skipped]
    assert len(cases) == len(scan_examples(waivers=None).transfers()) == 24  # one a transfer
    commands, _ = parse_workflow_commands((out / "annotations.txt").read_text())
    assert any(c.name == "error" for c in commands)


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "yaml"],  # unknown format
        ["-f", "text", "-f", "json"],  # two formats to standard output
        ["-f", "json:x", "-f", "sarif:x"],  # two formats to one file
        ["-f", "text", "-f", "json", "-f", "github", "--output", "x"],  # still two to stdout
        ["-f", "json:y", "--output", "x"],  # --output names no format's file
        ["--baseline", "b.json", "--create-baseline", "c.json"],
        ["--fail-on", "sometimes"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run("scan", ".", *args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == b""


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    result = run("scan", "no-such-dir", "--no-colour", cwd=tmp_path)
    assert result.returncode == 5
    assert "error: no-such-dir: no such file or directory" in result.stdout.decode()


def test_bad_country_option_and_bad_catalogue(tmp_path: Path) -> None:
    result = run("scan", ".", "--origin", "XX", cwd=tmp_path)
    assert result.returncode == 5 and b"--origin" in result.stderr and result.stdout == b""
    policies = tmp_path / "policies"
    policies.mkdir()
    result = run("scan", ".", "--policies", str(policies), cwd=tmp_path)
    assert result.returncode == 6 and result.stdout == b""


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    for i in range(30):
        write(tmp_path / f"t{i:02}.yaml", TRANSFER.format(id=f"t{i}", origin="CN", count=10))
    quiet = run("scan", ".", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == b""
    forced = run("scan", ".", "--progress", cwd=tmp_path)
    assert b"scanning 30/30 files" in forced.stderr
    assert quiet.stdout == forced.stdout


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    for i in range(5):
        write(tmp_path / f"t{i}.yaml", TRANSFER.format(id=f"t{i}", origin="CN", count=10))
    out = tmp_path / "out.txt"
    code, seen = on_a_terminal([EXE, "scan", ".", "-f", f"text:{out}"], cwd=tmp_path)  # report to a file
    assert code == 0
    assert b"scanning 5/5 files" in seen
    assert "5 transfers" in out.read_text()


def test_a_thousand_manifests(tmp_path: Path) -> None:
    expected = {}
    for i in range(1000):
        count = (i * 997) % 200_000
        sub = tmp_path / f"team{i % 10}"
        # One exporter each: a scan counts one exporter's manifests together (issue 19).
        text = TRANSFER.format(id=f"flow-{i:04}", origin="CN", count=count)
        write(
            sub / f"flow-{i:04}.yaml",
            text.replace("exporter: {ciio: false}", f"exporter: {{id: x{i}, ciio: false}}"),
        )
        expected[f"team{i % 10}/flow-{i:04}.yaml"] = "restrict" if count >= 100_000 else "allow"
    started = time.monotonic()
    result = run("scan", ".", "-f", "json", cwd=tmp_path)
    elapsed = time.monotonic() - started
    body = json.loads(result.stdout)
    got = {f["path"]: f["transfers"][0]["verdict"] for f in body["files"]}
    assert got == expected  # every manifest reported, each with its own verdict
    assert body["summary"]["transfers"] == 1000
    assert result.returncode == 4
    assert elapsed < 60, elapsed


def test_schema_command_validates_the_examples(tmp_path: Path) -> None:
    out = tmp_path / "transfer.schema.json"
    assert run("schema", "transfer", "-o", str(out)).returncode == 0
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = [*sorted((ROOT / "examples").glob("*.yaml")), EXAMPLES / "transfers" / "vendor-flows.yaml"]
    for path in files:
        value = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        assert not list(validator.iter_errors(value)), path
    typo = yaml.safe_load((ROOT / "examples" / "us-cn-genomic-101.yaml").read_text())
    typo["data"][0]["category"] = "personal.omic.genomc"
    assert list(validator.iter_errors(json.loads(json.dumps(typo, default=str))))
    typo["data"][0]["category"] = "personal.omic.genomic"
    typo["colour"] = "blue"
    assert list(validator.iter_errors(json.loads(json.dumps(typo, default=str))))


@pytest.mark.parametrize(
    ("kind", "files"),
    [
        ("catalogue", ["policies/cn.yaml", "policies/us.yaml"]),
        ("sidecar", [p.relative_to(ROOT).as_posix() for p in sorted(EXAMPLES.rglob("*.dataflow.yaml"))]),
        ("waivers", ["examples/scan/waivers.yaml"]),
    ],
)
def test_schema_command_other_kinds(kind: str, files: list[str]) -> None:
    result = run("schema", kind)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert files
    for name in files:
        value = json.loads(json.dumps(yaml.safe_load((ROOT / name).read_text()), default=str))
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
        assert not errors, (name, [e.message for e in errors[:3]])


def test_pre_commit_hook_manifest_and_entry(tmp_path: Path) -> None:
    """pre-commit's own loader accepts the manifest, and the hook's entry, run the way
    pre-commit runs it (entry + args + changed files), fails on a restricted flow."""
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    hook = hooks["dataflow-rules-scan"]
    assert hook["language"] == "python" and hook["files"] == r"(?i)\.(ya?ml|json|ndjson|jsonl)$"
    restricted = write(tmp_path / "flows" / "big.yaml", TRANSFER.format(id="big", origin="CN", count=500_000))
    harmless = write(tmp_path / "ci.yaml", "stages: [test]\n")
    entry = shlex.split(hook["entry"])
    assert entry[0] == "dataflow-rules"
    command = [EXE, *entry[1:], *hook["args"]]
    failing = subprocess.run(
        [*command, str(restricted), str(harmless)], cwd=tmp_path, capture_output=True, check=False
    )
    assert failing.returncode == 4 and b"FAILS" in failing.stdout
    passing = subprocess.run([*command, str(harmless)], cwd=tmp_path, capture_output=True, check=False)
    assert passing.returncode == 0, passing.stdout
    whole = hooks["dataflow-rules-scan-all"]
    assert whole["pass_filenames"] is False
    assert (
        subprocess.run(
            [EXE, *shlex.split(whole["entry"])[1:]], cwd=tmp_path, capture_output=True, check=False
        ).returncode
        == 4
    )
