"""Terraform plan JSON (issue 15, item 5): replication between regions in different countries.

The example plan replicates a US bucket of cardholder statements to Hong Kong and a
DynamoDB table inside the US; only the first is a transfer. Regions map to countries by the
versioned table dataflow_rules/scan/regions.yaml, and a region it does not list is an error,
never a guess. No Python library reads plan JSON, so the example is checked against the
plan format's documented top-level shape by hand.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pycountry
import pytest

from dataflow_rules.models.scan import FileResult, ScanResult
from dataflow_rules.scan.runner import ScanOptions, scan
from dataflow_rules.scan.terraform import is_plan, region_table

from .helpers import EXAMPLES, PINNED_POLICIES

PLAN = EXAMPLES / "terraform" / "statements-replication.tfplan.json"


def _scan(path: Path, cwd: Path) -> ScanResult:
    return scan(
        ScanOptions(
            paths=[path],
            cwd=cwd,
            as_of=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
            policies=PINNED_POLICIES,
        )
    )


def _one(result: ScanResult, name: str) -> FileResult:
    (found,) = [f for f in result.files if f.path.endswith(name)]
    return found


def _copy(tmp_path: Path, plan: dict[str, Any]) -> Path:
    path = tmp_path / PLAN.name
    path.write_text(json.dumps(plan, indent=2))
    (tmp_path / "statements-replication.tfplan.dataflow.yaml").write_text(
        (PLAN.parent / "statements-replication.tfplan.dataflow.yaml").read_text()
    )
    return path


def test_the_example_has_the_plan_formats_shape() -> None:
    plan = json.loads(PLAN.read_text())
    assert is_plan(plan) and plan["format_version"].startswith("1.")
    addresses = {r["address"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert addresses == {r["address"] for r in plan["configuration"]["root_module"]["resources"]}
    assert addresses == {c["address"] for c in plan["resource_changes"]}


def test_cross_country_replication_is_a_transfer_with_the_tags_data() -> None:
    f = _one(_scan(PLAN, PLAN.parent), PLAN.name)
    assert (f.status, f.kind) == ("recognised", "terraform")
    (t,) = f.transfers  # the DynamoDB replica stays in the US: no transfer
    assert (t.id, t.origin, t.destination) == (
        "aws_s3_bucket_replication_configuration.statements:US-HK",
        "US",
        "HK",
    )
    assert t.source == "terraform_replication" and t.categories == ["personal.financial"]
    assert t.verdict.value == "restrict"
    lines = PLAN.read_text().splitlines()
    (restrict,) = [x for x in t.findings if x.verdict.value == "restrict"]
    assert (
        restrict.place.line is not None
        and '"dataflow": "personal.financial"' in lines[restrict.place.line - 1]
    )


def test_a_dynamodb_replica_abroad_is_a_transfer(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text())
    table = next(
        r for r in plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_dynamodb_table"
    )
    table["values"]["replica"] = [{"region_name": "us-west-2"}, {"region_name": "eu-central-1"}]
    f = _one(_scan(_copy(tmp_path, plan), tmp_path), PLAN.name)
    ids = [t.id for t in f.transfers]
    assert "aws_dynamodb_table.sessions:US-DE" in ids and not any(i.endswith("US-US") for i in ids)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown-region", "region 'xx-nowhere-1' is not in the region table"),
        ("computed-region", "is not a constant in the plan"),
    ],
)
def test_regions_the_tool_cannot_place_are_errors(tmp_path: Path, change: str, message: str) -> None:
    plan = copy.deepcopy(json.loads(PLAN.read_text()))
    hk = plan["configuration"]["provider_config"]["aws.hk"]["expressions"]
    if change == "unknown-region":
        hk["region"] = {"constant_value": "xx-nowhere-1"}
    else:
        hk["region"] = {"references": ["var.replica_region"]}
    f = _one(_scan(_copy(tmp_path, plan), tmp_path), PLAN.name)
    assert f.status == "error" and f.error is not None and message in f.error.message
    assert f.error.place.line is not None


def test_the_region_table_is_versioned_and_names_real_countries() -> None:
    table = region_table()
    assert table["version"] and table["aws"]
    for region, code in table["aws"].items():
        assert pycountry.countries.get(alpha_2=code) is not None, region
    assert table["aws"]["cn-north-1"] == table["aws"]["cn-northwest-1"] == "CN"
    assert table["aws"]["ap-east-1"] == "HK"
