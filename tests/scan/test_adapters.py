"""Fides and ODCS manifests become transfers: categories through the mapping files,
countries from manifest, sidecar or command line, every part located at its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from dataflow_rules import Policies
from dataflow_rules.models.scan import FileResult, ScanResult
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.mapping import load_fides_map, load_odcs_map
from dataflow_rules.scan.runner import ScanOptions, scan

from .helpers import EXAMPLES, ROOT, scan_examples

FIDESLANG_KEYS = [
    line
    for line in (Path(__file__).parent / "fideslang-default-keys.txt").read_text().splitlines()
    if line and not line.startswith("#")
]


def test_every_fideslang_default_category_maps_into_the_taxonomy(policies: Policies) -> None:
    fmap = load_fides_map(policies)
    for key in FIDESLANG_KEYS:
        mapped = fmap.category(key)
        assert mapped is not None and mapped[0] in policies.taxonomy, key
        category = policies.taxonomy.get(mapped[0])
        assert category.personal == key.startswith("user"), key  # personal data stays personal


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("user.contact.email", "personal.contact"),
        ("user.health.genetic", "personal.omic.genomic"),
        ("user.health_and_medical", "personal.health"),
        ("user.biometric", "personal.biometric"),
        ("user.location.precise", "personal.location.precise"),
        ("user.financial.credit_card", "personal.financial"),
        ("user.government_id.passport_number", "personal.identifiers.government_id"),
        ("user.contact.email.work", "personal.contact"),  # custom child: nearest ancestor
        ("system.operations", "business.operations"),
    ],
)
def test_fideslang_examples(policies: Policies, key: str, category: str) -> None:
    mapped = load_fides_map(policies).category(key)
    assert mapped is not None and mapped[0] == category


def test_maps_are_versioned_and_checked(policies: Policies, tmp_path: Path) -> None:
    assert load_fides_map(policies).version == "4" and load_odcs_map(policies).version == "2"
    bad = tmp_path / "map.yaml"
    bad.write_text(
        'mapping_version: "2"\nfideslang_version: "3.2.0"\ntaxonomy_version: x\ncategories:\n  user: personal.contcat\n'
    )
    from dataflow_rules.errors import InputError

    with pytest.raises(
        InputError, match=r"map.yaml:5:3: categories.user: maps to unknown category 'personal.contcat'"
    ):
        load_fides_map(policies, bad)


def one(result: ScanResult, name: str) -> FileResult:
    (found,) = [f for f in result.files if f.path.endswith(name)]
    return found


@pytest.fixture(scope="module")
def examples() -> ScanResult:
    return scan_examples()


def test_fides_dataset(examples: ScanResult) -> None:
    f = one(examples, "loyalty-members.fides.yml")
    assert f.status == "recognised" and f.kind == "fides"
    (t,) = f.transfers
    assert (t.id, t.source, t.origin, t.destination) == ("loyalty_members:US-CN", "fides_dataset", "US", "CN")
    assert t.decision is not None
    items = [(i.category, i.individuals, i.anonymised) for i in t.decision.reasons[0:0]] or None
    assert items is None
    lines = (EXAMPLES / "fides" / "loyalty-members.fides.yml").read_text().splitlines()
    assert t.place.line is not None and "fides_key: loyalty_members" in lines[t.place.line - 1]
    ids = {x.rule_id for x in t.findings}
    assert {
        "us.dsp.restricted.coc.geolocation",
        "us.dsp.restricted.coc.financial",
        "us.dsp.restricted.coc.identifiers",
    } <= ids
    for x in t.findings:
        for place in [x.place, *x.related]:
            assert place.line is not None and "data_categories" in lines[place.line - 1]


def test_fides_system_one_transfer_per_declaration(examples: ScanResult) -> None:
    f = one(examples, "crm-system.fides.yml")
    assert [t.id for t in f.transfers] == [
        "crm_platform:Newsletter_campaigns:CN-US",
        "crm_platform:Order_fulfilment_metrics:CN-US",
    ]
    newsletter, metrics = f.transfers
    assert newsletter.verdict.value == "restrict" and metrics.verdict.value == "allow"
    assert metrics.findings == []


def test_odcs_contract(examples: ScanResult) -> None:
    f = one(examples, "outpatient-visits.odcs.yaml")
    (t,) = f.transfers
    assert (t.source, t.origin, t.destination) == ("odcs_contract", "CN", "US")
    gaps = [x for x in t.findings if x.rule_id == "unmapped-label"]
    lines = (EXAMPLES / "odcs" / "outpatient-visits.odcs.yaml").read_text().splitlines()
    assert sorted(lines[x.place.line - 1].strip() for x in gaps if x.place.line) == [
        "classification: confidential",
        "classification: restricted",
    ]
    assert t.verdict.value == "review"
    stats = one(examples, "trade-statistics.odcs.yaml")
    # SG has no catalogue in the pinned policies: taken to restrict nothing inbound.
    assert [(t.destination, t.verdict.value) for t in stats.transfers] == [("SG", "allow"), ("US", "allow")]


def test_skipped_files_say_why(examples: ScanResult) -> None:
    f = one(examples, "other/ci-config.yaml")
    assert f.status == "skipped" and f.reason == "not a transfer manifest, Fides manifest or ODCS contract"
    sidecar = one(examples, "crm-system.fides.dataflow.yaml")
    assert sidecar.kind == "sidecar" and sidecar.reason == "sidecar of crm-system.fides.yml"


def write(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(value, sort_keys=False) if not isinstance(value, str) else value)
    return path


DATASET = {
    "dataset": [
        {
            "fides_key": "patients",
            "collections": [
                {
                    "name": "visits",
                    "fields": [
                        {"name": "id"},
                        {"name": "diagnosis", "data_categories": ["user.health.medical_diagnosis"]},
                    ],
                }
            ],
        }
    ]
}


def run_scan(root: Path, **options: object) -> ScanResult:
    return scan(
        ScanOptions(
            paths=[root], cwd=root, as_of=dt.date(2026, 3, 2), decided_on=dt.date(2026, 3, 2), **options
        )
    )  # type: ignore[arg-type]


def test_countries_from_the_command_line_and_the_note_without_them(tmp_path: Path) -> None:
    write(tmp_path / "patients.yml", DATASET)
    without = one(run_scan(tmp_path), "patients.yml")
    assert without.status == "recognised" and without.transfers == []
    assert without.reason is not None and "no origin or destination" in without.reason
    assert "patients.dataflow.yaml" in without.reason
    given = one(run_scan(tmp_path, defaults=Defaults("US", ("CN", "SG"))), "patients.yml")
    assert [t.id for t in given.transfers] == ["patients:US-CN", "patients:US-SG"]


def test_sidecar_facts_and_conflicts(tmp_path: Path) -> None:
    dataset = {"dataset": [{**DATASET["dataset"][0], "third_country_transfers": ["CHN"]}]}  # type: ignore[dict-item]
    write(tmp_path / "patients.yml", dataset)
    write(tmp_path / "patients.dataflow.yaml", {"origin": "US", "data": {"individuals": 20000}})
    (t,) = one(run_scan(tmp_path), "patients.yml").transfers
    assert t.decision is not None and t.destination == "CN"
    assert t.findings and all(
        "20,000 individuals" in x.message
        for x in t.findings
        if x.kind not in ("no_catalogue", "fides_key_outside_taxonomy")
    )
    # user.health.medical_diagnosis is from fideslang's unreleased 3.2.0 draft: said so.
    assert [x.place.field for x in t.findings if x.kind == "fides_key_outside_taxonomy"] == [
        "dataset[0].collections[0].fields[1].data_categories[0]"
    ]
    write(tmp_path / "patients.dataflow.yaml", {"origin": "US", "destinations": ["SG"]})
    f = one(run_scan(tmp_path), "patients.yml")
    assert f.status == "error" and f.error is not None
    assert f.error.place.file == "patients.dataflow.yaml" and f.error.place.line == 2
    assert "contradict the manifest's CN" in f.error.message
    write(tmp_path / "patients.dataflow.yaml", {"origin": "US", "purpose": "sightseeing"})
    f = one(run_scan(tmp_path), "patients.dataflow.yaml")
    assert f.status == "error" and f.error is not None and "unknown purpose 'sightseeing'" in f.error.message


def test_sidecar_roles_decide_whether_it_is_a_transfer(tmp_path: Path) -> None:
    """A manifest cannot say who receives the data; the sidecar can (issue 18)."""
    write(tmp_path / "patients.yml", DATASET)
    sidecar = {"origin": "DE", "destination": "SG", "data": {"anonymised": False}}
    write(tmp_path / "patients.dataflow.yaml", sidecar)
    (plain,) = one(run_scan(tmp_path), "patients.yml").transfers
    assert plain.decision is not None and plain.decision.verdict.value == "restrict"
    write(tmp_path / "patients.dataflow.yaml", {**sidecar, "roles": {"recipient": "exporters_employee"}})
    (own,) = one(run_scan(tmp_path), "patients.yml").transfers
    assert own.decision is not None
    cleared = [r.entry_id for r in own.decision.reasons if r.kind == "exemption"]
    assert cleared == ["eu.exempt.not_transfer.same_controller"]
    # Art 9 still asks for the health data's processing condition: review, not restrict.
    assert own.decision.verdict.value == "review"


def test_orphan_sidecar_is_an_error_and_a_named_sidecar_brings_its_manifest(tmp_path: Path) -> None:
    write(tmp_path / "lonely.dataflow.yaml", {"origin": "US"})
    f = one(run_scan(tmp_path), "lonely.dataflow.yaml")
    assert f.status == "error" and f.error is not None and "sidecar without a manifest" in f.error.message
    write(tmp_path / "patients.yml", DATASET)
    write(tmp_path / "patients.dataflow.yaml", {"origin": "US", "destination": "CN"})
    result = scan(ScanOptions(paths=[tmp_path / "patients.dataflow.yaml"], cwd=tmp_path))
    assert [t.id for t in one(result, "patients.yml").transfers] == ["patients:US-CN"]


@pytest.mark.parametrize(
    ("change", "at", "message"),
    [
        (
            {"data_categories": ["person.health"]},
            "person.health",
            "fideslang category 'person.health' has no mapping",
        ),
        ({"data_categories": "user.health"}, "data_categories", "data_categories must be a list"),
        ({"third_country_transfers": ["ZZZ"]}, "ZZZ", "'ZZZ' is not an ISO 3166-1"),
    ],
)
def test_fides_errors_name_their_line(
    tmp_path: Path, change: dict[str, object], at: str, message: str
) -> None:
    field = {"name": "diagnosis", **change} if "data_categories" in change else {"name": "diagnosis"}
    dataset = {"fides_key": "p", "collections": [{"name": "c", "fields": [field]}]}
    if "third_country_transfers" in change:
        dataset["third_country_transfers"] = change["third_country_transfers"]
    write(tmp_path / "p.yml", {"dataset": [dataset]})
    f = one(run_scan(tmp_path, defaults=Defaults("US", ("CN",))), "p.yml")
    assert f.status == "error" and f.error is not None
    assert message in f.error.message and f.error.place.line is not None, f.error
    assert at in (tmp_path / "p.yml").read_text().splitlines()[f.error.place.line - 1]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"dataset": [{"fides_key": "p", "collections": "c"}]}, "required field 'collections'"),
        ({"system": [{"fides_key": "s", "privacy_declarations": None}]}, "'privacy_declarations'"),
    ],
)
def test_a_fides_resource_without_its_required_list_is_an_error_at_it(
    tmp_path: Path, document: dict[str, object], message: str
) -> None:
    write(tmp_path / "p.yml", document)
    f = one(run_scan(tmp_path, defaults=Defaults("US", ("CN",))), "p.yml")
    assert f.status == "error" and f.error is not None
    assert message in f.error.message and "is missing or not a list" in f.error.message, f.error
    assert f.error.place.field in ("dataset[0].collections", "system[0].privacy_declarations"), f.error


def test_dataset_with_no_categories_is_reviewed(tmp_path: Path) -> None:
    write(
        tmp_path / "p.yml",
        {"dataset": [{"fides_key": "p", "collections": [{"name": "c", "fields": [{"name": "x"}]}]}]},
    )
    (t,) = one(run_scan(tmp_path, defaults=Defaults("US", ("CN",))), "p.yml").transfers
    assert t.decision is None and t.verdict.value == "review"
    assert [x.rule_id for x in t.findings] == ["no-data-categories"]


CONTRACT = """\
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


@pytest.mark.parametrize(
    ("classification", "tags", "categories", "gaps"),
    [
        ("public", "", [], []),
        ("PII", "", ["personal"], []),
        ("internal", "user.contact.email", ["personal.contact"], []),
        ("internal", "'dataflow:personal.omic.genomic'", ["personal.omic.genomic"], []),
        ("confidential", "team-a", [], ["unmapped-label"]),
        ("top-secret-ish", "", [], ["unmapped-label"]),
        ("internal", "finance", [], []),  # an unknown tag says nothing
    ],
)
def test_odcs_labels(
    tmp_path: Path, classification: str, tags: str, categories: list[str], gaps: list[str]
) -> None:
    write(tmp_path / "c.odcs.yaml", CONTRACT.format(classification=classification, tags=tags))
    (t,) = one(run_scan(tmp_path), "c.odcs.yaml").transfers
    assert (t.origin, t.destination) == ("US", "CN")
    assert t.categories == categories
    found = [x.rule_id for x in t.findings if x.kind in ("unmapped_label",)]
    assert found == gaps
    if not categories and gaps:
        assert [x.rule_id for x in t.findings] == [*gaps, "no-data-categories"]
    if not categories and not gaps:  # every property labelled as holding nothing designated
        assert t.findings == [] and t.verdict.value == "allow" and t.decision is None


def test_odcs_unknown_direct_category_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path / "c.odcs.yaml", CONTRACT.format(classification="internal", tags="'dataflow:personal.heath'")
    )
    f = one(run_scan(tmp_path), "c.odcs.yaml")
    assert (
        f.error is not None
        and f.error.place.line == 9
        and "did you mean 'personal.health'" in f.error.message
    )


def test_odcs_v1_is_not_scanned(tmp_path: Path) -> None:
    write(tmp_path / "old.yaml", {"kind": "DataContract", "apiVersion": "v1.0.0", "dataset": []})
    f = one(run_scan(tmp_path), "old.yaml")
    assert f.status == "skipped" and f.reason == "ODCS v1.0.0: only v2 and v3 contracts are read"


def test_shipped_examples_are_realistic_and_our_own() -> None:
    """The example manifests parse as their formats describe (not copies of upstream files)."""
    fides_files = sorted(EXAMPLES.rglob("*.fides.yml"))
    odcs_files = sorted(EXAMPLES.rglob("*.odcs.yaml"))
    assert len(fides_files) == 2 and len(odcs_files) == 3
    for path in odcs_files:
        value = yaml.safe_load(path.read_text())
        assert value["kind"] == "DataContract"
        if value["apiVersion"].startswith("v3"):
            assert all("properties" in obj for obj in value["schema"])
        else:
            assert value["apiVersion"].startswith("v2")
            assert all("columns" in table for table in value["dataset"])
    for path in fides_files:
        value = yaml.safe_load(path.read_text())
        assert set(value) <= {"dataset", "system"}
    assert (ROOT / "examples" / "scan" / "waivers.yaml").is_file()


def test_the_map_states_the_installed_fideslang_and_lists_its_every_key(policies: Policies) -> None:
    """The map says truthfully which released fideslang it was checked against: that of the
    installed fideslang, every data category of whose default taxonomy it lists by name (so
    only keys outside the taxonomy are ever mapped through a parent)."""
    import fideslang
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    fmap = load_fides_map(policies)
    assert fmap.fideslang_version == fideslang.__version__ == "3.1.4"
    released = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    assert not released - set(fmap.categories)
    assert all(fmap.outside_taxonomy(k) is None for k in released)
    # Draft keys are exactly the listed keys the release does not have.
    assert fmap.draft == set(fmap.categories) - released


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("user.cookie_id", "mapped only through its parent 'user'"),  # fideslang's own demo system
        ("user.contact.email.work", "mapped only through its parent 'user.contact.email'"),
        ("user.health", "unreleased 3.2.0 draft"),
    ],
)
def test_keys_outside_the_fideslang_taxonomy_are_a_review_finding(
    tmp_path: Path, key: str, said: str
) -> None:
    dataset = {
        "dataset": [
            {
                "fides_key": "events",
                "third_country_transfers": ["SGP"],
                "collections": [{"name": "c", "fields": [{"name": "f", "data_categories": [key]}]}],
            }
        ]
    }
    write(tmp_path / "events.yml", dataset)
    write(tmp_path / "events.dataflow.yaml", {"origin": "US"})
    (t,) = one(run_scan(tmp_path), "events.yml").transfers
    (x,) = [x for x in t.findings if x.rule_id == "fides-key-outside-taxonomy"]
    assert x.verdict.value == "review" and said in x.message and "3.1.4" in x.message
    assert x.place.line is not None and t.verdict.value != "allow"


def test_a_default_taxonomy_key_gives_no_such_finding(tmp_path: Path) -> None:
    dataset = {
        "dataset": [
            {
                "fides_key": "events",
                "third_country_transfers": ["SGP"],
                "collections": [
                    {"name": "c", "fields": [{"name": "f", "data_categories": ["user.device.cookie_id"]}]}
                ],
            }
        ]
    }
    write(tmp_path / "events.yml", dataset)
    write(tmp_path / "events.dataflow.yaml", {"origin": "US"})
    (t,) = one(run_scan(tmp_path), "events.yml").transfers
    assert t.categories and not [x for x in t.findings if x.rule_id == "fides-key-outside-taxonomy"]
