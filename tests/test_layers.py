"""Zone layers (docs/semantics.md, section 2a): a layer decides exactly where its list says.

The shipped Tianjin FTZ layer relieves the non-CIIO personal-information procedures for
data its exporter states is outside every one of the zone's 13 list classes, and nothing
else (one class in the list, or one left unstated, keeps the national rules); a layer
with no content changes no decision; ``disables`` overrides base entries for the zone's
exporters only; malformed layers do not load.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import Decision, Engine, Policies, Transfer, Verdict, load_policies
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.errors import CatalogueError

ZONE = "cn.ftz.tianjin"
RELIEVED = {
    "cn.pi.sensitive.contract",
    "cn.pi.sensitive.assessment",
    "cn.pi.general.contract",
    "cn.pi.general.assessment",
    # The same thresholds from 22 March 2024 to 31 December 2025, before the Certification Measures (s9).
    "cn.pi.sensitive.contract.provisions2024",
    "cn.pi.general.contract.provisions2024",
}
# The 13 classes of the Tianjin list (2024 edition), as the layer names them.
CLASSES = [
    "strategic_commodities",
    "natural_resources_environment",
    "industry",
    "finance",
    "statistics",
    "information_dissemination",
    "housing_construction",
    "transport",
    "public_health",
    "public_security",
    "internet_ecommerce",
    "science_technology",
    "personal_information",
]
SHIPPED_FILES = sorted(p for p in default_policy_dir().glob("*.yaml") if p.name != "taxonomy.yaml")
HEAD = 'title: t\nversion: "1"\neffective: 2024-01-01\nsources: [{instrument: i, article: a, date: 2024-01-01}]\n'


def _policies(*extra: tuple[str, str]) -> Policies:
    shipped = load_policies()
    sources = [(str(p), p.read_text()) for p in SHIPPED_FILES]
    return build_policies(shipped.taxonomy, [*sources, *extra])


@pytest.fixture(scope="module")
def empty_layer_engine() -> Iterator[Engine]:
    engine = Engine(_policies(("empty.yaml", f"jurisdiction: CN\nzone: cn.ftz.empty\n{HEAD}")))
    yield engine
    engine.close()


def _standing(d: Decision) -> list[str | None]:
    return [r.entry_id for r in d.reasons if r.kind in ("entry", "localisation", "missing_fact")]


def _classes(listed: bool | None, in_class: str = "personal_information") -> dict[str, bool]:
    """The context a describer writes: nothing (None), every class false (outside the
    list), or every class false but ``in_class`` (on the list)."""
    if listed is None:
        return {}
    return {f"tianjin_ftz_{c}": listed and c == in_class for c in CLASSES}


def _t(
    zone: str | None, listed: bool | None, category: str, individuals: int | None, **extra: Any
) -> Transfer:
    body: dict[str, Any] = {
        "id": "z",
        "origin": "CN",
        "destination": "US",
        "date": "2026-03-02",
        "exporter": {"ciio": extra.pop("ciio", False), "zone": zone},
        # A company recipient and a non-automotive exporter, stated: unstated, the national
        # rules on foreign requests (DSL Art 36) and automotive data (Art 3) ask for them.
        "recipient": {"type": "company"},
        "purpose": extra.pop("purpose", "business_operations"),
        "context": {"exporter_automotive_data_processor": False, **extra.pop("context", _classes(listed))},
        "data": [
            {"category": category, "individuals": individuals, "anonymised": extra.pop("anonymised", False)}
        ],
    }
    body.update(extra)
    return Transfer.model_validate(body)


def test_the_tianjin_layer_is_shipped_and_cited(policies: Policies) -> None:
    layer = policies.layers[("CN", ZONE)].catalogue
    assert layer.sources and all(x.citations for x in layer.exemptions)
    assert {t for x in layer.exemptions for t in x.applies_to} == RELIEVED
    # The relief reads one statement per class of the list, each defined by the layer.
    (outside,) = layer.exemptions
    assert outside.when.context == {f"tianjin_ftz_{c}": False for c in CLASSES}
    assert set(outside.when.context) <= set(layer.context_facts)


@pytest.mark.parametrize("klass", CLASSES)
@pytest.mark.parametrize("how", ["in_class", "unstated"])
def test_one_class_in_the_list_or_unstated_keeps_the_national_rules(
    engine: Engine, klass: str, how: str
) -> None:
    """Every class counts: data in any one of them, or any one not checked, is not relieved."""
    context = _classes(True, in_class=klass) if how == "in_class" else _classes(False)
    if how == "unstated":
        del context[f"tianjin_ftz_{klass}"]
    for category, n in [("personal.contact", 150_000), ("personal.health", 5_000)]:
        national = engine.decide(_t(None, None, category, n, context=context))
        zoned = engine.decide(_t(ZONE, None, category, n, context=context))
        assert [r.sentence for r in zoned.reasons] == [r.sentence for r in national.reasons]
        assert zoned.verdict is national.verdict is Verdict.RESTRICT
    # ...while the same data outside every class is relieved.
    assert engine.decide(_t(ZONE, False, "personal.contact", 150_000)).verdict is Verdict.ALLOW


CATEGORIES = ["personal.contact", "personal.health", "state.important", "business.operations", "personal"]
COUNTS = [None, 9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000]


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("individuals", COUNTS)
@pytest.mark.parametrize("listed", [True, False, None])
@pytest.mark.parametrize("ciio", [True, False])
def test_the_layer_changes_the_decision_exactly_where_its_list_says(
    engine: Engine, category: str, individuals: int | None, listed: bool | None, ciio: bool
) -> None:
    national = engine.decide(_t(None, listed, category, individuals, ciio=ciio))
    zoned = engine.decide(_t(ZONE, listed, category, individuals, ciio=ciio))
    if listed is False:
        # Outside the list: exactly the relieved entries are cleared, and cited as such.
        assert _standing(zoned) == [e for e in _standing(national) if e not in RELIEVED]
        cleared = {e for r in zoned.reasons if r.entry_id == "cn.tianjin.outside_list" for e in r.cleared}
        assert cleared == RELIEVED & set(_standing(national))
    else:
        # On the list, or not stated: the national rules, reason for reason.
        assert [r.sentence for r in zoned.reasons] == [r.sentence for r in national.reasons]
        assert zoned.verdict is national.verdict


def test_a_zone_only_applies_to_its_own_jurisdictions_exports(engine: Engine) -> None:
    body: dict[str, Any] = {
        "id": "us",
        "origin": "US",
        "destination": "CN",
        "date": "2026-03-02",
        "exporter": {"zone": ZONE},
        "context": _classes(False),
        "transaction": "vendor_agreement",
        "data": [{"category": "personal.health", "individuals": 20000}],
    }
    zoned = engine.decide(Transfer.model_validate(body))
    body["exporter"] = {}
    assert zoned == engine.decide(Transfer.model_validate(body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    category=st.sampled_from([*CATEGORIES, "personal.omic.genomic", "infrastructure", "state.core"]),
    individuals=st.sampled_from(COUNTS),
    ciio=st.sampled_from([True, False, None]),
    anonymised=st.sampled_from([True, False, None]),
    purpose=st.sampled_from(
        [None, "business_operations", "contract_performance", "hr_management", "scientific_research"]
    ),
    destination=st.sampled_from(["US", "DE", "SG", "JP", "GB", "VN"]),
)
def test_a_layer_that_adds_nothing_changes_no_decision(
    empty_layer_engine: Engine,
    category: str,
    individuals: int | None,
    ciio: bool | None,
    anonymised: bool | None,
    purpose: str | None,
    destination: str,
) -> None:
    def t(zone: str | None) -> Transfer:
        return Transfer.model_validate(
            {
                "id": "e",
                "origin": "CN",
                "destination": destination,
                "date": "2026-03-02",
                "exporter": {"ciio": ciio, "zone": zone},
                "purpose": purpose,
                "data": [{"category": category, "individuals": individuals, "anonymised": anonymised}],
            }
        )

    zoned, plain = empty_layer_engine.decide(t("cn.ftz.empty")), empty_layer_engine.decide(t(None))
    assert zoned.verdict is plain.verdict
    assert zoned.reasons == plain.reasons
    assert [c.version for c in zoned.catalogues if "zone" in c.version] == ["1 (zone cn.ftz.empty)"]


def test_the_generic_zone_statement_does_not_stand_in_for_tianjins_list(engine: Engine) -> None:
    """cn.yaml's one-statement zone relief clears a CN exporter elsewhere; a Tianjin exporter
    is decided by Tianjin's list, which the layer encodes and the generic relief would bypass."""
    generic = {"ftz_outside_negative_list": True}
    national = engine.decide(_t(None, None, "personal.contact", 150_000, context=generic))
    assert national.verdict is Verdict.ALLOW
    assert "cn.exempt.ftz_negative_list" in [r.entry_id for r in national.reasons]
    zoned = engine.decide(_t(ZONE, None, "personal.contact", 150_000, context=generic))
    assert zoned.verdict is Verdict.RESTRICT
    assert _standing(zoned) == ["cn.pi.general.contract"]
    # Both statements: the list's (all classes outside) still relieves, citing the layer.
    both = engine.decide(_t(ZONE, False, "personal.contact", 150_000, context={**generic, **_classes(False)}))
    assert both.verdict is Verdict.ALLOW
    assert [r.entry_id for r in both.reasons if r.kind == "exemption"] == ["cn.tianjin.outside_list"]


DISABLE_EXEMPTION = f"""jurisdiction: CN
zone: cn.ftz.strict
{HEAD}disables: [cn.exempt.hr]
"""


def test_a_layer_can_disable_a_base_exemption_for_its_zone_only() -> None:
    """Disabling an exemption only ever makes the zone's decisions stricter."""
    policies = _policies(("strict.yaml", DISABLE_EXEMPTION))
    base_ids = {x.id for x in policies.catalogues["CN"].catalogue.exemptions}
    assert "cn.exempt.hr" in base_ids
    engine = Engine(policies)
    try:
        for category, n in [("personal.contact", 150_000), ("personal.health", 5_000)]:
            hr = {"purpose": "hr_management"}
            national = engine.decide(_t(None, None, category, n, **hr))
            zoned = engine.decide(_t("cn.ftz.strict", None, category, n, **hr))
            assert national.verdict is Verdict.ALLOW
            assert "cn.exempt.hr" in [r.entry_id for r in national.reasons if r.kind == "exemption"]
            assert "cn.exempt.hr" not in [r.entry_id for r in zoned.reasons]
            assert zoned.verdict is Verdict.RESTRICT
            # What the exemption cleared nationally is exactly what stands for the zone.
            cleared = {e for r in national.reasons if r.entry_id == "cn.exempt.hr" for e in r.cleared}
            assert cleared and set(_standing(zoned)) == cleared
    finally:
        engine.close()


OVERRIDE = f"""jurisdiction: CN
zone: cn.ftz.test
{HEAD}disables: [cn.pi.general.contract]
entries:
  - id: cn.test.pi.contract
    title: Zone rule replacing the national contract threshold
    categories: [personal]
    direction: outbound
    when: {{individuals: {{at_least: 500000}}, exporter_ciio: false, anonymised: false}}
    outcome: review
    requirement: standard_contract_or_certification
    citations: [{{instrument: test, article: a, date: 2024-01-01}}]
"""


def test_disables_overrides_a_base_entry_for_the_zone_only() -> None:
    engine = Engine(_policies(("override.yaml", OVERRIDE)))
    try:
        for n, national, zoned in [
            (150_000, ["cn.pi.general.contract"], []),
            (600_000, ["cn.pi.general.contract"], ["cn.test.pi.contract"]),
        ]:
            assert _standing(engine.decide(_t(None, None, "personal.contact", n))) == national
            decision = engine.decide(_t("cn.ftz.test", None, "personal.contact", n))
            assert _standing(decision) == zoned
            assert decision.verdict is (Verdict.REVIEW if zoned else Verdict.ALLOW)
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"jurisdiction: JP\nzone: z\n{HEAD}".replace("JP", "VN"), "no VN catalogue is loaded"),
        (
            f"jurisdiction: CN\nzone: z\n{HEAD}disables: [cn.important.assessment]\n",
            "may not disable the national-security",
        ),
        (f"jurisdiction: CN\nzone: z\n{HEAD}disables: [cn.nothing]\n", "disables unknown base entry"),
        (f"jurisdiction: CN\n{HEAD}disables: [cn.pi.general.contract]\n", "only a layer"),
        (
            OVERRIDE.replace("direction: outbound", "direction: inbound"),
            "outbound only",
        ),
        (OVERRIDE.replace("id: cn.test.pi.contract", "id: cn.pi.general.assessment"), "already used"),
    ],
)
def test_malformed_layers_do_not_load(text: str, message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        _policies(("layer.yaml", text))


def test_two_layers_for_one_zone_do_not_load() -> None:
    layer = f"jurisdiction: CN\nzone: z\n{HEAD}"
    with pytest.raises(CatalogueError, match="second layer"):
        _policies(("a.yaml", layer), ("b.yaml", layer))
