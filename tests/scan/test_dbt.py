"""dbt projects: model properties (schema.yml) and target/manifest.json (issue 15, item 5).

The shipped example project states the same two models both ways; both must be recognised
and decided alike, each finding at its line. The manifest is checked with
dbt-artifacts-parser's pydantic model of dbt's manifest v12 schema.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from dataflow_rules.models.scan import FileResult, ScanResult
from dataflow_rules.scan import dbt
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES, PINNED_POLICIES

PROJECT = EXAMPLES / "dbt"
SCHEMA = PROJECT / "models" / "schema.yml"
MANIFEST = PROJECT / "target" / "manifest.json"


def _scan(*paths: Path, cwd: Path = PROJECT, defaults: Defaults | None = None) -> ScanResult:
    return scan(
        ScanOptions(
            paths=list(paths),
            cwd=cwd,
            as_of=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
            policies=PINNED_POLICIES,
            defaults=defaults or Defaults(),
        )
    )


def _one(result: ScanResult, name: str) -> FileResult:
    (found,) = [f for f in result.files if f.path.endswith(name)]
    return found


def _line(path: Path, number: int | None) -> str:
    assert number is not None
    return path.read_text().splitlines()[number - 1].strip()


def test_the_manifest_is_a_valid_dbt_manifest_v12() -> None:
    from dbt_artifacts_parser.parser import parse_manifest
    from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12

    parsed = parse_manifest(json.loads(MANIFEST.read_text()))
    assert isinstance(parsed, ManifestV12)
    assert sorted(parsed.nodes) == [
        "model.shop_analytics.customers",
        "model.shop_analytics.daily_sales_by_region",
    ]


def test_the_manifest_check_can_fail() -> None:
    from dbt_artifacts_parser.parsers.manifest.manifest_v12 import ManifestV12
    from pydantic import ValidationError

    broken = json.loads(MANIFEST.read_text())
    del broken["nodes"]["model.shop_analytics.customers"]["checksum"]
    with pytest.raises(ValidationError):
        ManifestV12.model_validate(broken)


def test_schema_yml_models_are_decided_with_lines() -> None:
    f = _one(_scan(PROJECT), "models/schema.yml")
    assert (f.status, f.kind) == ("recognised", "dbt")
    customers, sales = f.transfers
    assert (customers.id, customers.source, customers.name) == ("customers:CN-US", "dbt_model", "customers")
    assert _line(SCHEMA, customers.place.line) == "- name: customers"
    assert customers.categories == ["personal.identifiers", "personal.contact"]
    (finding,) = customers.findings
    assert finding.rule_id == "cn.pi.general.contract" and customers.verdict.value == "restrict"
    assert _line(SCHEMA, finding.place.line) == "category: personal.identifiers"
    assert [_line(SCHEMA, p.line) for p in finding.related] == [
        'tags: ["dataflow:personal.contact"]',
        "tags: [user.contact.address]",
    ]
    # Every column says it holds no personal data: nothing to find, never a no-data review.
    assert (sales.verdict.value, sales.findings) == ("allow", [])


def test_the_manifest_decides_as_the_properties_do() -> None:
    result = _scan(PROJECT)
    a = _one(result, "models/schema.yml").transfers
    b = _one(result, "target/manifest.json").transfers
    assert [(t.verdict, t.categories, [x.rule_id for x in t.findings]) for t in a] == [
        (t.verdict, t.categories, [x.rule_id for x in t.findings]) for t in b
    ]
    (finding,) = b[0].findings
    assert _line(MANIFEST, finding.place.line).startswith('"category": "personal.identifiers"')


def _write(tmp_path: Path, models: list[dict[str, object]]) -> Path:
    path = tmp_path / "models" / "schema.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"version": 2, "models": models}, sort_keys=False))
    return path


def test_contains_pii_true_is_personal_data_never_an_allow(tmp_path: Path) -> None:
    _write(tmp_path, [{"name": "m", "columns": [{"name": "c", "meta": {"contains_pii": True}}]}])
    (t,) = _one(_scan(tmp_path, cwd=tmp_path, defaults=Defaults("US", ("CN",))), "schema.yml").transfers
    assert t.categories == ["personal"] and t.verdict.value != "allow"


def test_an_unlabelled_column_is_a_review(tmp_path: Path) -> None:
    _write(tmp_path, [{"name": "m", "columns": [{"name": "c"}]}])
    (t,) = _one(_scan(tmp_path, cwd=tmp_path, defaults=Defaults("CN", ("US",))), "schema.yml").transfers
    assert [x.rule_id for x in t.findings] == ["no-data-categories"] and t.verdict.value == "review"


def test_an_unknown_category_is_an_input_error_at_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {
                "name": "m",
                "columns": [{"name": "c", "meta": {"dataflow_rules": {"category": "personal.contcat"}}}],
            }
        ],
    )
    f = _one(_scan(tmp_path, cwd=tmp_path, defaults=Defaults("CN", ("US",))), "schema.yml")
    assert f.status == "error" and f.error is not None
    assert "did you mean 'personal.contact'" in f.error.message
    assert _line(path, f.error.place.line) == "category: personal.contcat"


def test_a_model_without_countries_says_how_to_give_them(tmp_path: Path) -> None:
    _write(tmp_path, [{"name": "m", "columns": [{"name": "c", "tags": ["pii"]}]}])
    f = _one(_scan(tmp_path, cwd=tmp_path), "schema.yml")
    assert f.status == "recognised" and f.transfers == []
    assert f.reason is not None and "model m" in f.reason and "--origin" in f.reason


@pytest.mark.parametrize(
    "value",
    [
        {"version": "2", "services": {"web": {"image": "nginx"}}},  # docker compose v2
        {"version": 2, "models": [], "services": {}},
        {
            "nodes": {},
            "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json"},
        },
    ],
)
def test_other_files_are_not_dbt(value: object) -> None:
    assert not dbt.is_dbt(value)
