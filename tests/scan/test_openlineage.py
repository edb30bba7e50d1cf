"""OpenLineage run events (issue 15, item 5): a job's reads and writes as transfers.

The shipped examples are exactly what openlineage-python's own models serialise (RunEvent,
InputDataset, OutputDataset, the schema, tags and datasource facets, and a custom facet for
the country); the JSON and NDJSON forms decide alike, each finding at its line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attr
import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import DatasetFacet, datasource_dataset, schema_dataset, tags_dataset
from openlineage.client.serde import Serde

from dataflow_rules.models.scan import FileResult, ScanResult
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES, PINNED_POLICIES

FOLDER = EXAMPLES / "openlineage"
NDJSON = FOLDER / "nightly-replication.ndjson"
JSON = FOLDER / "customers-backfill-start.json"

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/spark"


@attr.define
class DataflowRulesDatasetFacet(DatasetFacet):
    """Our custom dataset facet: the country the dataset is stored in."""

    country: str

    @staticmethod
    def _get_schema() -> str:
        return "https://example.com/your-org/dataflow-rules/blob/main/docs/scan.md#openlineage"


def _fields(*names: str) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in names]
    )


def events() -> list[dict[str, Any]]:
    customers = InputDataset(
        namespace="postgres://orders-db.cn-shanghai.example.cn:5432",
        name="shop.public.customers",
        facets={
            "schema": _fields(
                ("customer_id", "bigint"),
                ("email", "varchar"),
                ("mobile", "varchar"),
                ("province", "varchar"),
            ),
            "tags": tags_dataset.TagsDatasetFacet(
                tags=[
                    tags_dataset.TagsDatasetFacetFields(
                        key="pii", value="true", source="CATALOG", field="email"
                    ),
                    tags_dataset.TagsDatasetFacetFields(
                        key="dataflow", value="personal.contact", source="CATALOG", field="mobile"
                    ),
                    tags_dataset.TagsDatasetFacetFields(
                        key="pii", value="false", source="CATALOG", field="province"
                    ),
                    tags_dataset.TagsDatasetFacetFields(
                        key="pii", value="false", source="CATALOG", field="customer_id"
                    ),
                ]
            ),
            "datasource": datasource_dataset.DatasourceDatasetFacet(
                name="orders-db", uri="postgres://orders-db.cn-shanghai.example.cn:5432"
            ),
            "dataflow_rules": DataflowRulesDatasetFacet(country="CN"),
        },
    )
    warehouse = OutputDataset(
        namespace="s3://group-analytics-us-east-1",
        name="raw/shop/customers",
        facets={
            "datasource": datasource_dataset.DatasourceDatasetFacet(
                name="group-analytics", uri="s3://group-analytics-us-east-1"
            ),
            "dataflow_rules": DataflowRulesDatasetFacet(country="US"),
        },
    )
    sales = InputDataset(
        namespace="postgres://orders-db.cn-shanghai.example.cn:5432",
        name="shop.public.daily_sales",
        facets={
            "schema": _fields(("province", "varchar"), ("order_count", "integer")),
            "tags": tags_dataset.TagsDatasetFacet(
                tags=[tags_dataset.TagsDatasetFacetFields(key="pii", value="false", source="CATALOG")]
            ),
            "dataflow_rules": DataflowRulesDatasetFacet(country="CN"),
        },
    )
    sales_out = OutputDataset(
        namespace="s3://group-analytics-us-east-1",
        name="raw/shop/daily_sales",
        facets={"dataflow_rules": DataflowRulesDatasetFacet(country="US")},
    )
    out = []
    for run_id, job, inputs, outputs, state in (
        (
            "0190a9b2-7c1e-7d3a-9f4e-2b6c8d0e1f21",
            "replicate_customers",
            [customers],
            [warehouse],
            RunState.COMPLETE,
        ),
        (
            "0190a9b2-7c1e-7d3a-9f4e-2b6c8d0e1f22",
            "replicate_daily_sales",
            [sales],
            [sales_out],
            RunState.COMPLETE,
        ),
        (
            "0190a9b2-7c1e-7d3a-9f4e-2b6c8d0e1f23",
            "backfill_customers",
            [customers],
            [warehouse],
            RunState.START,
        ),
    ):
        event = RunEvent(
            eventType=state,
            eventTime="2026-03-02T02:15:00.000Z",
            run=Run(runId=run_id),
            job=Job(namespace="shop-nightly", name=job),
            producer=PRODUCER,
            inputs=inputs,
            outputs=outputs,
        )
        out.append(Serde.to_dict(event))
    return out


def _scan(*paths: Path, cwd: Path = FOLDER, defaults: Defaults | None = None) -> ScanResult:
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


def test_the_examples_are_what_openlineage_python_emits() -> None:
    built = events()
    assert [json.loads(line) for line in NDJSON.read_text().splitlines()] == built[:2]
    assert json.loads(JSON.read_text()) == built[2]  # a backfill's START event
    assert all(e["schemaURL"].startswith("https://openlineage.io/spec/") for e in built)


def test_a_run_event_is_decided_at_the_tag_line() -> None:
    f = _one(_scan(JSON), "customers-backfill-start.json")
    assert (f.status, f.kind) == ("recognised", "openlineage")
    (t,) = f.transfers
    assert (t.origin, t.destination, t.source) == ("CN", "US", "openlineage_run")
    assert t.id == "backfill_customers:shop.public.customers:raw_shop_customers:CN-US"
    assert t.categories == ["personal", "personal.contact"] and t.verdict.value == "restrict"
    first = t.findings[0]
    assert first.rule_id == "cn.pi.general.contract"
    lines = JSON.read_text().splitlines()
    assert first.place.line is not None and lines[first.place.line - 1].strip() == '"key": "pii",'


def test_ndjson_decides_as_json_and_the_clean_job_is_allowed() -> None:
    f = _one(_scan(NDJSON), "nightly-replication.ndjson")
    customers, sales = f.transfers
    (single,) = _one(_scan(JSON), "customers-backfill-start.json").transfers
    assert [(x.rule_id, x.verdict) for x in customers.findings] == [
        (x.rule_id, x.verdict) for x in single.findings
    ]
    assert {x.place.line for x in customers.findings} == {1}  # the first event's line
    assert (sales.verdict.value, sales.findings) == ("allow", [])
    assert sales.place.line == 2


def test_a_bad_ndjson_line_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(NDJSON.read_text().splitlines()[0] + "\n{not json\n")
    f = _one(_scan(path, cwd=tmp_path), "events.ndjson")
    assert f.status == "error" and f.error is not None and f.error.place.line == 2


def test_datasets_without_countries_say_how_to_give_them(tmp_path: Path) -> None:
    event = events()[0]
    for dataset in (*event["inputs"], *event["outputs"]):
        del dataset["facets"]["dataflow_rules"]
    (tmp_path / "e.json").write_text(json.dumps(event))
    f = _one(_scan(tmp_path / "e.json", cwd=tmp_path), "e.json")
    assert f.status == "recognised" and f.transfers == [] and f.reason is not None and "--origin" in f.reason
    (t,) = _one(
        _scan(tmp_path / "e.json", cwd=tmp_path, defaults=Defaults("CN", ("US",))), "e.json"
    ).transfers
    assert t.verdict.value != "allow"


def test_an_untagged_schema_field_is_a_review(tmp_path: Path) -> None:
    event = events()[1]
    del event["inputs"][0]["facets"]["tags"]
    (tmp_path / "e.json").write_text(json.dumps(event))
    (t,) = _one(_scan(tmp_path / "e.json", cwd=tmp_path), "e.json").transfers
    assert [x.rule_id for x in t.findings] == ["no-data-categories"]


@pytest.mark.parametrize("value", [{"run": {}, "job": {}}, [{"eventType": "COMPLETE"}]])
def test_other_json_is_not_an_event(value: object) -> None:
    from dataflow_rules.scan.openlineage import is_openlineage

    assert not is_openlineage(value)
