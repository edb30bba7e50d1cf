"""The law on the day: a mechanism cannot be relied on before it existed, an adequacy
decision not before it applied, and notified important data needs the CAC assessment
whatever its category (the wrong allows of the attack pass, tests/law_cases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from dataflow_rules import Engine, Policies, Transfer, Verdict
from dataflow_rules.models.taxonomy import Mechanism

# Each mechanism's first day in law, as confirmed (docs/catalogue-sources.md); no other
# mechanism has one.
AVAILABLE = {
    "cn.standard_contract": dt.date(2023, 6, 1),  # CAC Order No. 13
    "cn.security_assessment": dt.date(2022, 9, 1),  # 2022 Measures, CAC Order No. 11
    "cn.certification": dt.date(2022, 11, 4),  # SAMR and CAC Announcement 2022 No. 37
    "eu.scc": dt.date(2021, 6, 27),  # Decision (EU) 2021/914, 20 days after OJ L 199 of 7 June 2021
    "uk.idta": dt.date(2022, 3, 21),
    "uk.addendum": dt.date(2022, 3, 21),
    "us.cisa_security_requirements": dt.date(2025, 1, 8),  # CISA notice, 90 FR 1528 (8 January 2025)
}


def test_the_confirmed_mechanism_dates_and_no_others(policies: Policies) -> None:
    found = {k: m.available_from for k, m in policies.taxonomy.mechanisms.items() if m.available_from}
    assert found == AVAILABLE
    for name in AVAILABLE:
        citation = policies.taxonomy.mechanisms[name].available_citation
        assert citation is not None and citation.date == AVAILABLE[name], name


def test_a_date_without_its_citation_is_refused() -> None:
    with pytest.raises(ValidationError, match="available_citation"):
        Mechanism.model_validate({"description": "x", "available_from": "2023-06-01"})


def _cn_contract(obtained: str, mechanism: str = "cn.standard_contract") -> Transfer:
    body: dict[str, Any] = {
        "id": "sc",
        "origin": "CN",
        "destination": "US",
        "exporter": {"ciio": False},
        "recipient": {"name": "Example US Co.", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False, "important_data_identified": False},
        "data": [{"category": "personal.contact", "individuals": 200_000, "anonymised": False}],
        "safeguards": [{"mechanism": mechanism, "reference": "SC-1", "obtained": obtained}],
    }
    return Transfer.model_validate(body)


AS_OF = dt.date(2026, 3, 2)


def test_standard_contract_obtained_before_the_measures_is_not_in_place(engine: Engine) -> None:
    d = engine.decide(_cn_contract("2020-01-01"), AS_OF)
    assert d.verdict is Verdict.RESTRICT
    (finding,) = [r for r in d.reasons if r.kind == "entry"]
    assert finding.entry_id == "cn.pi.general.contract"
    (check,) = finding.safeguards
    assert check.status == "not_yet_valid"
    assert check.detail == "obtained 2020-01-01, before the mechanism existed on 2023-06-01"
    assert "SC-1 obtained 2020-01-01, before the mechanism existed on 2023-06-01" in finding.sentence
    assert d.conditions == [] and d.expires is None


@pytest.mark.parametrize(
    ("obtained", "verdict"),
    [("2023-05-31", Verdict.RESTRICT), ("2023-06-01", Verdict.ALLOW)],
)
def test_standard_contract_boundary_day(obtained: str, verdict: Verdict, engine: Engine) -> None:
    assert engine.decide(_cn_contract(obtained), AS_OF).verdict is verdict


@pytest.mark.parametrize(
    ("obtained", "verdict"),
    [("2022-11-03", Verdict.RESTRICT), ("2022-11-04", Verdict.ALLOW)],
)
def test_certification_boundary_day(obtained: str, verdict: Verdict, engine: Engine) -> None:
    assert engine.decide(_cn_contract(obtained, "cn.certification"), AS_OF).verdict is verdict


@pytest.mark.parametrize("mechanism", sorted(AVAILABLE))
def test_a_predated_safeguard_changes_nothing(mechanism: str, policies: Policies, engine: Engine) -> None:
    """A safeguard from before its mechanism existed is as if none were listed: it never
    lowers a verdict, and the decision is the one without it but for the reason's detail."""
    day_before = (AVAILABLE[mechanism] - dt.timedelta(days=1)).isoformat()
    origin = {"cn": "CN", "eu": "DE", "uk": "GB", "us": "US"}[mechanism.split(".")[0]]
    # Only a volume that needs the assessment tests it (2024 Provisions Art 7: 1,000,000 or more).
    individuals = 2_000_000 if mechanism == "cn.security_assessment" else 200_000
    # The US rule restricts bulk health data given to a Chinese vendor (28 CFR 202.401), not contact data.
    us = origin == "US"
    body: dict[str, Any] = {
        "id": "p",
        "origin": origin,
        "destination": {"CN": "US", "US": "CN"}.get(origin, "IN"),
        "exporter": {"ciio": False},
        "recipient": {"name": "Example Co.", "type": "company", "controlled_by": "CN" if us else "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False, "important_data_identified": False},
        "security": {"encryption_exporter_held_keys": True},
        "data": [
            {
                "category": "personal.health" if us else "personal.contact",
                "individuals": individuals,
                "anonymised": False,
            }
        ],
    }
    without = engine.decide(Transfer.model_validate(body), AS_OF)
    predated = {"mechanism": mechanism, "reference": "X-1", "obtained": day_before}
    with_it = engine.decide(Transfer.model_validate({**body, "safeguards": [predated]}), AS_OF)
    assert with_it.verdict is without.verdict is Verdict.RESTRICT
    checks = [c for r in with_it.reasons for c in r.safeguards]
    assert checks and all(c.status == "not_yet_valid" for c in checks)
    assert all(f"before the mechanism existed on {AVAILABLE[mechanism]}" in c.detail for c in checks)


def _us(origin: str, day: str, fact: str) -> Transfer:
    body: dict[str, Any] = {
        "id": "us",
        "origin": origin,
        "destination": "US",
        "date": day,
        "purpose": "business_operations",
        "recipient": {"name": "Example US Inc.", "type": "company"},
        "context": {fact: True},
        "data": [{"category": "personal.contact", "individuals": 5000, "anonymised": False}],
    }
    return Transfer.model_validate(body)


@pytest.mark.parametrize(
    ("origin", "fact", "before", "first", "entry", "exemption"),
    [
        # Decision (EU) 2023/1795 of 10 July 2023, applying from that day.
        (
            "DE",
            "recipient_eu_us_dpf_certified",
            "2023-07-09",
            "2023-07-10",
            "eu.transfer.us_certified",
            "eu.exempt.dpf_certified",
        ),
        # SI 2023/1028 reg 1(2): in force 12 October 2023.
        (
            "GB",
            "recipient_uk_extension_certified",
            "2023-10-11",
            "2023-10-12",
            "uk.transfer.us_certified",
            "uk.exempt.uk_extension_certified",
        ),
    ],
)
def test_us_adequacy_from_its_first_day(
    origin: str, fact: str, before: str, first: str, entry: str, exemption: str, engine: Engine
) -> None:
    d = engine.decide(_us(origin, before, fact))
    assert d.verdict is Verdict.RESTRICT
    assert entry in {r.entry_id for r in d.reasons if r.kind == "entry" and r.verdict is Verdict.RESTRICT}
    assert exemption not in {r.entry_id for r in d.reasons}
    d = engine.decide(_us(origin, first, fact))
    assert d.verdict is Verdict.ALLOW
    assert [r.entry_id for r in d.reasons if r.kind == "exemption"] == [exemption]


def test_privacy_shield_period_is_not_allowed_either(engine: Engine) -> None:
    """Before Schrems II (16 July 2020) the Privacy Shield is not encoded: no allow on the
    DPF certification, which did not exist yet (review: the safeguard question is open)."""
    d = engine.decide(_us("DE", "2020-07-15", "recipient_eu_us_dpf_certified"))
    assert d.verdict is not Verdict.ALLOW
    assert "eu.exempt.dpf_certified" not in {r.entry_id for r in d.reasons}


def _cn_important(category: str, **extra: Any) -> Transfer:
    item: dict[str, Any] = {"category": category, "records": 10}
    if category.startswith("personal"):
        item = {"category": category, "individuals": 10, "anonymised": False}
    body: dict[str, Any] = {
        "id": "imp",
        "origin": "CN",
        "destination": "US",
        "exporter": {"ciio": False},
        "recipient": {"name": "Example US Co.", "type": "company", "controlled_by": "US"},
        "purpose": "business_operations",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False, "important_data_identified": True},
        "data": [item],
        **extra,
    }
    return Transfer.model_validate(body)


@pytest.mark.parametrize(
    "category",
    ["business.operations", "research", "economic", "personal.contact", "biospecimen", "state.government"],
)
def test_notified_important_data_needs_the_assessment_whatever_it_is(category: str, engine: Engine) -> None:
    d = engine.decide(_cn_important(category), AS_OF)
    assert d.verdict is Verdict.RESTRICT
    standing = [r for r in d.reasons if r.entry_id == "cn.important.notified"]
    assert standing and standing[0].kind == "entry" and standing[0].verdict is Verdict.RESTRICT
    # A green lane or an exemption never clears it.
    assert all("cn.important.notified" not in r.cleared for r in d.reasons)


def test_important_data_with_the_assessment_is_allowed(engine: Engine) -> None:
    passed = [{"mechanism": "cn.security_assessment", "reference": "A-1", "obtained": "2025-06-01"}]
    d = engine.decide(_cn_important("business.operations", safeguards=passed), AS_OF)
    assert d.verdict is Verdict.ALLOW
    assert [r.entry_id for r in d.reasons if r.kind == "safeguarded"] == ["cn.important.notified"]


def test_unstated_notification_is_presumed_absent(engine: Engine) -> None:
    """Art 2: data never notified need not be declared, so business data that does not say
    still leaves on the trade lane, naming the assumption."""
    t = _cn_important("business.operations")
    body = t.model_dump(mode="json", exclude_none=True)
    body["context"] = {"exporter_automotive_data_processor": False}
    d = engine.decide(Transfer.model_validate(body), AS_OF)
    assert d.verdict is Verdict.ALLOW
    assert "cn.important.notified" not in {r.entry_id for r in d.reasons if r.kind == "entry"}


@pytest.mark.parametrize(("day", "verdict"), [("2031-12-27", Verdict.ALLOW), ("2031-12-28", Verdict.REVIEW)])
def test_uk_adequacy_runs_to_27_december_2031(day: str, verdict: Verdict, engine: Engine) -> None:
    """The renewed UK adequacy decision (19 December 2025) has a sunset: after it, whether
    it was renewed must be determined (review), never assumed."""
    body: dict[str, Any] = {
        "id": "gb",
        "origin": "DE",
        "destination": "GB",
        "date": day,
        "purpose": "business_operations",
        "recipient": {"name": "Example UK Ltd", "type": "company"},
        "data": [{"category": "personal.contact", "individuals": 500, "anonymised": False}],
    }
    d = engine.decide(Transfer.model_validate(body))
    assert d.verdict is verdict
    standing = [r.entry_id for r in d.reasons if r.kind in ("entry", "missing_fact")]
    assert standing == ([] if verdict is Verdict.ALLOW else ["eu.transfer.gb_adequacy_sunset"])


# Each mechanism's end in law, as confirmed (docs/catalogue-sources.md): the last day one
# could be concluded and the last day it could be relied on; no other mechanism has one.
ENDED = {
    # Decision (EU) 2021/914 Art 4: repealed for contracts from 27 September 2021, until 27 December 2022.
    "eu.scc_2010": (dt.date(2021, 9, 26), dt.date(2022, 12, 26)),
    # ICO transitional provisions: contracts on or before 21 September 2022, until 21 March 2024.
    "uk.scc_2010": (dt.date(2022, 9, 21), dt.date(2024, 3, 20)),
}


def test_the_confirmed_mechanism_ends_and_no_others(policies: Policies) -> None:
    found = {
        k: (m.concluded_until, m.available_until)
        for k, m in policies.taxonomy.mechanisms.items()
        if m.concluded_until or m.available_until
    }
    assert found == ENDED
    for name in ENDED:
        assert policies.taxonomy.mechanisms[name].until_citation is not None, name


def test_an_end_without_its_citation_is_refused() -> None:
    with pytest.raises(ValidationError, match="until_citation"):
        Mechanism.model_validate({"description": "x", "available_until": "2022-12-26"})
    with pytest.raises(ValidationError, match="until_citation"):
        Mechanism.model_validate({"description": "x", "concluded_until": "2021-09-26"})


def _old_clauses(mechanism: str, obtained: str, day: str) -> Transfer:
    body: dict[str, Any] = {
        "id": "old",
        "origin": "DE" if mechanism.startswith("eu.") else "GB",
        "destination": "IN",
        "date": day,
        "recipient": {"name": "Example India Pvt Ltd", "type": "company"},
        "purpose": "business_operations",
        "transaction": "vendor_agreement",
        "impact_assessment": {"outcome": "not_impinged"},
        "data": [{"category": "personal.contact", "individuals": 500, "anonymised": False}],
        "safeguards": [{"mechanism": mechanism, "reference": "OLD-1", "obtained": obtained}],
    }
    return Transfer.model_validate(body)


@pytest.mark.parametrize("mechanism", sorted(ENDED))
def test_old_clauses_hold_to_their_last_day_and_not_after(mechanism: str, engine: Engine) -> None:
    _concluded, last = ENDED[mechanism]
    early = "2020-01-02"
    assert engine.decide(_old_clauses(mechanism, early, last.isoformat())).verdict is Verdict.ALLOW
    after = engine.decide(_old_clauses(mechanism, early, (last + dt.timedelta(days=1)).isoformat()))
    assert after.verdict is Verdict.RESTRICT
    checks = [c for r in after.reasons for c in r.safeguards if c.mechanism == mechanism]
    assert checks and all(c.status == "expired" and c.detail == f"expired on {last}" for c in checks)


@pytest.mark.parametrize("mechanism", sorted(ENDED))
def test_old_clauses_concluded_after_the_cutoff_are_none(mechanism: str, engine: Engine) -> None:
    concluded, last = ENDED[mechanism]
    day = last.isoformat()
    assert engine.decide(_old_clauses(mechanism, concluded.isoformat(), day)).verdict is Verdict.ALLOW
    late = (concluded + dt.timedelta(days=1)).isoformat()
    d = engine.decide(_old_clauses(mechanism, late, day))
    assert d.verdict is Verdict.RESTRICT
    checks = [c for r in d.reasons for c in r.safeguards if c.mechanism == mechanism]
    expected = f"obtained {late}, after the last day it could be concluded, {concluded}"
    assert checks and all(c.status == "expired" and c.detail == expected for c in checks)
