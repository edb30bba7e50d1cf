"""Safeguards in place: met, expired, out of scope, not yet valid, prohibited; warnings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import Engine, Policies, Transfer, Verdict, read_transfers
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.engine.safeguards import last_valid_day
from dataflow_rules.models.transfer import Safeguard
from dataflow_rules.taxonomy import load_taxonomy

from .conftest import EXAMPLES

SAFEGUARD_EXAMPLES = sorted((EXAMPLES / "safeguards").glob("*.yaml"))


def test_one_example_file_per_mechanism_used_by_shipped_catalogues(policies: Policies) -> None:
    used = {
        m
        for lc in policies.catalogues.values()
        for e in [*lc.catalogue.entries, *lc.catalogue.localisation]
        for alt in e.mechanisms
        for m in ([alt] if isinstance(alt, str) else alt)
    }
    assert {p.stem for p in SAFEGUARD_EXAMPLES} == used


@pytest.mark.parametrize("path", SAFEGUARD_EXAMPLES, ids=lambda p: p.stem)
def test_met_expired_out_of_scope(path: Path, policies: Policies, engine: Engine) -> None:
    by_state = {x.transfer.id.rsplit("-", 1)[1]: x.transfer for x in read_transfers(path, policies)}
    assert set(by_state) == {"met", "expired", "out_of_scope"}
    mechanism = path.stem

    met = engine.decide(by_state["met"])
    assert met.verdict is Verdict.ALLOW
    # One safeguarded reason per entry the mechanism meets: most meet one; an explicit
    # consent (a derogation) also meets the EU/UK supplementary-measures entry.
    safeguarded = [r for r in met.reasons if r.kind == "safeguarded"]
    assert 1 <= len(safeguarded) <= 2
    for reason in safeguarded:
        assert [c.mechanism for c in reason.safeguards] == [mechanism]
        assert all(c.status == "met" for c in reason.safeguards)
        assert met.expires == reason.expires and met.expires is not None
    assert met.conditions and mechanism in met.conditions[0]
    relied_on = {r.entry_id for r in safeguarded}

    for state in ("expired", "out_of_scope"):
        d = engine.decide(by_state[state])
        assert d.verdict is not Verdict.ALLOW, state
        (finding,) = [r for r in d.reasons if r.kind == "entry"]
        assert finding.entry_id in relied_on
        assert [(c.mechanism, c.status) for c in finding.safeguards] == [(mechanism, state)]
        assert by_state[state].safeguards[0].reference in finding.sentence
        assert d.conditions == [] and d.expires is None


def _health(policies: Policies, **safeguard: object) -> Transfer:
    body = {
        "id": "h",
        "origin": "CN",
        "destination": "US",
        "exporter": {"ciio": False},
        # Stated so that only the health-data threshold decides (an unstated recipient type or
        # purpose leaves the DSL Art 36 foreign-request rule open).
        "recipient": {"name": "Example Partner Inc.", "type": "company", "controlled_by": "US"},
        "purpose": "healthcare_delivery",
        "data": [{"category": "personal.health.clinical", "individuals": 50_000, "anonymised": False}],
        "safeguards": [
            {
                "mechanism": "cn.security_assessment",
                "reference": "CAC-1",
                "obtained": "2024-06-03",
                **safeguard,
            }
        ],
    }
    return Transfer.model_validate(body)


def test_expiry_on_both_sides_of_the_as_of_date(policies: Policies, engine: Engine) -> None:
    t = _health(policies)
    last = last_valid_day(t.safeguards[0], policies.taxonomy)
    assert last == dt.date(2027, 6, 2)  # three years (2024 Provisions Art 9), the last day included
    on_last_day = engine.decide(t, last)
    assert on_last_day.verdict is Verdict.ALLOW and on_last_day.expires == last
    assert on_last_day.warnings and "expires on 2027-06-02, 0 days" in on_last_day.warnings[0]
    day_after = engine.decide(t, last + dt.timedelta(days=1))
    assert day_after.verdict is Verdict.RESTRICT
    (finding,) = [r for r in day_after.reasons if r.kind == "entry"]
    assert finding.safeguards[0].status == "expired" and "CAC-1 expired on 2027-06-02" in finding.sentence


def test_stated_expiry_before_the_legal_period_wins(policies: Policies, engine: Engine) -> None:
    t = _health(policies, expires="2025-12-31")
    assert engine.decide(t, dt.date(2025, 12, 31)).verdict is Verdict.ALLOW
    assert engine.decide(t, dt.date(2026, 1, 1)).verdict is Verdict.RESTRICT


def test_warning_window_is_sixty_days(policies: Policies, engine: Engine) -> None:
    t = _health(policies)
    assert engine.decide(t, dt.date(2027, 4, 3)).warnings  # 60 days before 2027-06-02
    assert not engine.decide(t, dt.date(2027, 4, 2)).warnings  # 61 days


def test_not_yet_valid(policies: Policies, engine: Engine) -> None:
    d = engine.decide(_health(policies), dt.date(2024, 6, 2))
    assert d.verdict is Verdict.RESTRICT
    assert [c.status for r in d.reasons for c in r.safeguards] == ["not_yet_valid"]


@pytest.mark.parametrize(
    ("scope", "detail"),
    [
        ({"max_individuals": 49_999}, "covers at most 49,999 individuals; data[0] has 50,000"),
        ({"recipient": "Someone Else Ltd"}, "granted for recipient 'Someone Else Ltd'"),
        ({"destinations": ["GB", "SG"]}, "granted for GB, SG, not US"),
        ({"categories": ["personal.financial"]}, "covers personal.financial, not data[0]"),
    ],
)
def test_out_of_scope(scope: dict[str, object], detail: str, policies: Policies, engine: Engine) -> None:
    d = engine.decide(_health(policies, scope=scope), dt.date(2026, 3, 2))
    assert d.verdict is Verdict.RESTRICT
    (check,) = [c for r in d.reasons for c in r.safeguards]
    assert check.status == "out_of_scope" and detail in check.detail


def test_scope_that_covers_exactly_is_met(policies: Policies, engine: Engine) -> None:
    scope = {
        "max_individuals": 50_000,
        "recipient": "Example Partner Inc.",
        "destinations": ["US"],
        "categories": ["personal.health"],
    }
    assert engine.decide(_health(policies, scope=scope), dt.date(2026, 3, 2)).verdict is Verdict.ALLOW


def test_wrong_mechanism_does_not_satisfy(policies: Policies, engine: Engine) -> None:
    t = _health(policies, mechanism="cn.standard_contract")  # the >= 10,000 entry needs an assessment
    d = engine.decide(t, dt.date(2026, 3, 2))
    assert d.verdict is Verdict.RESTRICT
    (finding,) = [r for r in d.reasons if r.kind == "entry"]
    assert finding.mechanisms == [["cn.security_assessment"]] and finding.safeguards == []


def test_prohibited_transaction_no_safeguard_clears(policies: Policies, engine: Engine) -> None:
    (x,) = read_transfers(EXAMPLES / "us-cn-genomic-101.yaml", policies)
    every = [
        {"mechanism": m, "reference": f"REF-{i}", "obtained": "2025-01-01"}
        for i, m in enumerate(sorted(policies.taxonomy.mechanisms))
    ]
    t = x.transfer.model_copy(update={"safeguards": [Safeguard.model_validate(s) for s in every]})
    d = engine.decide(t)
    assert d.verdict is Verdict.RESTRICT
    (finding,) = [r for r in d.reasons if r.kind == "entry"]
    assert finding.requirement == "prohibited" and finding.mechanisms == []
    assert "No safeguard can satisfy this requirement." in finding.sentence


CITE = "[{instrument: Test Law, article: Art 1, date: 2024-01-01}]"
TEST_CATALOGUE = f"""\
jurisdiction: CN
title: T
version: "1"
effective: 2024-01-01
sources: {CITE}
entries:
  - id: both.needed
    title: Needs a contract and consent, or an assessment
    categories: [personal.contact]
    direction: outbound
    outcome: restrict
    requirement: standard_contract
    mechanisms: [[cn.standard_contract, consent.separate], cn.security_assessment]
    citations: {CITE}
  - id: needs.count
    title: Needs a count
    categories: [personal.financial]
    direction: outbound
    when: {{individuals: {{at_least: 10}}}}
    outcome: restrict
    requirement: standard_contract
    mechanisms: [cn.standard_contract]
    citations: {CITE}
  - id: unencrypted
    title: Unencrypted transfers need review
    categories: [research]
    direction: outbound
    when: {{security: {{encryption_in_transit: false}}}}
    outcome: review
    requirement: determination
    citations: {CITE}
green_lanes:
  - id: lane.encrypted
    title: Encrypted research
    purposes: [scientific_research]
    when: {{security: {{encryption_in_transit: true, access_control: true}}}}
    citations: {CITE}
"""


@pytest.fixture(scope="module")
def custom() -> Engine:
    tax = load_taxonomy(default_policy_dir() / "taxonomy.yaml")
    return Engine(build_policies(tax, [("t.yaml", TEST_CATALOGUE)]), unlisted=Verdict.ALLOW)


def _t(category: str, safeguards: list[dict[str, object]], **extra: object) -> Transfer:
    body: dict[str, object] = {
        "id": "c",
        "origin": "CN",
        "destination": "US",
        "date": "2026-03-02",
        "data": [{"category": category, **extra.pop("item", {})}],  # type: ignore[dict-item]
        "safeguards": [
            {"reference": f"R{i}", "obtained": "2025-01-01", **s} for i, s in enumerate(safeguards)
        ],
        **extra,
    }
    return Transfer.model_validate(body)


def test_all_of_alternative_needs_every_mechanism(custom: Engine) -> None:
    contract, consent, assessment = (
        {"mechanism": m} for m in ("cn.standard_contract", "consent.separate", "cn.security_assessment")
    )
    assert custom.decide(_t("personal.contact", [contract])).verdict is Verdict.RESTRICT
    assert custom.decide(_t("personal.contact", [consent])).verdict is Verdict.RESTRICT
    both = custom.decide(_t("personal.contact", [contract, consent]))
    assert both.verdict is Verdict.ALLOW
    assert {c.mechanism for r in both.reasons for c in r.safeguards} == {
        "cn.standard_contract",
        "consent.separate",
    }
    assert custom.decide(_t("personal.contact", [assessment])).verdict is Verdict.ALLOW


def test_safeguard_clears_a_missing_fact_only_if_scope_needs_no_fact(custom: Engine) -> None:
    contract = {"mechanism": "cn.standard_contract"}
    assert custom.decide(_t("personal.financial", [])).verdict is Verdict.REVIEW
    assert custom.decide(_t("personal.financial", [contract])).verdict is Verdict.ALLOW
    capped = {"mechanism": "cn.standard_contract", "scope": {"max_individuals": 100}}
    d = custom.decide(_t("personal.financial", [capped]))
    assert d.verdict is Verdict.REVIEW
    assert "data[0].individuals is not stated" in d.reasons[0].safeguards[0].detail


def test_security_measures_as_entry_and_lane_conditions(custom: Engine) -> None:
    unknown = custom.decide(_t("research.scientific", []))
    assert unknown.verdict is Verdict.REVIEW and unknown.reasons[0].missing == [
        "security.encryption_in_transit"
    ]
    plain = custom.decide(_t("research.scientific", [], security={"encryption_in_transit": False}))
    assert plain.verdict is Verdict.REVIEW and plain.reasons[0].kind == "entry"
    encrypted = custom.decide(_t("research.scientific", [], security={"encryption_in_transit": True}))
    assert encrypted.verdict is Verdict.ALLOW
    assert not [r for r in encrypted.reasons if r.kind == "green_lane"]  # access_control unstated
    lane = custom.decide(
        _t(
            "research.scientific",
            [],
            security={"encryption_in_transit": True, "access_control": True},
            purpose="scientific_research",
        )
    )
    assert [r.entry_id for r in lane.reasons if r.kind == "green_lane"] == ["lane.encrypted"]


# --- properties ------------------------------------------------------------------------

BASES = [
    x.transfer
    for p in sorted(EXAMPLES.glob("*.yaml"))
    for x in read_transfers(p, __import__("dataflow_rules").load_policies())
]
MECHANISMS = sorted(load_taxonomy(default_policy_dir() / "taxonomy.yaml").mechanisms)
CATEGORIES = ["personal", "personal.health", "personal.contact", "personal.omic", "state", "research"]

dates = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2028, 12, 31))
safeguards = st.builds(
    lambda mechanism, obtained, length, scope: {
        "mechanism": mechanism,
        "reference": f"REF-{mechanism}",
        "obtained": obtained.isoformat(),
        **({"expires": (obtained + dt.timedelta(days=length)).isoformat()} if length is not None else {}),
        "scope": scope,
    },
    st.sampled_from(MECHANISMS),
    dates,
    st.none() | st.integers(0, 2000),
    st.fixed_dictionaries(
        {},
        optional={
            "max_individuals": st.integers(0, 2_000_000),
            "categories": st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2),
            "destinations": st.lists(st.sampled_from(["CN", "US", "HK", "SG"]), min_size=1, max_size=2),
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(BASES), st.lists(safeguards, min_size=1, max_size=3), st.none() | dates)
def test_adding_safeguards_never_makes_a_verdict_stricter(
    engine: Engine, base: Transfer, added: list[dict[str, object]], as_of: dt.date | None
) -> None:
    with_them = base.model_copy(update={"safeguards": [Safeguard.model_validate(s) for s in added]})
    before = engine.decide(base, as_of)
    after = engine.decide(with_them, as_of)
    assert after.verdict.rank <= before.verdict.rank
    # Removing every safeguard gives back exactly the decision without them.
    removed = with_them.model_copy(update={"safeguards": []})
    assert engine.decide(removed, as_of).model_dump_json() == before.model_dump_json()
    # Whatever the safeguards changed is explained: a lowered verdict is a safeguarded reason.
    if after.verdict is not before.verdict:
        assert any(r.kind == "safeguarded" for r in after.reasons)
