"""Terraform plan JSON (``terraform show -json PLAN``): replication between cloud regions.

Infrastructure code says where data is copied to even when no manifest does (issue 15). A
resource that copies data from one region to another is a transfer between the regions'
countries (dataflow_rules/scan/regions.yaml, a versioned, sourced table per cloud):

- AWS: ``aws_s3_bucket_replication_configuration`` (from the bucket its ``bucket`` refers
  to, to each bucket a ``rule.destination.bucket`` refers to); ``aws_dynamodb_table`` with
  ``replica`` blocks (to each ``region_name``); ``aws_dynamodb_table_replica`` (from the
  table its ``global_table_arn`` refers to, to its own region); ``aws_db_instance`` with
  ``replicate_source_db`` (a read replica: from the source database of the plan, or the
  region of its ARN, to its own region);
- GCP: ``google_storage_transfer_job`` (from its ``gcs_data_source`` bucket to its
  ``gcs_data_sink`` bucket, each a bucket of the plan, placed by its ``location``);
  ``google_sql_database_instance`` whose ``master_instance_name`` refers to another
  instance (a read replica, from the primary's ``region`` to its own);
  ``google_storage_bucket`` with ``custom_placement_config.data_locations`` (a custom
  dual-region: from each of its regions to the other);
- Azure: ``azurerm_storage_object_replication`` (from the source account to the
  destination account, each placed by its ``location``); ``azurerm_storage_account`` with a
  geo-redundant ``account_replication_type`` (GRS, RAGRS, GZRS, RAGZRS: to its location's
  paired region); ``azurerm_cosmosdb_account`` (from the ``geo_location`` of failover
  priority 0 to each other one);
- Alibaba Cloud: ``alicloud_oss_bucket_replication`` (from the bucket to
  ``destination.location``, ``oss-<region>``);
- Tencent Cloud: ``tencentcloud_cos_bucket`` with ``replica_rules`` (to the region in each
  ``destination_bucket``, ``qcs::cos:<region>::<bucket>``);
- Huawei Cloud: ``huaweicloud_obs_bucket_replication`` (from the bucket to the bucket of
  the plan its ``destination_bucket`` refers to).

A resource's region is its own ``region`` or ``location`` value in the plan, else its
provider's ``region`` (a constant in the plan's ``configuration.provider_config``;
resources of the root module only). A region the table does not list (a GCP multi-region
such as ``EU`` among them), or a region that is not a constant, is an input error naming
it: the tool never guesses a country. What is copied comes from the source resource's
``tags`` (GCP: ``labels``, Cloud SQL ``settings.user_labels``): a ``DataClassification``
(or ``data_classification``, ``classification``) tag is read as an ODCS classification, a
``dataflow`` tag as ``dataflow:<category>``; with neither, the transfer is a review
``no-data-categories``. Same-country replication is no transfer.
"""

from __future__ import annotations

from functools import cache, partial
from importlib import resources
from typing import Any

import yaml

from ..errors import InputError, Location
from ..loading import Document
from .adapted import AdaptedTransfer
from .flows import Found, Reading, Stated, countries
from .odcs import Labels

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


CLOUDS = {
    "aws": "aws",
    "google": "gcp",
    "azurerm": "azure",
    "alicloud": "alibaba",
    "tencentcloud": "tencent",
    "huaweicloud": "huawei",
}
"""A resource type's first word (its provider's local name) -> its table in regions.yaml."""

GEO_REDUNDANT = {"GRS", "RAGRS", "GZRS", "RAGZRS"}
"""Azure replication types that copy an account to its region's pair (LRS and ZRS stay)."""

Region = tuple[str, str, Location]
"""(cloud, region, where the plan says it)."""

Copy = tuple[str, str, Region, list[Region], Path_]
"""(the resource whose data is copied, the copying resource, origin, destinations, path)."""


def cloud_of(kind: object) -> str | None:
    return CLOUDS.get(kind.split("_", 1)[0]) if isinstance(kind, str) else None


def _at(value: object, *path: str | int) -> object:
    """``value[path...]``, or None where the plan has no such key or index."""
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and len(value) > part else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


class _Plan:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        plan = doc.value
        config = plan["configuration"]
        providers = config.get("provider_config")
        self.providers: dict[str, Any] = providers if isinstance(providers, dict) else {}
        self.config: dict[str, tuple[dict[str, Any], Path_]] = {}
        resources = _at(config, "root_module", "resources")
        for n, r in enumerate(resources if isinstance(resources, list) else []):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.config[r["address"]] = (r, ("configuration", "root_module", "resources", n))
        planned = _at(plan, "planned_values", "root_module", "resources")
        self.values: dict[str, tuple[dict[str, Any], Path_]] = {}
        for n, r in enumerate(planned if isinstance(planned, list) else []):
            if isinstance(r, dict) and isinstance(r.get("address"), str):
                self.values[r["address"]] = (r, ("planned_values", "root_module", "resources", n))

    def value(self, address: str, *path: str | int) -> tuple[object, Path_]:
        """A planned value of a resource and its JSON path (None where the plan has none)."""
        found = self.values.get(address)
        if found is None:
            return None, self.config[address][1]
        return _at(found[0].get("values"), *path), (*found[1], "values", *path)

    def listed(
        self, address: str, attribute: str, field: str
    ) -> tuple[list[tuple[object, object, Location]], Path_]:
        """Each entry of a resource's list ``attribute`` with its ``field``'s value (None when
        the entry is no mapping) and where that is; and the attribute's path."""
        values, at = self.value(address, attribute)
        entries = [
            (entry, entry.get(field) if isinstance(entry, dict) else None, self.doc.locate((*at, n, field)))
            for n, entry in enumerate(values if isinstance(values, list) else [])
        ]
        return entries, at

    def region(self, address: str) -> Region:
        """Where a resource is: its own ``region``/``location`` value, else its provider's."""
        resource, path = self.config[address]
        cloud = cloud_of(resource.get("type")) or "aws"
        for key in ("region", "location"):
            own, where = self.value(address, key)
            if isinstance(own, str) and own:
                return cloud, own, self.doc.locate(where)
        kind = resource.get("type")
        name = kind.split("_", 1)[0] if isinstance(kind, str) else "aws"
        key = resource.get("provider_config_key", name)
        key = key if isinstance(key, str) else name
        provider = self.providers.get(key)
        where = ("configuration", "provider_config", key, "expressions", "region", "constant_value")
        region = _at(provider, "expressions", "region", "constant_value")
        if not isinstance(region, str):
            raise InputError(
                f"the region of {address} (provider {key}) is not a constant in the plan: the tool cannot"
                " tell its country; state the countries in the plan's sidecar",
                self.doc.locate((*path, "provider_config_key")),
            )
        return cloud, region, self.doc.locate(where)

    def country(self, region: Region) -> str:
        cloud, name, place = region
        table = region_table()
        key = "".join(name.lower().split()) if cloud == "azure" else name.lower()
        known = table.get(cloud) or {}
        if key not in known:
            raise InputError(
                f"{_NAMES[cloud]} region '{name}' is not in the region table (dataflow_rules/scan/regions.yaml"
                f" v{table['version']}): the tool does not guess its country (a location that spans"
                " countries, such as a multi-region, has none); state the countries in the plan's sidecar",
                place,
            )
        return str(known[key])

    def referenced(self, expression: object, kind: str | None = None) -> str | None:
        """The resource address an expression refers to (``aws_s3_bucket.replica``)."""
        refs = _at(expression, "references")
        for ref in refs if isinstance(refs, list) else []:
            if (
                isinstance(ref, str)
                and ref in self.config
                and (kind is None or self.config[ref][0].get("type") == kind)
            ):
                return ref
        return None

    def must_refer(self, address: str, expression: object, kind: str, what: str, at: Path_) -> str:
        target = self.referenced(expression, kind)
        if target is None:
            raise InputError(
                f"{address}: {what} is not a {kind} of this plan, so the tool cannot tell its region",
                self.doc.locate(at),
            )
        return target

    def must_refer_by(
        self, address: str, path: Path_, expressions: dict[str, Any], name: str, kind: str, what: str = ""
    ) -> str:
        """:meth:`must_refer` for the resource's configuration expression ``name`` (its
        ``what``, by default ``its NAME``)."""
        at = (*path, "expressions", name)
        return self.must_refer(address, expressions.get(name), kind, what or f"its {name}", at)


_NAMES = {
    "aws": "AWS",
    "gcp": "GCP",
    "azure": "Azure",
    "alibaba": "Alibaba Cloud",
    "tencent": "Tencent Cloud",
    "huawei": "Huawei Cloud",
}

_TAG_KEYS = (("tags",), ("labels",), ("settings", 0, "user_labels"))


def _labels(plan: _Plan, address: str, labels: Labels) -> None:
    tags: object = None
    base: Path_ = ()
    for path in _TAG_KEYS:
        tags, base = plan.value(address, *path)
        if isinstance(tags, dict) and tags:
            break
    if not isinstance(tags, dict):
        labels.items.unlabelled += 1
        return
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


def _aws_s3(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    source = plan.referenced(expressions.get("bucket"))
    if source is None:
        raise InputError(
            f"{address}: its bucket is not a resource of this plan",
            plan.doc.locate((*path, "expressions")),
        )
    regions = []
    rules = expressions.get("rule")
    for r, rule in enumerate(rules if isinstance(rules, list) else []):
        dests = _at(rule, "destination")
        for d, dest in enumerate(dests if isinstance(dests, list) else []):
            target = plan.referenced(_at(dest, "bucket"))
            at = (*path, "expressions", "rule", r, "destination", d, "bucket")
            if target is None:
                raise InputError(
                    f"{address}: a replication destination is not a bucket of this plan",
                    plan.doc.locate(at),
                )
            regions.append(plan.region(target))
    return [(source, address, plan.region(source), regions, path)]


def _aws_dynamodb(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    regions: list[Region] = []
    for _, name, where in plan.listed(address, "replica", "region_name")[0]:
        if not isinstance(name, str):
            raise InputError(f"{address}: a replica has no region_name", where)
        regions.append(("aws", name, where))
    return _replicated(plan, address, regions, path)


def _replicated(plan: _Plan, address: str, regions: list[Region], path: Path_) -> list[Copy]:
    """A resource that keeps replicas of itself in ``regions``: one copy, from where it is."""
    return [(address, address, plan.region(address), regions, path)] if regions else []


def _arn_region(value: object) -> str | None:
    """The region of an ARN (``arn:aws:rds:us-east-1:111122223333:db:orders``), if it is one."""
    parts = value.split(":") if isinstance(value, str) else []
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def _aws_db_replica(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    """A read replica (``replicate_source_db``) of a database of the plan, or of one named by ARN."""
    if "replicate_source_db" not in expressions:
        return []
    source = plan.referenced(expressions["replicate_source_db"], "aws_db_instance")
    if source is not None:
        return [(source, address, plan.region(source), [plan.region(address)], path)]
    value, at = plan.value(address, "replicate_source_db")
    region = _arn_region(value)
    if region is None:
        # An identifier (same region, by the provider's rules) or a value known only at apply.
        if isinstance(value, str):
            return []
        raise InputError(
            f"{address}: its replicate_source_db is neither a database of this plan nor an ARN",
            plan.doc.locate(at),
        )
    return [(address, address, ("aws", region, plan.doc.locate(at)), [plan.region(address)], path)]


def _aws_dynamodb_replica(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    """``aws_dynamodb_table_replica``: the table its ``global_table_arn`` refers to, copied to
    this resource's own region (its provider's)."""
    table = plan.must_refer_by(address, path, expressions, "global_table_arn", "aws_dynamodb_table")
    return [(table, address, plan.region(table), [plan.region(address)], path)]


def _gcp_transfer(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    spec = _at(expressions, "transfer_spec", 0)
    if not isinstance(spec, dict) or not ("gcs_data_source" in spec and "gcs_data_sink" in spec):
        return []  # from another cloud's storage or a URL list: no bucket of this plan to place
    at = (*path, "expressions", "transfer_spec", 0)

    def bucket(end: str) -> str:
        name: Path_ = (f"gcs_data_{end}", 0, "bucket_name")
        return plan.must_refer(
            address, _at(spec, *name), "google_storage_bucket", f"its {end} bucket", (*at, *name)
        )

    source, sink = bucket("source"), bucket("sink")
    return [(source, address, plan.region(source), [plan.region(sink)], path)]


def _gcp_dual_region(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    """A custom dual-region bucket (``custom_placement_config.data_locations``) keeps every
    object in each of its regions: data written in one is copied to the other, either way."""
    locations, at = plan.value(address, "custom_placement_config", 0, "data_locations")
    if not isinstance(locations, list) or len(locations) < 2:
        return []
    regions: list[Region] = []
    for n, name in enumerate(locations):
        where = plan.doc.locate((*at, n))
        if not isinstance(name, str):
            raise InputError(f"{address}: a data location is not a region name", where)
        regions.append(("gcp", name, where))
    return [(address, address, r, [o for o in regions if o is not r], path) for r in regions]


def _gcp_sql(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    if "master_instance_name" not in expressions:
        return []
    primary = plan.must_refer_by(
        address, path, expressions, "master_instance_name", "google_sql_database_instance"
    )
    return [(primary, address, plan.region(primary), [plan.region(address)], path)]


def _azure_object_replication(
    plan: _Plan, address: str, expressions: dict[str, Any], path: Path_
) -> list[Copy]:
    kind = "azurerm_storage_account"
    refer = partial(plan.must_refer_by, address, path, expressions)
    source = refer("source_storage_account_id", kind, "its source account")
    target = refer("destination_storage_account_id", kind, "its destination account")
    return [(source, address, plan.region(source), [plan.region(target)], path)]


def _azure_storage_account(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    kind, at = plan.value(address, "account_replication_type")
    if not isinstance(kind, str) or kind.upper() not in GEO_REDUNDANT:
        return []
    origin = plan.region(address)
    key = "".join(origin[1].lower().split())
    pair = region_table().get("azure_pairs", {}).get(key)
    if pair is None:
        raise InputError(
            f"{address}: {kind} copies the account to its region's pair, and the region table lists"
            f" no pair for '{origin[1]}': state the countries in the plan's sidecar",
            plan.doc.locate(at),
        )
    return [(address, address, origin, [("azure", str(pair), plan.doc.locate(at))], path)]


def _azure_cosmosdb(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    locations, at = plan.listed(address, "geo_location", "location")
    found: list[tuple[object, Region]] = []
    for g, name, where in locations:
        if not isinstance(name, str) or not isinstance(g, dict):
            raise InputError(f"{address}: a geo_location has no location", where)
        found.append((g.get("failover_priority"), ("azure", name, where)))
    writes = [r for priority, r in found if priority == 0]
    if len(found) < 2:
        return []
    if len(writes) != 1:
        raise InputError(
            f"{address}: no single geo_location has failover_priority 0, so the tool cannot tell"
            " where the data is written first",
            plan.doc.locate(at),
        )
    return [(address, address, writes[0], [r for priority, r in found if priority != 0], path)]


def _alibaba_oss(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    source = plan.must_refer_by(address, path, expressions, "bucket", "alicloud_oss_bucket")
    location, at = plan.value(address, "destination", 0, "location")
    if not isinstance(location, str):
        raise InputError(
            f"{address}: its destination location is not a constant in the plan", plan.doc.locate(at)
        )
    region = location[len("oss-") :] if location.startswith("oss-") else location
    return [(source, address, plan.region(source), [("alibaba", region, plan.doc.locate(at))], path)]


def _tencent_cos(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    regions: list[Region] = []
    for _, target, where in plan.listed(address, "replica_rules", "destination_bucket")[0]:
        parts = target.split(":") if isinstance(target, str) else []
        # qcs::cos:<region>::<bucket>-<appid>
        if len(parts) < 4 or parts[:3] != ["qcs", "", "cos"] or not parts[3]:
            raise InputError(
                f"{address}: a replica rule's destination_bucket is not 'qcs::cos:<region>::<bucket>'", where
            )
        regions.append(("tencent", parts[3], where))
    return _replicated(plan, address, regions, path)


def _huawei_obs(plan: _Plan, address: str, expressions: dict[str, Any], path: Path_) -> list[Copy]:
    kind = "huaweicloud_obs_bucket"
    source = plan.must_refer_by(address, path, expressions, "bucket", kind)
    target = plan.must_refer_by(address, path, expressions, "destination_bucket", kind)
    return [(source, address, plan.region(source), [plan.region(target)], path)]


_READERS = {
    "aws_s3_bucket_replication_configuration": _aws_s3,
    "aws_dynamodb_table": _aws_dynamodb,
    "aws_dynamodb_table_replica": _aws_dynamodb_replica,
    "aws_db_instance": _aws_db_replica,
    "google_storage_transfer_job": _gcp_transfer,
    "google_sql_database_instance": _gcp_sql,
    "google_storage_bucket": _gcp_dual_region,
    "azurerm_storage_object_replication": _azure_object_replication,
    "azurerm_storage_account": _azure_storage_account,
    "azurerm_cosmosdb_account": _azure_cosmosdb,
    "alicloud_oss_bucket_replication": _alibaba_oss,
    "tencentcloud_cos_bucket": _tencent_cos,
    "huaweicloud_obs_bucket_replication": _huawei_obs,
}
"""The resource types that copy data between regions, each with its reader."""


def _copies(plan: _Plan) -> list[Copy]:
    """Each copy: source address, the copying resource's address, origin, destinations, path."""
    out: list[Copy] = []
    for address, (resource, path) in sorted(plan.config.items()):
        reader = _READERS.get(str(resource.get("type")))
        if reader is not None:
            expressions = resource.get("expressions")
            out += reader(plan, address, expressions if isinstance(expressions, dict) else {}, path)
    return out


def adapt(documents: list[Document], reading: Reading) -> tuple[list[AdaptedTransfer], list[str]]:
    found = Found(reading)
    for doc in documents:
        plan = _Plan(doc)
        for source, copier, origin_region, regions, path in _copies(plan):
            origin = plan.country(origin_region)
            origin_place = origin_region[2]
            dests = sorted({plan.country(r) for r in regions} - {origin})
            if not dests:
                continue  # replication inside one country
            labels = Labels(doc, reading.policies, reading.omap, reading.fmap)
            _labels(plan, source, labels)
            stated = Stated((origin, origin_place), (tuple(dests), doc.locate(path)))
            o, d = countries(stated, reading.sidecar, reading.defaults)
            assert o is not None
            found.add(
                key=copier,
                source="terraform_replication",
                name=source,
                place=doc.locate((*path, "address")),
                items=labels.items,
                origin=o,
                destinations=d,
            )
    return found.result()
