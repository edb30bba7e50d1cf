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


GCP = EXAMPLES / "terraform" / "order-events-export.gcp.tfplan.json"
AZURE = EXAMPLES / "terraform" / "crm-documents.azure.tfplan.json"
CN_CLOUDS = EXAMPLES / "terraform" / "member-data-dr.cn-clouds.tfplan.json"


@pytest.fixture(scope="module")
def clouds() -> ScanResult:
    return _scan(EXAMPLES / "terraform", EXAMPLES / "terraform")


def _flows(f: FileResult) -> dict[str, tuple[str, str, list[str]]]:
    return {t.id: (t.origin, t.destination, t.categories) for t in f.transfers}


@pytest.mark.parametrize("path", [GCP, AZURE, CN_CLOUDS], ids=lambda p: p.name)
def test_each_cloud_example_has_the_plan_formats_shape(path: Path) -> None:
    plan = json.loads(path.read_text())
    assert is_plan(plan) and plan["format_version"].startswith("1.")
    addresses = {r["address"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert addresses == {r["address"] for r in plan["configuration"]["root_module"]["resources"]}
    assert addresses == {c["address"] for c in plan["resource_changes"]}
    for r in plan["configuration"]["root_module"]["resources"]:
        assert r["provider_config_key"] in plan["configuration"]["provider_config"]


def test_gcp_a_transfer_job_abroad_is_a_transfer_and_a_replica_at_home_is_not(clouds: ScanResult) -> None:
    f = _one(clouds, GCP.name)
    assert f.status == "recognised", f.error
    # europe-west3 (Frankfurt) -> us-central1 (Iowa); the Cloud SQL replica in europe-west10
    # (Berlin) stays in Germany.
    assert _flows(f) == {"google_storage_transfer_job.nightly_export:DE-US": ("DE", "US", ["personal"])}


def test_azure_object_replication_geo_redundancy_and_cosmos_regions(clouds: ScanResult) -> None:
    f = _one(clouds, AZURE.name)
    assert f.status == "recognised", f.error
    assert _flows(f) == {
        # GRS copies West Europe (Netherlands) to its pair, North Europe (Ireland).
        "azurerm_storage_account.crm_documents:NL-IE": ("NL", "IE", ["personal.contact"]),
        "azurerm_storage_object_replication.documents_to_archive:NL-US": ("NL", "US", ["personal.contact"]),
        # failover priority 0 is where Cosmos DB writes; the UK South region reads a copy.
        "azurerm_cosmosdb_account.sessions:NL-GB": ("NL", "GB", ["personal"]),
    }


def test_the_chinese_clouds_copies_to_hong_kong_and_singapore(clouds: ScanResult) -> None:
    f = _one(clouds, CN_CLOUDS.name)
    assert f.status == "recognised", f.error
    assert _flows(f) == {
        "alicloud_oss_bucket_replication.member_profiles:CN-HK": ("CN", "HK", ["personal.contact"]),
        "tencentcloud_cos_bucket.order_exports:CN-SG": ("CN", "SG", ["personal.financial"]),
        "huaweicloud_obs_bucket_replication.device_logs:CN-HK": ("CN", "HK", ["personal.location.precise"]),
    }
    verdicts = {t.id.split(":")[0]: t.verdict.value for t in f.transfers}
    # Precise location is sensitive personal information (PIPL Art 28): 80,000 people need
    # the CAC assessment.
    assert verdicts["huaweicloud_obs_bucket_replication.device_logs"] == "restrict"


def _edited(tmp_path: Path, source: Path, edit: Any) -> Path:
    plan = json.loads(source.read_text())
    edit(plan)
    path = tmp_path / source.name
    path.write_text(json.dumps(plan, indent=2))
    return path


def _resource(plan: dict[str, Any], address: str, part: str = "planned") -> dict[str, Any]:
    if part == "planned":
        found = plan["planned_values"]["root_module"]["resources"]
    else:
        found = plan["configuration"]["root_module"]["resources"]
    return next(r for r in found if r["address"] == address)


def _gcp_multi_region(plan: dict[str, Any]) -> None:
    _resource(plan, "google_storage_bucket.analytics_landing")["values"]["location"] = "US"


def _azure_display_name(plan: dict[str, Any]) -> None:
    _resource(plan, "azurerm_storage_account.archive")["values"]["location"] = "South Africa North"


def _azure_no_pair(plan: dict[str, Any]) -> None:
    _resource(plan, "azurerm_storage_account.crm_documents")["values"]["location"] = "polandcentral"


def _tencent_bad_arn(plan: dict[str, Any]) -> None:
    rules = _resource(plan, "tencentcloud_cos_bucket.order_exports")["values"]["replica_rules"]
    rules[0]["destination_bucket"] = "order-exports-sg-1250000000"


def _huawei_foreign_bucket(plan: dict[str, Any]) -> None:
    expr = _resource(plan, "huaweicloud_obs_bucket_replication.device_logs", "config")["expressions"]
    expr["destination_bucket"] = {"constant_value": "someone-elses-bucket"}


def _dynamodb_replica_unnamed(plan: dict[str, Any]) -> None:
    _resource(plan, "aws_dynamodb_table.sessions")["values"]["replica"][0] = {"kms_key_arn": None}


def _cosmosdb_location_not_a_mapping(plan: dict[str, Any]) -> None:
    _resource(plan, "azurerm_cosmosdb_account.sessions")["values"]["geo_location"][1] = "uksouth"


def _gcp_foreign_sink(plan: dict[str, Any]) -> None:
    expr = _resource(plan, "google_storage_transfer_job.nightly_export", "config")["expressions"]
    expr["transfer_spec"][0]["gcs_data_sink"][0]["bucket_name"] = {"constant_value": "elsewhere"}


def _gcp_sql_foreign_primary(plan: dict[str, Any]) -> None:
    expr = _resource(plan, "google_sql_database_instance.orders_replica", "config")["expressions"]
    expr["master_instance_name"] = {"constant_value": "someone-elses-db"}


def _azure_foreign_destination(plan: dict[str, Any]) -> None:
    expr = _resource(plan, "azurerm_storage_object_replication.documents_to_archive", "config")["expressions"]
    expr["destination_storage_account_id"] = {"constant_value": "/subscriptions/x/elsewhere"}


def _alibaba_unlisted(plan: dict[str, Any]) -> None:
    dest = _resource(plan, "alicloud_oss_bucket_replication.member_profiles")["values"]["destination"][0]
    dest["location"] = "oss-xx-nowhere-9"


@pytest.mark.parametrize(
    ("source", "edit", "message"),
    [
        (GCP, _gcp_foreign_sink, "its sink bucket is not a google_storage_bucket of this plan"),
        (GCP, _gcp_sql_foreign_primary, "its master_instance_name is not a google_sql_database_instance"),
        (AZURE, _azure_foreign_destination, "its destination account is not a azurerm_storage_account"),
        (GCP, _gcp_multi_region, "GCP region 'US' is not in the region table"),
        (AZURE, _azure_no_pair, "lists no pair for 'polandcentral'"),
        (CN_CLOUDS, _tencent_bad_arn, "is not 'qcs::cos:<region>::<bucket>'"),
        (
            CN_CLOUDS,
            _huawei_foreign_bucket,
            "its destination_bucket is not a huaweicloud_obs_bucket of this plan",
        ),
        (CN_CLOUDS, _alibaba_unlisted, "Alibaba Cloud region 'xx-nowhere-9' is not in the region table"),
        (PLAN, _dynamodb_replica_unnamed, "aws_dynamodb_table.sessions: a replica has no region_name"),
        (
            AZURE,
            _cosmosdb_location_not_a_mapping,
            "azurerm_cosmosdb_account.sessions: a geo_location has no location",
        ),
    ],
    ids=[
        "gcp-foreign-sink",
        "gcp-sql-foreign-primary",
        "azure-foreign-destination",
        "gcp-multi-region",
        "azure-no-pair",
        "tencent-arn",
        "huawei-foreign-bucket",
        "alibaba-unlisted",
        "dynamodb-replica",
        "cosmosdb-location",
    ],
)
def test_what_the_tool_cannot_place_is_an_error_at_its_line(
    tmp_path: Path, source: Path, edit: Any, message: str
) -> None:
    f = _one(_scan(_edited(tmp_path, source, edit), tmp_path), source.name)
    assert f.status == "error" and f.error is not None and message in f.error.message, f.error
    assert f.error.place.line is not None and f.error.place.line > 1


def test_azure_display_names_are_read_as_programmatic_names(tmp_path: Path) -> None:
    f = _one(_scan(_edited(tmp_path, AZURE, _azure_display_name), tmp_path), AZURE.name)
    assert "azurerm_storage_object_replication.documents_to_archive:NL-ZA" in _flows(f)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "alibaba", "tencent", "huawei"])
def test_every_cloud_table_names_real_countries_and_a_source(cloud: str) -> None:
    table = region_table()
    assert table["version"] == "2" and table["as_of"] and table["sources"][cloud]
    assert table[cloud]
    for region, code in table[cloud].items():
        assert pycountry.countries.get(alpha_2=code) is not None, region


def test_azure_pairs_name_listed_regions() -> None:
    table = region_table()
    for region, pair in table["azure_pairs"].items():
        assert region in table["azure"] and pair in table["azure"], region
    # Hong Kong is its own jurisdiction in the catalogues, whichever cloud hosts it.
    assert table["azure"]["eastasia"] == table["gcp"]["asia-east2"] == table["alibaba"]["cn-hongkong"] == "HK"
    assert table["tencent"]["ap-hongkong"] == table["huawei"]["ap-southeast-1"] == "HK"


def _add(
    plan: dict[str, Any], address: str, provider: str, values: dict[str, Any], exprs: dict[str, Any]
) -> None:
    kind, name = address.split(".")
    common = {"address": address, "mode": "managed", "type": kind, "name": name}
    plan["planned_values"]["root_module"]["resources"].append(
        {
            **common,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "values": values,
        }
    )
    plan["configuration"]["root_module"]["resources"].append(
        {**common, "provider_config_key": provider, "expressions": exprs, "schema_version": 0}
    )


def test_aws_read_replicas_and_table_replicas_abroad_are_transfers(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text())
    tags = {"dataflow": "personal.financial"}
    _add(plan, "aws_db_instance.ledger", "aws", {"identifier": "ledger", "tags": tags}, {})
    _add(
        plan,
        "aws_db_instance.ledger_hk",
        "aws.hk",
        {"identifier": "ledger-hk", "tags": {}},
        {"replicate_source_db": {"references": ["aws_db_instance.ledger.arn", "aws_db_instance.ledger"]}},
    )
    _add(
        plan,
        "aws_db_instance.from_frankfurt",
        "aws",
        {"identifier": "fx", "replicate_source_db": "arn:aws:rds:eu-central-1:111122223333:db:fx-rates"},
        {"replicate_source_db": {"constant_value": "arn:aws:rds:eu-central-1:111122223333:db:fx-rates"}},
    )
    _add(
        plan,
        "aws_db_instance.same_region",
        "aws",
        {"identifier": "ledger-ro", "replicate_source_db": "ledger"},
        {"replicate_source_db": {"constant_value": "ledger"}},
    )
    _add(
        plan,
        "aws_dynamodb_table_replica.sessions_hk",
        "aws.hk",
        {},
        {
            "global_table_arn": {
                "references": ["aws_dynamodb_table.sessions.arn", "aws_dynamodb_table.sessions"]
            }
        },
    )
    f = _one(_scan(_copy(tmp_path, plan), tmp_path), PLAN.name)
    assert f.status == "recognised", f.error
    flows = _flows(f)
    assert flows["aws_db_instance.ledger_hk:US-HK"] == ("US", "HK", ["personal.financial"])
    assert flows["aws_db_instance.from_frankfurt:DE-US"][:2] == ("DE", "US")
    assert flows["aws_dynamodb_table_replica.sessions_hk:US-HK"][:2] == ("US", "HK")
    assert not any(i.startswith("aws_db_instance.same_region") for i in flows)  # an identifier: same region


def test_a_read_replica_of_an_unknown_source_is_an_error(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text())
    _add(
        plan,
        "aws_db_instance.orphan",
        "aws.hk",
        {"identifier": "orphan"},
        {"replicate_source_db": {"references": ["var.source_db"]}},
    )
    f = _one(_scan(_copy(tmp_path, plan), tmp_path), PLAN.name)
    assert f.status == "error" and f.error is not None
    assert "neither a database of this plan nor an ARN" in f.error.message


def test_a_gcp_dual_region_across_countries_copies_both_ways(tmp_path: Path) -> None:
    def dual(plan: dict[str, Any]) -> None:
        bucket = _resource(plan, "google_storage_bucket.order_events")["values"]
        bucket["location"] = "EU"
        bucket["custom_placement_config"] = [{"data_locations": ["EUROPE-WEST3", "EUROPE-WEST4"]}]
        # (A transfer job from it would be an error: 'EU' names no one country.)
        config = plan["configuration"]["root_module"]["resources"]
        config[:] = [r for r in config if r["type"] != "google_storage_transfer_job"]

    f = _one(_scan(_edited(tmp_path, GCP, dual), tmp_path), GCP.name)
    assert f.status == "recognised", f.error
    flows = _flows(f)
    assert flows["google_storage_bucket.order_events:DE-NL"] == ("DE", "NL", ["personal"])
    assert flows["google_storage_bucket.order_events:NL-DE"] == ("NL", "DE", ["personal"])


def test_a_gcp_dual_region_inside_one_country_is_no_transfer(tmp_path: Path) -> None:
    def dual(plan: dict[str, Any]) -> None:
        bucket = _resource(plan, "google_storage_bucket.analytics_landing")["values"]
        bucket["custom_placement_config"] = [{"data_locations": ["US-CENTRAL1", "US-EAST1"]}]

    f = _one(_scan(_edited(tmp_path, GCP, dual), tmp_path), GCP.name)
    assert f.status == "recognised" and not any(i.startswith("google_storage_bucket.") for i in _flows(f))
