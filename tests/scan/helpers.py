"""Shared pieces of the scan tests: paths, a fixed-date scan of the examples, the CLI."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from dataflow_rules.models.scan import ScanResult
from dataflow_rules.scan.runner import ScanOptions, scan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scan"
GOLDEN = Path(__file__).parent / "golden"
SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json"
PINNED_POLICIES = Path(__file__).parent / "policies"
EXE = shutil.which("dataflow-rules") or str(Path(sys.executable).parent / "dataflow-rules")
AS_OF = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 3, 10)

# A CloudFormation template: valid YAML for its own tool (custom tags), no manifest.
CLOUDFORMATION = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RawEvents:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-raw-events"
      Arn: !GetAtt [RawEvents, Arn]
"""


EXAMPLE_OPTIONS = ScanOptions(
    paths=[EXAMPLES],
    waivers=EXAMPLES / "waivers.yaml",
    as_of=AS_OF,
    decided_on=AS_OF,
    today=TODAY,
    cwd=ROOT,
    policies=PINNED_POLICIES,
)
"""The shipped scan examples, with the shipped waiver file, on fixed dates, against the
pinned policy snapshot (tests/scan/policies)."""


def scan_examples(**changes: object) -> ScanResult:
    """A scan with :data:`EXAMPLE_OPTIONS`, ``changes`` laid over them."""
    return scan(replace(EXAMPLE_OPTIONS, **changes))  # type: ignore[arg-type]


def scan_file(path: Path, cwd: Path) -> ScanResult:
    """A scan of one file (or directory) on the fixed as-of day against the pinned policies."""
    return scan(ScanOptions(paths=[path], cwd=cwd, as_of=AS_OF, decided_on=AS_OF, policies=PINNED_POLICIES))


def run(*args: str, cwd: Path = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, cwd=cwd, timeout=120, check=False)


@dataclass(frozen=True)
class Command:
    """One GitHub Actions workflow command, as the runner reads it."""

    name: str
    properties: dict[str, str]
    message: str


_COMMAND = re.compile(r"^::(?P<name>[A-Za-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_workflow_commands(text: str) -> tuple[list[Command], list[str]]:
    """Split output into workflow commands and plain log lines, strictly.

    Follows the runner's rules (actions/runner ActionCommand): ``::name k=v,k=v::message``;
    properties split on ``,`` then on the first ``=``; a raw ``:`` or ``,`` cannot occur in
    a property value, CR/LF never occur raw, and ``%`` only in the escapes.
    """
    commands, plain = [], []
    for line in text.split("\n")[:-1]:
        if not line.startswith("::"):
            plain.append(line)
            continue
        m = _COMMAND.match(line)
        assert m, f"malformed workflow command: {line!r}"
        props: dict[str, str] = {}
        for pair in (m["props"] or "").split(","):
            key, sep, value = pair.partition("=")
            assert sep and key, f"malformed property {pair!r} in {line!r}"
            assert re.fullmatch(r"(?:[^%]|%25|%0D|%0A|%3A|%2C)*", value), f"bad escape in {value!r}"
            props[key] = _unescape_property(value)
        assert re.fullmatch(r"(?:[^%\r]|%25|%0D|%0A)*", m["message"]), f"bad escape in {line!r}"
        commands.append(Command(m["name"], props, _unescape_data(m["message"])))
    return commands, plain
