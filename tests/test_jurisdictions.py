"""EU, UK, Japan and Singapore catalogues, EU member-state resolution and onward legs.

Examples in examples/jurisdictions/ get the verdicts in expected_jurisdictions.yaml with
cited reasons; the rest states the semantics of docs/semantics.md sections 2 and 8a.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataflow_rules import Engine, Policies, Transfer, Verdict, read_transfers
from dataflow_rules.catalogues import build_policies
from dataflow_rules.errors import CatalogueError
from dataflow_rules.models.taxonomy import Taxonomy

from .conftest import EXAMPLES

HERE = EXAMPLES / "jurisdictions"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "expected_jurisdictions.yaml").read_text()
)
NEW = ("EU", "GB", "JP", "SG")
DATE = "2026-03-02"


def _t(origin: str, destination: str, **extra: Any) -> Transfer:
    body: dict[str, Any] = {
        "id": f"{origin}-{destination}",
        "origin": origin,
        "destination": destination,
        "date": DATE,
        "data": [{"category": "personal.contact", "individuals": 5000, "anonymised": False}],
    }
    body.update(extra)
    return Transfer.model_validate(body)


def test_every_example_has_an_expectation() -> None:
    assert sorted(p.name for p in HERE.glob("*.yaml")) == sorted(EXPECTED)
    prefixes = {name.split("-", 1)[0] for name in EXPECTED}
    assert {"eu", "gb", "jp", "sg", "cn", "us"} <= prefixes
    assert {e["verdict"] for e in EXPECTED.values()} == {"allow", "review", "restrict"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(name: str, policies: Policies, engine: Engine) -> None:
    (located,) = read_transfers(HERE / name, policies)
    decision = engine.decide(located.transfer)
    expected = EXPECTED[name]
    assert decision.verdict.value == expected["verdict"]
    standing = [r.entry_id for r in decision.reasons if r.kind in ("entry", "localisation", "missing_fact")]
    assert standing == expected["standing"]
    assert [r.entry_id for r in decision.reasons if r.kind in ("exemption", "green_lane")] == expected[
        "cleared_by"
    ]
    for reason in decision.reasons:
        if reason.kind not in ("default", "no_catalogue", "domestic"):
            assert reason.citations and all(c.instrument and c.article and c.date for c in reason.citations)


def test_new_catalogues_are_shipped_and_every_new_country_resolves(policies: Policies) -> None:
    assert set(NEW) <= set(policies.catalogues)
    eu = policies.catalogues["EU"].catalogue
    assert len(eu.covers) == 27
    for member in eu.covers:
        assert policies.jurisdiction_of(member) == "EU"
    for code in ("CN", "US", "GB", "JP", "SG"):
        assert policies.jurisdiction_of(code) == code
    assert policies.jurisdiction_of("NO") is None  # EEA EFTA: GDPR applies there, no catalogue here
    assert policies.jurisdiction_of("VN") is None


COUNTRIES = ["CN", "US", "DE", "FR", "GB", "JP", "SG"]


@pytest.mark.parametrize(("origin", "destination"), list(itertools.permutations(COUNTRIES, 2)))
def test_every_pair_is_decided_with_cited_reasons(engine: Engine, origin: str, destination: str) -> None:
    """The issue's 'done when': cited decisions among CN, US, EU members, UK, JP and SG."""
    decision = engine.decide(_t(origin, destination, purpose="business_operations"))
    kinds = {r.kind for r in decision.reasons}
    assert "no_catalogue" not in kinds
    if {origin, destination} == {"DE", "FR"}:
        assert kinds == {"domestic"} and decision.reasons[0].jurisdiction == "EU"
        return
    for reason in decision.reasons:
        assert reason.jurisdiction in {"CN", "US", "EU", "GB", "JP", "SG"}
        if reason.kind not in ("default", "domestic"):
            assert reason.citations


def test_member_state_reasons_name_the_eu_and_its_catalogue(engine: Engine) -> None:
    decision = engine.decide(_t("DE", "CN"))
    (finding,) = [r for r in decision.reasons if r.kind == "entry"]
    assert finding.jurisdiction == "EU" and finding.entry_id == "eu.transfer.no_adequacy"
    assert {c.jurisdiction for c in decision.catalogues} == {"CN", "EU"}


@pytest.mark.parametrize(
    "destination", ["AD", "AR", "BR", "CA", "CH", "GB", "IL", "JP", "KR", "NZ", "UY", "NO", "IS"]
)
def test_eu_adequate_and_eea_destinations_need_nothing(engine: Engine, destination: str) -> None:
    """A company recipient in an adequate country: nothing stands. Japan, Korea and Brazil,
    adequate only from their decisions' days, are cleared by the exemption of that day."""
    company = {"name": "Example Co", "type": "company"}
    decision = engine.decide(_t("DE", destination, recipient=company))
    assert decision.verdict is Verdict.ALLOW
    cleared = [r.entry_id for r in decision.reasons if r.jurisdiction == "EU" and r.kind != "default"]
    later = {"JP": "jp", "KR": "kr", "BR": "br"}
    assert cleared == ([f"eu.exempt.adequacy_from.{later[destination]}"] if destination in later else [])


@pytest.mark.parametrize(
    ("destination", "decided"), [("JP", "2019-01-23"), ("KR", "2021-12-17"), ("BR", "2026-01-28")]
)
def test_eu_adequacy_counts_from_its_decisions_day(engine: Engine, destination: str, decided: str) -> None:
    """The day before a later member's decision the transfer needed a mechanism; on the day, not."""
    company = {"name": "Example Co", "type": "company"}
    day = dt.date.fromisoformat(decided)
    before = engine.decide(_t("DE", destination, recipient=company), as_of=day - dt.timedelta(days=1))
    on = engine.decide(_t("DE", destination, recipient=company), as_of=day)
    assert before.verdict is Verdict.RESTRICT and on.verdict is Verdict.ALLOW
    assert [r.entry_id for r in before.reasons if r.kind == "entry"] == [
        f"eu.transfer.adequacy_not_yet.{destination.lower()}"
    ]


@pytest.mark.parametrize("origin", ["DE", "GB"])
@pytest.mark.parametrize("destination", ["CA", "JP"])
def test_partial_adequacy_covers_no_public_body(engine: Engine, origin: str, destination: str) -> None:
    """Canada's and Japan's adequacy reach private-sector recipients only: a government body
    there needs a mechanism, and an unstated recipient type is review, naming it."""
    gov = engine.decide(_t(origin, destination, recipient={"name": "Ministry", "type": "government"}))
    assert gov.verdict is Verdict.RESTRICT
    assert next(r.entry_id for r in gov.reasons if r.kind == "entry").endswith("partial_adequacy.public_body")
    unstated = engine.decide(_t(origin, destination))
    assert unstated.verdict is Verdict.REVIEW
    assert any(r.kind == "missing_fact" and "recipient.type" in r.sentence for r in unstated.reasons)


@pytest.mark.parametrize("origin", ["DE", "GB"])
def test_a_canadian_university_needs_a_pipeda_determination(engine: Engine, origin: str) -> None:
    uni = engine.decide(
        _t(origin, "CA", recipient={"name": "Example University", "type": "research_institution"})
    )
    assert uni.verdict is Verdict.REVIEW
    assert next(r.entry_id for r in uni.reasons if r.kind == "entry").endswith(
        "partial_adequacy.ca_non_commercial"
    )


@pytest.mark.parametrize("destination", ["CN", "IN", "SG", "RU", "AE"])
def test_eu_non_adequate_destinations_need_a_mechanism(engine: Engine, destination: str) -> None:
    decision = engine.decide(_t("IT", destination))
    eu = [r for r in decision.reasons if r.jurisdiction == "EU" and r.kind == "entry"]
    assert [r.entry_id for r in eu] == ["eu.transfer.no_adequacy"]
    assert eu[0].verdict is Verdict.RESTRICT and ["eu.scc"] in eu[0].mechanisms


def test_uk_and_japan_recognise_the_eea_and_japan_the_uk(engine: Engine) -> None:
    assert engine.decide(_t("GB", "FR")).verdict is Verdict.ALLOW
    assert engine.decide(_t("JP", "FR")).verdict is Verdict.ALLOW
    # The PPC announced on 28 January 2020 that the UK stays designated after leaving the EU.
    jp_gb = engine.decide(_t("JP", "GB"))
    assert jp_gb.verdict is Verdict.ALLOW
    assert not [r for r in jp_gb.reasons if r.kind == "entry"]


def test_jp_consent_safeguard_allows(engine: Engine) -> None:
    consent = {"mechanism": "jp.consent", "reference": "C-1", "obtained": "2025-01-01"}
    assert engine.decide(_t("JP", "US", safeguards=[consent])).verdict is Verdict.ALLOW


def test_onward_leg_reasons_are_prefixed_and_combined_strictest(engine: Engine) -> None:
    base = {"recipient": {"name": "SG Co", "type": "company"}, "purpose": "business_operations"}
    direct = engine.decide(_t("DE", "SG", **base))
    chained = engine.decide(_t("DE", "SG", **base, onward=[{"destination": "CN"}]))
    assert direct.verdict is Verdict.RESTRICT and chained.verdict is Verdict.RESTRICT
    onward = [r for r in chained.reasons if r.sentence.startswith("Onward leg 1")]
    # The SG -> CN leg (SG's s.26) and the EU's rules following the data to China.
    assert {(r.jurisdiction, r.entry_id) for r in onward if r.kind == "entry"} == {
        ("SG", "sg.pdpa.transfer_limitation"),
        ("EU", "eu.transfer.no_adequacy"),
    }
    verdicts = [r.verdict.rank for r in chained.reasons if r.kind not in ("exemption", "green_lane")]
    assert verdicts == sorted(verdicts, reverse=True)


def test_onward_leg_back_into_the_origin_is_not_checked_twice(engine: Engine) -> None:
    decision = engine.decide(_t("DE", "SG", onward=[{"destination": "FR"}]))
    labels = {r.sentence.split(":", 1)[0] for r in decision.reasons if r.sentence.startswith("Onward")}
    assert labels == {"Onward leg 1 (SG to FR)"}


def test_an_onward_leg_never_lowers_the_verdict(engine: Engine) -> None:
    for origin, middle, last in itertools.permutations(COUNTRIES, 3):
        first = engine.decide(_t(origin, middle))
        chained = engine.decide(_t(origin, middle, onward=[{"destination": last}]))
        assert chained.verdict.rank >= first.verdict.rank, (origin, middle, last)


COVERS_TWICE = """
jurisdiction: EU
covers: [DE, FR]
title: t
version: "1"
effective: 2020-01-01
sources: [{instrument: i, article: a, date: 2020-01-01}]
"""


def test_a_country_covered_twice_is_a_load_error(taxonomy: Taxonomy) -> None:
    de = 'jurisdiction: DE\ntitle: t\nversion: "1"\neffective: 2020-01-01\nsources: [{instrument: i, article: a, date: 2020-01-01}]\n'
    with pytest.raises(CatalogueError, match="DE is covered by two catalogues"):
        build_policies(taxonomy, [("eu.yaml", COVERS_TWICE), ("de.yaml", de)])


def test_eu_needs_covers(taxonomy: Taxonomy) -> None:
    with pytest.raises(CatalogueError, match="not a country"):
        build_policies(taxonomy, [("eu.yaml", COVERS_TWICE.replace("covers: [DE, FR]\n", ""))])


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    from dataflow_rules import load_policies

    return load_policies().taxonomy
