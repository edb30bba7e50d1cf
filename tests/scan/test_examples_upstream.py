"""The shipped Fides and ODCS examples are valid to the tools that define those formats,
not only to our adapters.

- Fides: fideslang (PyPI ``fideslang``), the library the Fides CLI and server load manifests
  with, parses each ``*.fides.yml`` through its own loader (``ingest_manifests`` then
  ``load_manifests_into_taxonomy``: its pydantic ``Dataset``/``System`` models), and every
  data category, data use and data subject the examples name is in fideslang's default
  taxonomy.
- ODCS: every v3 contract validates against the official ODCS JSON schema that PyPI
  ``open-data-contract-standard`` ships (the schema published by bitol-io for that release)
  and parses with that package's pydantic model. No package ships the ODCS v2 schema: the
  v2 example is checked against the official v2.2.2 schema, vendored from the standard's
  repository, in test_odcs_v2.py.

Each check is shown to reject a damaged copy, so a pass means something.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.manifests import ingest_manifests
from fideslang.models import Taxonomy
from fideslang.parse import load_manifests_into_taxonomy
from open_data_contract_standard.model import OpenDataContractStandard

from dataflow_rules import Policies
from dataflow_rules.scan.mapping import load_fides_map, load_odcs_map

from .helpers import EXAMPLES

FIDES = sorted(EXAMPLES.rglob("*.fides.yml"))
ODCS = sorted(EXAMPLES.rglob("*.odcs.yaml"))
ODCS_V3 = [p for p in ODCS if str(yaml.safe_load(p.read_text())["apiVersion"]).startswith("v3")]
ODCS_SCHEMA: dict[str, Any] = json.loads(
    (resources.files("open_data_contract_standard") / "schema.json").read_text(encoding="utf-8")
)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _fideslang_load(path: Path) -> Taxonomy:
    """Load a manifest as the Fides CLI does; fideslang exits on a bad resource."""
    try:
        return load_manifests_into_taxonomy(ingest_manifests(str(path)))
    except SystemExit as exc:  # fideslang.parse.parse_dict raises SystemExit(error)
        raise AssertionError(f"fideslang rejects {path.name}: {exc.code}") from None


def test_there_are_examples_to_check() -> None:
    assert len(FIDES) >= 2 and len(ODCS_V3) >= 2 and len(ODCS) > len(ODCS_V3)


@pytest.mark.parametrize("path", FIDES, ids=_ids(FIDES))
def test_fides_example_loads_with_fideslang(path: Path) -> None:
    taxonomy = _fideslang_load(path)
    raw = yaml.safe_load(path.read_text())
    assert [d.fides_key for d in taxonomy.dataset] == [d["fides_key"] for d in raw.get("dataset", [])]
    assert [s.fides_key for s in taxonomy.system] == [s["fides_key"] for s in raw.get("system", [])]


def _labels(value: object, field: str) -> list[str]:
    """Every value of ``field`` anywhere in a manifest (lists flattened)."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == field:
                out += item if isinstance(item, list) else [item]
            else:
                out += _labels(item, field)
    elif isinstance(value, list):
        for item in value:
            out += _labels(item, field)
    return out


@pytest.mark.parametrize("path", FIDES, ids=_ids(FIDES))
def test_fides_example_uses_only_fideslang_default_keys(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    known = {
        "data_categories": {c.fides_key for c in DEFAULT_TAXONOMY.data_category},
        "data_use": {u.fides_key for u in DEFAULT_TAXONOMY.data_use},
        "data_subjects": {s.fides_key for s in DEFAULT_TAXONOMY.data_subject},
    }
    for field, keys in known.items():
        for label in _labels(raw, field):
            assert label in keys, f"{path.name}: {field} '{label}' is not a fideslang default key"
    assert _labels(raw, "data_categories")


def test_fideslang_rejects_a_damaged_manifest(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "fides" / "crm-system.fides.yml").read_text())
    broken = copy.deepcopy(raw)
    del broken["system"][0]["privacy_declarations"][0]["data_use"]
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken))
    with pytest.raises(AssertionError, match=r"fideslang rejects broken\.yml"):
        _fideslang_load(tmp_path / "broken.yml")
    broken = copy.deepcopy(raw)
    broken["system"][0]["fides_key"] = "crm platform!"  # not a FidesKey
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken))
    with pytest.raises(AssertionError, match=r"fideslang rejects broken\.yml"):
        _fideslang_load(tmp_path / "broken.yml")


def test_every_installed_fideslang_default_category_maps(policies: Policies) -> None:
    """The default taxonomy of the fideslang release installed here, not our copy of it."""
    fmap = load_fides_map(policies)
    keys = [c.fides_key for c in DEFAULT_TAXONOMY.data_category]
    assert len(keys) > 50
    for key in keys:
        mapped = fmap.category(key)
        assert mapped is not None and mapped[0] in policies.taxonomy, key


def _validator() -> Any:
    cls = jsonschema.validators.validator_for(ODCS_SCHEMA)
    cls.check_schema(ODCS_SCHEMA)
    return cls(ODCS_SCHEMA)


def _errors(value: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(value)]


@pytest.mark.parametrize("path", ODCS_V3, ids=_ids(ODCS_V3))
def test_odcs_v3_example_validates_against_the_official_schema(path: Path) -> None:
    value = yaml.safe_load(path.read_text())
    assert value["apiVersion"] in ODCS_SCHEMA["properties"]["apiVersion"]["enum"]
    assert _errors(value) == []


@pytest.mark.parametrize("path", ODCS_V3, ids=_ids(ODCS_V3))
def test_odcs_v3_example_parses_with_the_official_model(path: Path) -> None:
    contract = OpenDataContractStandard.from_file(str(path))
    raw = yaml.safe_load(path.read_text())
    assert contract.id == raw["id"] and contract.kind == "DataContract"
    assert [o.name for o in contract.schema_ or []] == [o["name"] for o in raw["schema"]]


@pytest.mark.parametrize(
    ("where", "bad"),
    [
        (("kind",), "Contract"),
        (("schema", 0, "properties", 0, "logicalType"), "strng"),
        (("customProperties", 0, "property"), 7),
    ],
)
def test_the_official_schema_rejects_a_damaged_contract(where: tuple[str | int, ...], bad: object) -> None:
    value = yaml.safe_load((EXAMPLES / "odcs" / "outpatient-visits.odcs.yaml").read_text())
    target: Any = value
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = bad
    assert _errors(value)


def test_every_odcs_version_the_map_reads_is_an_official_one(policies: Policies) -> None:
    """The official schema's apiVersion list names v2.2.0-v2.2.2 and the v3 releases."""
    official = set(ODCS_SCHEMA["properties"]["apiVersion"]["enum"])
    claimed = yaml.safe_load(Path(load_odcs_map(policies).source).read_text())["odcs_versions"]
    assert set(claimed) <= official
    assert {"v2.2.0", "v2.2.1", "v2.2.2"} <= set(claimed)
