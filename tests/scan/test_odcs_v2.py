"""ODCS v2 data contracts: tables (``dataset:``) and columns read as v3 objects and properties.

In ODCS v2.2.x a contract lists tables under ``dataset`` (``table:``) with ``columns``
(``column:``); a column's ``classification`` (a string) and ``tags`` (a list) are the only
places it says what data it holds (v2 has no PII flag). The adapter must read them exactly
as a v3 property's, locate every finding at its line, and take the contract's identity
from ``uuid`` (v2's required identifier).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.result import FileResult, ScanResult, TransferResult
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES, scan_examples

V2_EXAMPLE = EXAMPLES / "odcs" / "payment-disputes.odcs.yaml"


def _scan(root: Path, defaults: Defaults | None = None) -> ScanResult:
    return scan(
        ScanOptions(
            paths=[root],
            cwd=root,
            as_of=dt.date(2026, 3, 2),
            defaults=defaults or Defaults(),
            gitignore=False,
        )
    )


def _one(result: ScanResult, name: str) -> FileResult:
    (found,) = [f for f in result.files if f.path.endswith(name)]
    return found


def _line(path: Path, number: int | None) -> str:
    assert number is not None
    return path.read_text().splitlines()[number - 1].strip()


def test_the_shipped_v2_example_is_decided_with_lines() -> None:
    f = _one(scan_examples(), "payment-disputes.odcs.yaml")
    assert f.status == "recognised" and f.kind == "odcs" and f.reason is None
    (t,) = f.transfers
    assert (t.id, t.source, t.name) == (
        "0b6f2c1e-8d4a-4f3e-9a57-2c81d6e0f4a3:CN-US",
        "odcs_contract",
        "payment-disputes",
    )
    assert (t.origin, t.destination) == ("CN", "US")
    assert _line(V2_EXAMPLE, t.place.line).startswith("uuid: 0b6f2c1e")
    assert t.categories == ["personal", "personal.contact", "personal.financial"]
    gaps = [x for x in t.findings if x.rule_id == "unmapped-label"]
    assert [_line(V2_EXAMPLE, x.place.line) for x in gaps] == [
        "classification: restricted",
        "classification: confidential",
        "classification: confidential",
        "classification: restricted",
    ]
    assert "dataset[0].columns[5]" in gaps[-1].message  # the free-text column, unlabelled but restricted
    # 42,000 people's card data (sidecar) is sensitive personal information under PIPL:
    # a CAC security assessment, found at the column that says it is card data.
    assert t.verdict.value == "restrict" and t.decision is not None
    (assessment,) = [x for x in t.findings if x.rule_id == "cn.pi.sensitive.assessment"]
    assert assessment.verdict.value == "restrict"
    assert _line(V2_EXAMPLE, assessment.place.line) == "tags: [pci]"
    for x in t.findings:
        if x.jurisdiction == "CN":
            assert _line(V2_EXAMPLE, x.place.line) in {"tags: [pii]", "tags: [email]", "tags: [pci]"}


LOGICAL_TYPES = {"string", "date", "number", "integer", "object", "array", "boolean"}


def test_the_v2_example_has_what_the_v2_2_2_standard_requires() -> None:
    """No official v2 JSON schema can be had here (docs/scan.md, ODCS): the required keys of
    the ODCS v2.2.2 standard's tables, checked by hand."""
    value = yaml.safe_load(V2_EXAMPLE.read_text())
    required = ("version", "kind", "uuid", "type", "status", "dataset", "datasetName", "quantumName", "roles")
    for key in required:
        assert key in value, key
    assert value["kind"] == "DataContract" and value["apiVersion"] == "v2.2.2"
    for table in value["dataset"]:
        assert isinstance(table["table"], str) and table["columns"]
        for column in table["columns"]:
            assert {"column", "logicalType", "physicalType"} <= set(column), column
            assert column["logicalType"] in LOGICAL_TYPES
            assert isinstance(column.get("isPrimaryKey", False), bool)  # boolean since v2.2.2
    for role in value["roles"]:
        assert {"role", "access"} <= set(role)


V3 = """\
apiVersion: v3.0.2
kind: DataContract
id: c1
schema:
  - name: t
    properties:
      - name: a
        classification: {classification}
        tags: [{tags}]
customProperties:
  - property: dataflowOrigin
    value: US
  - property: dataflowDestinations
    value: CHN
"""

V2 = """\
apiVersion: {version}
kind: DataContract
uuid: c1
version: 1.0.0
type: tables
status: production
datasetName: d
quantumName: q
dataset:
  - table: t
    columns:
      - column: a
        logicalType: string
        physicalType: varchar
        classification: {classification}
        tags: [{tags}]
customProperties:
  - property: dataflowOrigin
    value: US
  - property: dataflowDestinations
    value: CHN
"""

LABELS = [
    ("public", ""),
    ("PII", ""),
    ("internal", "user.contact.email"),
    ("internal", "user.provided.identifiable.genetic"),
    ("internal", "'dataflow:personal.omic.genomic'"),
    ("confidential", "team-a"),
    ("top-secret-ish", ""),
    ("internal", "finance"),
    ("restricted", "phi"),
]


def _seen(t: TransferResult) -> tuple[Any, ...]:
    """A decided transfer as a person sees it, lines aside (v2 and v3 lay files out apart)."""
    return (
        t.id,
        t.verdict.value,
        t.categories,
        [(x.rule_id, x.kind, x.verdict, x.categories, x.missing) for x in t.findings],
        t.decision.model_dump(mode="json") if t.decision is not None else None,
    )


@pytest.mark.parametrize(("classification", "tags"), LABELS)
def test_a_v2_column_reads_as_the_same_v3_property(tmp_path: Path, classification: str, tags: str) -> None:
    """The same labels on a v2 column and on a v3 property decide alike (lines aside)."""
    for name, text in (("v2", V2.replace("{version}", "v2.2.2")), ("v3", V3)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "c.odcs.yaml").write_text(text.format(classification=classification, tags=tags))
    (a,) = _one(_scan(tmp_path / "v2"), "c.odcs.yaml").transfers
    (b,) = _one(_scan(tmp_path / "v3"), "c.odcs.yaml").transfers
    assert _seen(a) == _seen(b)
    v2_text = (tmp_path / "v2" / "c.odcs.yaml").read_text().splitlines()
    for x in a.findings:
        if x.rule_id == "unmapped-label":
            assert x.place.line is not None and "classification:" in v2_text[x.place.line - 1]
            assert "dataset[0].columns[0]" in x.message


@pytest.mark.parametrize("version", ["v2.2.2", "v2.2.1", "v2.2.0", "v2.1.1", "2.2.2", "2.3.0"])
def test_every_v2_version_is_read(tmp_path: Path, version: str) -> None:
    (tmp_path / "c.odcs.yaml").write_text(V2.format(version=version, classification="PII", tags=""))
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "recognised" and [t.categories for t in f.transfers] == [["personal"]]


@pytest.mark.parametrize("version", ["v1.0.0", "v4.0.0", "latest"])
def test_versions_not_read_are_still_skipped_with_the_reason(tmp_path: Path, version: str) -> None:
    (tmp_path / "c.odcs.yaml").write_text(V2.format(version=version, classification="PII", tags=""))
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "skipped" and f.kind == "odcs" and f.transfers == []
    assert f.reason is not None and f.reason.startswith(f"ODCS {version}:")


def test_v2_identity_falls_back_to_its_names_and_is_required(tmp_path: Path) -> None:
    text = V2.format(version="v2.2.2", classification="PII", tags="")
    (tmp_path / "c.odcs.yaml").write_text(text.replace("uuid: c1\n", ""))
    (t,) = _one(_scan(tmp_path), "c.odcs.yaml").transfers
    assert t.id == "q:US-CN" and t.name == "q"
    assert _line(tmp_path / "c.odcs.yaml", t.place.line) == "quantumName: q"
    bare = text.replace("uuid: c1\n", "").replace("datasetName: d\n", "").replace("quantumName: q\n", "")
    (tmp_path / "c.odcs.yaml").write_text(bare)
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "error" and f.error is not None and f.transfers == []
    assert f.error.message == "required field 'uuid' is missing or not a string"


@pytest.mark.parametrize(
    ("old", "new", "message", "at"),
    [
        ("    columns:\n", "    columns: {}\n    x:\n", "columns must be a list", "columns: {}"),
        ("dataset:\n", "dataset: {}\nx:\n", "dataset must be a list of tables", "dataset: {}"),
        ("      - column: a\n", "      - 3\n      - column: a\n", "a column must be a mapping", "- 3"),
        ("  - table: t\n", "  - nope\n  - table: t\n", "a dataset table must be a mapping", "- nope"),
        ("        tags: [", "        tags: 7\n        x: [", "tags must be a list of strings", "tags: 7"),
    ],
)
def test_v2_errors_name_their_line(tmp_path: Path, old: str, new: str, message: str, at: str) -> None:
    text = V2.format(version="v2.2.2", classification="PII", tags="")
    assert old in text
    (tmp_path / "c.odcs.yaml").write_text(text.replace(old, new, 1))
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "error" and f.error is not None and f.transfers == [], f
    assert f.error.message == message
    assert at in _line(tmp_path / "c.odcs.yaml", f.error.place.line)


def test_nested_v2_columns_and_table_labels_are_read(tmp_path: Path) -> None:
    """Nested columns (drafted after v2.2.2) are read, so their labels are never missed."""
    text = """\
apiVersion: v2.2.2
kind: DataContract
uuid: n1
dataset:
  - table: customers
    tags: [contact]
    columns:
      - column: address
        logicalType: object
        physicalType: struct
        columns:
          - column: gps
            logicalType: string
            physicalType: varchar
            tags: [precise-location]
"""
    (tmp_path / "n.odcs.yaml").write_text(text)
    (t,) = _one(_scan(tmp_path, Defaults("US", ("CN",))), "n.odcs.yaml").transfers
    assert t.categories == ["personal.contact", "personal.location.precise"]


def test_v2_and_v3_contracts_in_one_file(tmp_path: Path) -> None:
    v2 = V2.format(version="v2.2.2", classification="phi", tags="").replace("uuid: c1", "uuid: old")
    v3 = V3.format(classification="pci", tags="").replace("id: c1", "id: new")
    (tmp_path / "both.odcs.yaml").write_text(v2 + "---\n" + v3)
    f = _one(_scan(tmp_path), "both.odcs.yaml")
    assert [(t.id, t.categories) for t in f.transfers] == [
        ("old:US-CN", ["personal.health"]),
        ("new:US-CN", ["personal.financial"]),
    ]


def test_a_v2_contract_without_countries_says_how_to_give_them(tmp_path: Path) -> None:
    text = V2.format(version="v2.2.2", classification="PII", tags="").split("customProperties:")[0]
    (tmp_path / "c.odcs.yaml").write_text(text)
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "recognised" and f.transfers == []
    assert f.reason is not None and "no transfer for contract c1" in f.reason
    (t,) = _one(_scan(tmp_path, Defaults("SG", ("JP",))), "c.odcs.yaml").transfers
    assert (t.origin, t.destination) == ("SG", "JP")
