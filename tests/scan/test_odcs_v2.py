"""ODCS v2 data contracts: tables (``dataset:``) and columns read as v3 objects and properties.

In ODCS v2.2.x a contract lists tables under ``dataset`` (``table:``) with ``columns``
(``column:``); a column's ``classification`` (a string) and ``tags`` (a list) are the only
places it says what data it holds (v2 has no PII flag). The adapter must read them exactly
as a v3 property's, locate every finding at its line, and take the contract's identity
from ``uuid`` (v2's required identifier).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dataflow_rules.models.scan import FileResult, ScanResult, TransferResult
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES, scan_examples

V2_EXAMPLE = EXAMPLES / "odcs" / "payment-disputes.odcs.yaml"
V2_SCHEMA = Path(__file__).parent / "schemas" / "odcs-json-schema-v2.2.2.json"
UPSTREAM_V2 = Path(__file__).parent / "upstream" / "odcs-v2.2.2"


def _scan(root: Path, defaults: Defaults | None = None) -> ScanResult:
    return scan(
        ScanOptions(
            paths=[root],
            cwd=root,
            as_of=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
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


def _v2_validator() -> jsonschema.Draft201909Validator:
    schema = json.loads(V2_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def _errors(value: object) -> list[str]:
    """Schema errors of a contract as JSON sees it (YAML's unquoted dates are strings there)."""
    as_json = json.loads(json.dumps(value, default=str))
    return [f"{list(e.path)}: {e.message}" for e in _v2_validator().iter_errors(as_json)]


def test_the_vendored_v2_schema_is_the_official_one() -> None:
    """tests/scan/schemas/README.md says where it comes from; its bytes are pinned."""
    digest = hashlib.sha256(V2_SCHEMA.read_bytes()).hexdigest()
    assert digest == "a17f0d2ffa06deac2f3d1becd9828a0bb3e006a4bf9a189195dcef6786ad85d4"
    assert json.loads(V2_SCHEMA.read_text())["properties"]["apiVersion"]["default"] == "v2.2.2"
    assert "apiVersion" not in json.loads(V2_SCHEMA.read_text())["required"]


def test_the_v2_example_validates_against_the_official_v2_2_2_schema() -> None:
    value = yaml.safe_load(V2_EXAMPLE.read_text())
    assert value["kind"] == "DataContract" and value["apiVersion"] == "v2.2.2"
    assert _errors(value) == []


def test_the_v2_schema_check_can_fail() -> None:
    value = yaml.safe_load(V2_EXAMPLE.read_text())
    del value["uuid"]
    value["dataset"][0]["columns"][0]["isPrimaryKey"] = "yes"
    assert len(_errors(value)) == 2


OFFICIAL = sorted(UPSTREAM_V2.glob("*.odcs.yaml"))


def test_all_eleven_official_v2_2_2_examples_are_there() -> None:
    assert len(OFFICIAL) == 11
    without = [p.name for p in OFFICIAL if "apiVersion" not in yaml.safe_load(p.read_text())]
    assert len(without) == 10  # nine kind: DataContract, one older kind: managedDataset


@pytest.mark.parametrize("path", OFFICIAL, ids=[p.name for p in OFFICIAL])
def test_the_official_v2_2_2_examples_are_recognised_and_decided(path: Path) -> None:
    """Countries from the command line, as for any contract that states none."""
    f = _one(_scan(path.parent, Defaults("CN", ("US",))), path.name)
    assert (f.status, f.kind, f.error) == ("recognised", "odcs", None)
    (t,) = f.transfers
    assert (t.origin, t.destination, t.source) == ("CN", "US", "odcs_contract")
    # They label no data with a category we map: never an allow, a review saying so
    # (full-example's `classification: restricted` is sensitive without saying what).
    assert t.verdict.value == "review"
    assert {x.rule_id for x in t.findings} <= {"no-data-categories", "unmapped-label"} and t.findings


@pytest.mark.parametrize(
    "path", [p for p in OFFICIAL if "managedDataset" not in p.read_text()], ids=lambda p: p.name
)
def test_the_official_data_contract_examples_validate_against_the_v2_2_2_schema(path: Path) -> None:
    assert _errors(yaml.safe_load(path.read_text())) == []


def test_a_contract_without_apiversion_or_v2_dataset_says_apiversion_is_missing(tmp_path: Path) -> None:
    (tmp_path / "c.odcs.yaml").write_text(
        V3.format(classification="PII", tags="").replace("apiVersion: v3.0.2\n", "")
    )
    f = _one(_scan(tmp_path), "c.odcs.yaml")
    assert f.status == "skipped" and f.reason is not None and "without apiVersion" in f.reason


def test_a_v2_contract_without_apiversion_decides_as_with_it(tmp_path: Path) -> None:
    for name, text in (("with", V2.format(version="v2.2.2", classification="PII", tags="")),):
        (tmp_path / name).mkdir()
        (tmp_path / name / "c.odcs.yaml").write_text(text)
        (tmp_path / "without").mkdir()
        (tmp_path / "without" / "c.odcs.yaml").write_text(text.replace("apiVersion: v2.2.2\n", ""))
    (a,) = _one(_scan(tmp_path / "with"), "c.odcs.yaml").transfers
    (b,) = _one(_scan(tmp_path / "without"), "c.odcs.yaml").transfers
    assert _seen(a) == _seen(b) and a.categories == ["personal"]


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
