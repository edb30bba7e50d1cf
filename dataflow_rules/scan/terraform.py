"""Terraform plan JSON (``terraform show -json PLAN``): replication between cloud regions.

Infrastructure code says where data is copied to even when no manifest does (issue 15). A
resource that copies data from one region to another is a transfer between the regions'
countries (dataflow_rules/scan/regions.yaml, a versioned, sourced table):

- ``aws_s3_bucket_replication_configuration``: from the bucket its ``bucket`` refers to, to
  each bucket a ``rule.destination.bucket`` refers to;
- ``aws_dynamodb_table`` with ``replica`` blocks: from the table to each ``region_name``.

A resource's region is its provider's ``region`` (a constant in the plan's
``configuration.provider_config``; resources of the root module only). A region the table
does not list, or a region that is not a constant, is an input error naming it: the tool
never guesses a country. What is copied comes from the source resource's ``tags``: a
``DataClassification`` (or ``data_classification``, ``classification``) tag is read as an
ODCS classification, a ``dataflow`` tag as ``dataflow:<category>``; with neither, the
transfer is a review ``no-data-categories``. Same-country replication is no transfer.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..errors import InputError, Location
from ..loading import Document
from ..models.policies import Policies
from .adapted import AdaptedTransfer
from .flows import Defaults, Stated, build, countries
from .mapping import FidesMap, OdcsMap
from .odcs import Labels
from .sidecar import LoadedSidecar

Path_ = tuple[str | int, ...]
CLASSIFICATION_TAGS = ("dataclassification", "data_classification", "classification")


@cache
def region_table() -> dict[str, Any]:
    text = (resources.files("dataflow_rules.scan") / "regions.yaml").read_text(encoding="utf-8")
    table: dict[str, Any] = yaml.safe_load(text)
    return table


def is_plan(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "format_version" in value
        and "terraform_version" in value
        and isinstance(value.get("configuration"), dict)
    )


class _Plan:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        plan = doc.value
        config = plan["configuration"]
        self.providers: dict[str, Any] = config.get("provider_config") or {}
        root = config.get("root_module") or {}
        self.config: dict[str, tuple[dict[str, Any], Path_]] = {}
        for n, r in enumerate(root.get("resources") or []):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.config[r["address"]] = (r, ("configuration", "root_module", "resources", n))
        planned = (plan.get("planned_values") or {}).get("root_module") or {}
        self.values: dict[str, tuple[dict[str, Any], Path_]] = {}
        for n, r in enumerate(planned.get("resources") or []):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.values[r["address"]] = (r, ("planned_values", "root_module", "resources", n))

    def region(self, address: str) -> tuple[str, Location]:
        resource, path = self.config[address]
        key = resource.get("provider_config_key", "aws")
        provider = self.providers.get(key)
        where = ("configuration", "provider_config", key, "expressions", "region", "constant_value")
        region = None
        if isinstance(provider, dict):
            expr = (provider.get("expressions") or {}).get("region")
            region = expr.get("constant_value") if isinstance(expr, dict) else None
        if not isinstance(region, str):
            raise InputError(
                f"the region of {address} (provider {key}) is not a constant in the plan: the tool cannot"
                " tell its country; state the countries in the plan's sidecar",
                self.doc.locate((*path, "provider_config_key")),
            )
        return region, self.doc.locate(where)

    def country(self, region: str, place: Location) -> str:
        table = region_table()["aws"]
        if region not in table:
            raise InputError(
                f"region '{region}' is not in the region table (dataflow_rules/scan/regions.yaml"
                f" v{region_table()['version']}): the tool does not guess its country",
                place,
            )
        return str(table[region])

    def referenced(self, expression: object) -> str | None:
        """The resource address an expression refers to (``aws_s3_bucket.replica``)."""
        refs = expression.get("references") if isinstance(expression, dict) else None
        for ref in refs or []:
            if isinstance(ref, str) and ref in self.config:
                return ref
        return None


def _labels(plan: _Plan, address: str, labels: Labels) -> None:
    found = plan.values.get(address)
    tags = found[0].get("values", {}).get("tags") if found else None
    if not isinstance(tags, dict) or found is None:
        labels.items.unlabelled += 1
        return
    base = (*found[1], "values", "tags")
    labelled = False
    for key, value in tags.items():
        if not isinstance(value, str):
            continue
        where = (*base, key)
        if key.lower() in CLASSIFICATION_TAGS:
            labelled |= labels.label(value, where, True) in ("category", "gap", "clear")
        elif key.lower() == "dataflow":
            labelled |= labels.label(f"dataflow:{value}", where, False) == "category"
    if not labelled:
        labels.items.unlabelled += 1


def _copies(plan: _Plan) -> list[tuple[str, str, list[tuple[str, Location]], Path_]]:
    """Each copy: source address, the copying resource's address, destination regions, path."""
    out = []
    for address, (resource, path) in sorted(plan.config.items()):
        kind = resource.get("type")
        expressions = resource.get("expressions") or {}
        if kind == "aws_s3_bucket_replication_configuration":
            source = plan.referenced(expressions.get("bucket"))
            if source is None:
                raise InputError(
                    f"{address}: its bucket is not a resource of this plan",
                    plan.doc.locate((*path, "expressions")),
                )
            regions = []
            for r, rule in enumerate(expressions.get("rule") or []):
                for d, dest in enumerate((rule or {}).get("destination") or []):
                    target = plan.referenced((dest or {}).get("bucket"))
                    at = (*path, "expressions", "rule", r, "destination", d, "bucket")
                    if target is None:
                        raise InputError(
                            f"{address}: a replication destination is not a bucket of this plan",
                            plan.doc.locate(at),
                        )
                    regions.append(plan.region(target))
            out.append((source, address, regions, path))
        elif kind == "aws_dynamodb_table":
            values = plan.values.get(address)
            replicas = values[0].get("values", {}).get("replica") if values else None
            regions = []
            for n, replica in enumerate(replicas or []):
                name = replica.get("region_name") if isinstance(replica, dict) else None
                at = (*values[1], "values", "replica", n, "region_name") if values else path
                if not isinstance(name, str):
                    raise InputError(f"{address}: a replica has no region_name", plan.doc.locate(at))
                regions.append((name, plan.doc.locate(at)))
            if regions:
                out.append((address, address, regions, path))
    return out


def adapt(
    documents: list[Document],
    sidecar: LoadedSidecar | None,
    defaults: Defaults,
    policies: Policies,
    omap: OdcsMap,
    fmap: FidesMap,
) -> tuple[list[AdaptedTransfer], list[str]]:
    out: list[AdaptedTransfer] = []
    for doc in documents:
        plan = _Plan(doc)
        for source, copier, regions, path in _copies(plan):
            origin_region, origin_place = plan.region(source)
            origin = plan.country(origin_region, origin_place)
            dests = sorted({plan.country(r, place) for r, place in regions} - {origin})
            if not dests:
                continue  # replication inside one country
            labels = Labels(doc, policies, omap, fmap)
            _labels(plan, source, labels)
            stated = Stated((origin, origin_place), (tuple(dests), doc.locate(path)))
            o, d = countries(stated, sidecar, defaults)
            assert o is not None
            out += build(
                key=copier,
                source="terraform_replication",
                name=source,
                place=doc.locate((*path, "address")),
                items=labels.items,
                origin=o,
                destinations=d,
                sidecar=sidecar,
            )
    return out, []
