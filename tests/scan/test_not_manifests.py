"""YAML written for other tools is not scanned, while a broken manifest is still an error.

scan (and the pre-commit hook, which hands it every changed YAML file) meets CloudFormation
templates, Helm charts and files with duplicate keys. The strict reader refuses those
constructs; scan must then report the file as not scanned, unless it could be a manifest,
in which case the strict error stands so a broken manifest never passes quietly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import CLOUDFORMATION, PINNED_POLICIES, scan_file

HELM = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-exporter
spec:
  replicas: {{ .Values.replicas }}
"""
HELM_CONTROL = """\
{{- if .Values.enabled }}
apiVersion: v1
kind: ConfigMap
data:
  key: value
{{- end }}
"""
DUPLICATE_KEYS = "name: a\nname: b\n"
MANIFEST = """\
id: crm-export
origin: CN
destination: US
date: 2026-03-02
exporter: {ciio: false}
purpose: business_operations
data:
  - category: personal.contact
    individuals: 150000
    anonymised: false
"""


def _scan(tmp_path: Path, name: str, text: str) -> tuple[str, str | None, str | None]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    result = scan_file(path, tmp_path)
    (file,) = result.files
    message = file.error.message if file.error else None
    return file.status, file.reason, message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (CLOUDFORMATION, "YAML tag !Sub"),
        (HELM, "mapping keys must be plain strings"),
        (HELM_CONTROL, ""),
        (DUPLICATE_KEYS, "duplicate key"),
        ('{"name": "a", "name": "b"}', "duplicate key"),
    ],
)
def test_yaml_for_other_tools_is_not_scanned_and_says_why(tmp_path: Path, text: str, why: str) -> None:
    status, reason, error = _scan(tmp_path, "infra/template.yaml", text)
    assert (status, error) == ("skipped", None)
    assert reason is not None and reason.startswith(
        "not a transfer manifest, Fides manifest or ODCS contract"
    )
    assert why in reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A transfer manifest with a tag, a duplicate key, or broken syntax.
        (MANIFEST.replace("origin: CN", "origin: !country CN"), "YAML tag !country"),
        (MANIFEST + "destination: DE\n", "duplicate key"),
        (MANIFEST.replace("data:\n", "data: [\n"), ""),
        # A list of transfers, a Fides dataset and an ODCS contract with a tag in them.
        ("- " + MANIFEST.replace("\n", "\n  ").replace("id: crm", "id: !x crm"), "YAML tag !x"),
        ("dataset:\n  - fides_key: !k crm\n    collections: []\n", "YAML tag !k"),
        ("apiVersion: v3.0.2\nkind: DataContract\nid: !x c\n", "YAML tag !x"),
        # A transfer that exists only through a merge key or an alias.
        ("t: &t\n" + MANIFEST.replace("\n", "\n  ").replace("id: crm", "  id: crm") + "\n<<: *t\n", "merge"),
        (
            "base: &d\n  - category: personal.contact\n    individuals: 150000\norigin: CN\n"
            "destination: US\ndata: *d\n",
            "alias",
        ),
        # Not even YAML, but it has a manifest's top-level keys.
        ("origin: CN\ndestination: US\ndata: [\n", ""),
        ("kind: DataContract\napiVersion: [v3\n", ""),
    ],
)
def test_a_broken_manifest_stays_an_error(tmp_path: Path, text: str, message: str) -> None:
    status, _, error = _scan(tmp_path, "flows/crm.yaml", text)
    assert status == "error"
    assert error is not None and message in error


def test_a_file_too_deep_to_look_at_stays_an_error(tmp_path: Path) -> None:
    """Nested past the strict reader's limit and past what the lenient look can walk: the
    scan cannot tell what it is, so it does not skip it."""
    status, _, error = _scan(tmp_path, "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert status == "error"
    assert error is not None and "nesting depth" in error


def test_the_scan_still_fails_on_the_manifest_beside_a_template(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "stack.yaml").write_text(CLOUDFORMATION)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "crm.yaml").write_text(MANIFEST)
    result = scan(
        ScanOptions(
            paths=[tmp_path],
            cwd=tmp_path,
            as_of=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
            policies=PINNED_POLICIES,
        )
    )
    by_path = {f.path: f for f in result.files}
    assert by_path["infra/stack.yaml"].status == "skipped"
    assert by_path["flows/crm.yaml"].status == "recognised"
    assert not result.errors
    assert [t.verdict.value for f in result.files for t in f.transfers] == ["restrict"]
