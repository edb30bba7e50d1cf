"""fideslang 1.x data categories in Fides manifests (fideslang-map.yaml, ``fideslang_1``).

The oracles are not ours: the keys are every key of every fideslang 1.x default taxonomy,
read from the packages on PyPI (fideslang-1x-keys.txt), and "means the same as" is Fides'
own database migrations from 1.x to 2.x keys (fideslang-1x-migrations.yaml, copied from
ethyca/fides). Every 1.x key must map; one that Fides renames must map exactly as its 2.x
successor, so a 1.x manifest and its 2.x translation decide alike; 1.x and 2.x keys mix in
one manifest; an unknown key still falls to its nearest known ancestor or is an error,
never a silent allow.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import Policies
from dataflow_rules.errors import InputError
from dataflow_rules.models.scan import FileResult, ScanResult, TransferResult
from dataflow_rules.scan.flows import Defaults
from dataflow_rules.scan.mapping import FidesMap, load_fides_map
from dataflow_rules.scan.runner import ScanOptions, scan

HERE = Path(__file__).parent
SHIPPED_MAP = HERE.parents[1] / "dataflow_rules" / "scan" / "fideslang-map.yaml"


def _keys(name: str) -> list[str]:
    lines = (HERE / name).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


KEYS_1X = _keys("fideslang-1x-keys.txt")
KEYS_2X = set(_keys("fideslang-default-keys.txt"))
MIGRATIONS: list[dict[str, Any]] = yaml.safe_load((HERE / "fideslang-1x-migrations.yaml").read_text())

# 1.x keys for which Fides' migrations give no fideslang 2.x key (they drop the key, keep
# a 1.0 grouping key that 1.1 no longer has, or write a key no release has): the 2.x key
# the map chose instead, as fideslang-map.yaml explains for each.
OURS = {
    "account": "user",
    "account.contact": "user.contact",
    "account.contact.city": "user.contact.address.city",
    "account.contact.country": "user.contact.address.country",
    "account.contact.email": "user.contact.email",
    "account.contact.phone_number": "user.contact.phone_number",
    "account.contact.postal_code": "user.contact.address.postal_code",
    "account.contact.state": "user.contact.address.state",
    "account.contact.street": "user.contact.address.street",
    "account.payment": "user.financial",  # Fides: user.financial.payment_information (no such key)
    "account.payment.financial_account_number": "user.payment",
    "user.derived": "user",
    "user.derived.identifiable": "user",
    "user.derived.identifiable.contact": "user.contact",
    "user.derived.identifiable.user_sensor": "user.user_sensor",  # Fides: user.sensor_data (no such key)
    "user.derived.nonidentifiable": "user",
    "user.derived.nonidentifiable.sensor": "user.sensor",
    "user.provided": "user",
    "user.provided.identifiable": "user",
    "user.provided.identifiable.contact": "user.contact",
    "user.provided.identifiable.workplace": "user.workplace",  # Fides maps it to itself
    "user.provided.nonidentifiable": "user",
    "user.nonidentifiable": "user",
    "user.payment.financial_account_number": "user.payment",
}


def upstream(key: str) -> str:
    """What Fides' migrations make of a fideslang 1.x key, applied as Fides applies them."""
    for step in MIGRATIONS:
        renames: dict[str, str] = step["renames"]
        if step["match"] == "exact":
            key = renames.get(key, key)
            continue
        for old, new in renames.items():
            if key.startswith(old):
                key = new + key[len(old) :]
                break
    return key


def successor(key: str) -> str:
    """The fideslang 2.x key a 1.x key means: Fides' where it gives a real one, else ours."""
    return OURS.get(key) or upstream(key)


@pytest.fixture(scope="module")
def fmap(policies: Policies) -> FidesMap:
    return load_fides_map(policies)


def test_the_key_list_is_the_1x_taxonomies() -> None:
    assert len(KEYS_1X) == len(set(KEYS_1X)) == 130  # 77 of 1.0.0 + 53 more of 1.1.0-1.4.6
    assert "user.provided.identifiable.contact.email" in KEYS_1X
    assert "user.derived.identifiable.location" in KEYS_1X
    assert "account.contact.email" in KEYS_1X and "system.operations" in KEYS_1X
    assert "user.credentials.password" in KEYS_1X and "user.nonidentifiable" in KEYS_1X


def test_each_1x_key_has_one_source_for_its_meaning() -> None:
    """Fides' migrations decide wherever they name a real 2.x key; ours only fill the gaps,
    never overrule them."""
    for key in KEYS_1X:
        fides_says = upstream(key)
        if key in OURS:
            assert fides_says not in KEYS_2X, f"{key}: Fides says {fides_says}, do not overrule"
            assert OURS[key] in KEYS_2X, key
        else:
            assert fides_says in KEYS_2X, f"{key} -> {fides_says}: not a fideslang 2.x key"
    assert set(OURS) <= set(KEYS_1X)


@pytest.mark.parametrize("key", KEYS_1X)
def test_every_1x_key_maps_as_its_2x_successor(fmap: FidesMap, policies: Policies, key: str) -> None:
    mapped, expected = fmap.category(key), fmap.category(successor(key))
    assert mapped is not None and expected is not None, key
    assert mapped == expected, f"{key} maps to {mapped[0]}, its 2.x key {successor(key)} to {expected[0]}"
    category = policies.taxonomy.get(mapped[0])
    assert category.personal == (key.split(".")[0] in ("user", "account")), key
    if key.startswith("system"):
        assert mapped[0] == "business.operations"


def test_1x_keys_2x_dropped_are_listed_not_left_to_the_fallback(fmap: FidesMap) -> None:
    """A 1.x key that fideslang 2.x does not have is listed in the map, with its 2.x key:
    its meaning is written down, not an accident of the nearest-ancestor rule."""
    for key in KEYS_1X:
        if key not in KEYS_2X:
            assert key in fmap.renamed, key


def test_the_map_follows_fides_renames_where_the_key_is_real(fmap: FidesMap) -> None:
    for step in MIGRATIONS:
        for old, new in step["renames"].items():
            if old in OURS:
                continue
            if step["match"] == "exact" or new in KEYS_2X:
                assert fmap.renamed.get(old) == new, (step["revision"], old)


def _dataset(fides_key: str, keys: list[str]) -> dict[str, Any]:
    fields = [{"name": f"f{i}", "data_categories": [k]} for i, k in enumerate(keys)]
    return {"fides_key": fides_key, "collections": [{"name": "c", "fields": fields}]}


def _scan(path: Path, origin: str, destinations: tuple[str, ...]) -> FileResult:
    result: ScanResult = scan(
        ScanOptions(
            paths=[path],
            cwd=path.parent,
            as_of=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
            defaults=Defaults(origin, destinations),
            gitignore=False,
        )
    )
    (found,) = result.files
    assert found.status == "recognised", (found.reason, found.error)
    return found


def _summary(t: TransferResult) -> tuple[Any, ...]:
    """Everything a person sees of a decided transfer (its file name aside)."""
    return (
        t.id,
        t.verdict.value,
        t.categories,
        [
            (x.rule_id, x.kind, x.verdict, x.categories, x.missing, x.message, x.place.line, *x.related)
            for x in t.findings
        ],
        t.decision.model_dump(mode="json") if t.decision is not None else None,
    )


COUNTRIES = [("US", ("CN",)), ("CN", ("US",)), ("DE", ("US", "SG"))]


def _same_decisions(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> None:
    for name, manifest in (("old", old), ("new", new)):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "m.fides.yml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    for origin, destinations in COUNTRIES:
        a = _scan(tmp_path / "old" / "m.fides.yml", origin, destinations)
        b = _scan(tmp_path / "new" / "m.fides.yml", origin, destinations)
        assert a.transfers and [_summary(t) for t in a.transfers] == [_summary(t) for t in b.transfers]


def test_a_1x_manifest_decides_as_its_2x_translation_key_by_key(tmp_path: Path) -> None:
    """One dataset per 1.x key, against the same dataset with the key's 2.x successor."""
    old = {"dataset": [_dataset(f"d{i}", [k]) for i, k in enumerate(KEYS_1X)]}
    new = {"dataset": [_dataset(f"d{i}", [successor(k)]) for i, k in enumerate(KEYS_1X)]}
    _same_decisions(tmp_path, old, new)


def test_a_1x_system_decides_as_its_2x_translation(tmp_path: Path) -> None:
    declarations = [
        (
            "Newsletter",
            ["user.provided.identifiable.contact.email", "user.derived.identifiable.device.ip_address"],
        ),
        (
            "Checkout",
            [
                "user.provided.identifiable.financial.account_number",
                "account.payment.financial_account_number",
            ],
        ),
        ("Loyalty", ["user.credentials.password", "user.genetic", "user.race", "system.operations"]),
    ]

    def system(translate: bool) -> dict[str, Any]:
        return {
            "system": [
                {
                    "fides_key": "shop",
                    "system_type": "Service",
                    "privacy_declarations": [
                        {
                            "name": name,
                            "data_categories": [successor(k) if translate else k for k in keys],
                            "data_use": "marketing.advertising",
                            "data_subjects": ["customer"],
                        }
                        for name, keys in declarations
                    ],
                }
            ]
        }

    _same_decisions(tmp_path, system(False), system(True))


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(KEYS_1X), min_size=1, max_size=6, unique=True))
def test_any_mix_of_1x_keys_decides_as_its_translation(tmp_path_factory: Any, keys: list[str]) -> None:
    root = Path(tmp_path_factory.mktemp("mix"))
    _same_decisions(
        root,
        {"dataset": [_dataset("d", keys)]},
        {"dataset": [_dataset("d", [successor(k) for k in keys])]},
    )


MIXED = """\
dataset:
  - fides_key: members
    third_country_transfers: [CHN]
    collections:
      - name: members
        fields:
          - name: email_v1
            data_categories: [user.provided.identifiable.contact.email]
          - name: email
            data_categories: [user.contact.email]
          - name: password
            data_categories: [user.credentials.password]
          - name: card
            data_categories: [account.payment.financial_account_number, user.financial.credit_card]
          - name: dna
            data_categories: [user.provided.identifiable.genetic]
          - name: home
            data_categories: [user.derived.identifiable.location.home]
"""


def test_1x_and_2x_keys_mix_in_one_manifest(tmp_path: Path) -> None:
    path = tmp_path / "members.fides.yml"
    path.write_text(MIXED)
    (t,) = _scan(path, "US", ()).transfers
    assert t.categories == [
        "personal.contact",
        "personal.identifiers.account_id",
        "personal.financial",
        "personal.omic.genomic",
        "personal.location",
    ]
    lines = MIXED.splitlines()
    assert t.decision is not None
    places = {x.rule_id: [x.place.line, *(r.line for r in x.related)] for x in t.findings}
    genomic = [rule for rule in places if "genomic" in rule]
    assert genomic, places  # US bulk genomic rules apply to a 1.0 genetic key
    for rule in genomic:
        assert any("user.provided.identifiable.genetic" in lines[n - 1] for n in places[rule] if n)


@pytest.mark.parametrize(
    ("key", "category"),
    [
        ("user.provided.identifiable.contact.email.work", "personal.contact"),  # custom child of a 1.0 key
        ("user.derived.identifiable.location.home", "personal.location"),
        ("user.credentials.password.hash", "personal.identifiers.account_id"),
        ("user.genetic.snp_array", "personal.omic.genomic"),
        ("account.loyalty_tier", "personal"),  # unknown under account: broad personal, reviewed
        ("user.provided.identifiable.shoe_size", "personal"),
    ],
)
def test_unknown_keys_take_their_nearest_known_ancestor(fmap: FidesMap, key: str, category: str) -> None:
    mapped = fmap.category(key)
    assert mapped is not None and mapped[0] == category


def test_an_unknown_key_under_account_is_reviewed_not_allowed(tmp_path: Path) -> None:
    path = tmp_path / "a.fides.yml"
    path.write_text(yaml.safe_dump({"dataset": [_dataset("a", ["account.loyalty_tier"])]}))
    for origin, destinations in COUNTRIES:
        transfers = _scan(path, origin, destinations).transfers
        assert len(transfers) == len(destinations)
        for t in transfers:
            # Never allowed: reviewed because the broad category cannot say which designation
            # applies, or restricted where a designation of all personal data (e.g. GDPR
            # Chapter V to a country without adequacy) applies whatever the narrower category.
            assert t.categories == ["personal"] and t.verdict.value in ("review", "restrict"), t.id
            if t.verdict.value == "review":
                assert any("data[0].category" in x.missing for x in t.findings), t.id


def test_a_key_with_no_known_ancestor_is_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.fides.yml"
    path.write_text(yaml.safe_dump({"dataset": [_dataset("p", ["accounts.contact.email"])]}))
    result = scan(ScanOptions(paths=[path], cwd=tmp_path, defaults=Defaults("US", ("CN",))))
    (f,) = result.files
    assert f.status == "error" and f.error is not None and f.transfers == []
    assert "fideslang category 'accounts.contact.email' has no mapping" in f.error.message
    assert "maps keys under: account, system, user" in f.error.message
    line = f.error.place.line
    assert line is not None and "accounts.contact.email" in path.read_text().splitlines()[line - 1]


def test_odcs_labels_may_be_1x_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.odcs.yaml"
    path.write_text(
        "apiVersion: v3.0.2\nkind: DataContract\nid: c\nschema:\n  - name: t\n    properties:\n"
        "      - name: a\n        tags: [user.provided.identifiable.genetic]\n"
        "      - name: b\n        classification: account.contact.email\n"
    )
    (f,) = scan(ScanOptions(paths=[path], cwd=tmp_path, defaults=Defaults("US", ("CN",)))).files
    (t,) = f.transfers
    assert t.categories == ["personal.omic.genomic", "personal.contact"]
    assert not [x for x in t.findings if x.rule_id == "unmapped-label"]


def _map_with(tmp_path: Path, extra: str) -> Path:
    text = SHIPPED_MAP.read_text().replace("\nfideslang_1:\n", "\nfideslang_1:\n" + extra, 1)
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def _line_of(path: Path, text: str) -> int:
    """The line of ``text`` in the map's fideslang_1 table."""
    lines = path.read_text().splitlines()
    start = lines.index("fideslang_1:")
    return next(i for i, line in enumerate(lines[start:], start + 1) if line.startswith(text))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  legacy.thing: person.contact\n", "renames 'legacy.thing' to 'person.contact', which no category"),
        (
            "  user.contact: user.contact.email\n",
            "'user.contact' is listed both in categories and in fideslang_1",
        ),
        ("  old.a: old.b\n  old.b: old.a\n", "go round in a circle"),
        ("  old.self: old.self.child\n", "go round in a circle"),
    ],
)
def test_a_broken_rename_fails_when_the_map_loads(
    policies: Policies, tmp_path: Path, extra: str, message: str
) -> None:
    path = _map_with(tmp_path, extra)
    with pytest.raises(InputError, match=message) as caught:
        load_fides_map(policies, path)
    first = extra.split(":")[0].strip()
    assert caught.value.location is not None and caught.value.location.line == _line_of(path, f"  {first}:")


def test_the_shipped_map_is_versioned_for_1x(fmap: FidesMap) -> None:
    shipped = yaml.safe_load(SHIPPED_MAP.read_text())
    assert fmap.version == shipped["mapping_version"] == "4"
    assert shipped["fideslang_1_versions"][0] == "0.9.0" and shipped["fideslang_1_versions"][-1] == "1.4.6"
    assert fmap.roots == ["account", "system", "user"]
