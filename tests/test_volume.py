"""An organisation's volume (issue 19): a facts file states once how many individuals' data
it sends abroad in any 12 months, and an unstated count is decided within that bound only
(docs/semantics.md, section 4a).

China counts individuals since 1 January per exporter (2024 Provisions Arts 5-8: 100,000
and 1,000,000 individuals of personal information, 10,000 of sensitive personal
information), so a flow stating no count is open; a bound closes it where every count
within the bound gives the same verdict, and never lets a count the bound allows escape."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import Engine, Policies, Transfer, Verdict
from dataflow_rules.engine.counting import CountKey, PriorItem, tally
from dataflow_rules.engine.volume import BOUNDED_WINDOWS, VolumeBound, bound_transfer
from dataflow_rules.errors import InputError
from dataflow_rules.facts_file import read_facts
from dataflow_rules.models.facts import Facts
from dataflow_rules.render.text import render

DAY = dt.date(2026, 6, 1)
SOURCE = "dataflow-rules.yaml"


def _facts(volume: dict[str, int]) -> Facts:
    return Facts.model_validate({"volume": volume, "source": SOURCE})


def _cn(data: list[dict[str, Any]], **extra: Any) -> Transfer:
    """A CN shop stating every fact but the counts (a marketing flow: no exemption)."""
    return Transfer.model_validate(
        {
            "id": "t",
            "origin": "CN",
            "destination": "DE",
            "exporter": {"id": "shop", "ciio": False},
            "recipient": {"type": "company"},
            "purpose": "marketing",
            "context": {"exporter_automotive_data_processor": False},
            "data": data,
            **extra,
        }
    )


CONTACTS = [{"category": "personal.contact", "anonymised": False}]
HEALTH = [*CONTACTS, {"category": "personal.health", "anonymised": False}]


def _decide(engine: Engine, t: Transfer, volume: dict[str, int] | None, prior: Any = ()) -> Any:
    facts = _facts(volume) if volume is not None else None
    return engine.decide(t, DAY, prior=prior, facts=facts, today=DAY)


# -- exact cases at China's thresholds ----------------------------------------------------


def test_without_a_bound_an_unstated_count_is_review(engine: Engine) -> None:
    d = _decide(engine, _cn(CONTACTS), None)
    assert d.verdict is Verdict.REVIEW
    assert not any(a.fact.startswith("volume") for a in d.assumptions)


def test_a_bound_below_100000_is_the_small_volume_exemption_and_names_the_file(engine: Engine) -> None:
    d = _decide(engine, _cn(CONTACTS), {"personal": 99_999})
    assert d.verdict is Verdict.ALLOW
    (a,) = [a for a in d.assumptions if a.fact.startswith("volume")]
    assert a.fact == "volume.personal" and a.source == SOURCE
    assert a.value == "at most 99,999 individuals in any 12 months"
    assert "dataflow-rules.yaml volume.personal" in a.sentence
    assert "data[].individuals" in a.override
    text = " ".join(render([d]).split())
    assert "at most 99,999 individuals in any 12 months: dataflow-rules.yaml volume.personal" in text
    dumped = json.loads(d.model_dump_json())["assumptions"]
    assert [a["source"] for a in dumped if a["fact"] == "volume.personal"] == [SOURCE]


@pytest.mark.parametrize("bound", [100_000, 100_001])
def test_a_bound_reaching_100000_stays_open_on_the_count(engine: Engine, bound: int) -> None:
    """100,000 is within the bound and needs the standard contract; fewer is exempt."""
    d = _decide(engine, _cn(CONTACTS), {"personal": bound})
    assert d.verdict is Verdict.REVIEW
    assert d.cases is not None and d.cases.splits == ["data[0].individuals"]
    ranges = [(str(b.values["data[0].individuals"]), b.verdict) for b in d.cases.branches]
    below = [v for label, v in ranges if label.endswith("99,999") or label.endswith("9,999")]
    assert below and set(below) == {Verdict.ALLOW}, ranges
    assert ("100,000", Verdict.RESTRICT) in ranges
    # The last range ends at the bound: no count above it was considered.
    assert ranges[-1] == (f"{bound:,}", Verdict.RESTRICT)


def test_a_sensitive_bound_of_9999_is_the_standard_contract(engine: Engine) -> None:
    d = _decide(engine, _cn(HEALTH), {"personal": 60_000, "personal.health": 9_999})
    assert d.verdict is Verdict.RESTRICT
    assert [r.entry_id for r in d.reasons if r.verdict is Verdict.RESTRICT] == ["cn.pi.sensitive.contract"]
    (a,) = [a for a in d.assumptions if a.fact.startswith("volume")]
    assert a.value == "personal: 60,000; personal.health: 9,999"


def test_a_sensitive_bound_of_10000_restricts_whatever_the_count(engine: Engine) -> None:
    """Within 10,000 both the contract (fewer) and the assessment (10,000) restrict."""
    d = _decide(engine, _cn(HEALTH), {"personal": 60_000, "personal.health": 10_000})
    assert d.verdict is Verdict.RESTRICT
    assert d.cases is not None and d.cases.facts == ["data[1].individuals"]
    assert {b.values["data[1].individuals"] for b in d.cases.branches} == {"0 to 9,999", "10,000"}
    restricting = {r.entry_id for r in d.reasons if r.verdict is Verdict.RESTRICT}
    assert restricting == {"cn.pi.sensitive.contract", "cn.pi.sensitive.assessment"}


def test_several_open_counts_are_decided_over_the_capped_totals(engine: Engine) -> None:
    """Health and financial data, neither counted, within 10,000 sensitive individuals:
    fewer needs the contract, 10,000 the assessment; both restrict, whatever the totals."""
    both = [
        {"category": "personal.health", "anonymised": False},
        {"category": "personal.financial", "anonymised": False},
    ]
    volume = {"personal": 50_000, "personal.health": 5_000, "personal.financial": 5_000}
    assert _decide(engine, _cn(both), None).verdict is Verdict.REVIEW
    d = _decide(engine, _cn(both), volume)
    assert d.verdict is Verdict.RESTRICT
    assert d.cases is not None and len(d.cases.facts) == 1
    (total,) = d.cases.facts
    assert total.startswith("individuals of") and total.endswith("since 1 January")
    assert {b.values[total] for b in d.cases.branches} == {"0 to 9,999", "10,000"}
    assert any("whatever" in w and "within the organisation's volume" in w for w in d.warnings)
    # One line that leaves the totals able to reach a threshold at which the verdict differs
    # is no decision: 100,000 ordinary individuals or more need the contract, fewer do not.
    mixed = [{"category": "personal.contact", "anonymised": False}, {"category": "personal.identifiers"}]
    assert _decide(engine, _cn(mixed), {"personal": 200_000}).verdict is Verdict.REVIEW


def test_a_stated_count_above_the_bound_is_kept_and_the_bound_is_said_to_be_contradicted(
    engine: Engine,
) -> None:
    stated = _cn([{**CONTACTS[0], "individuals": 150_000}, {"category": "personal.identifiers"}])
    without = _decide(engine, stated, None)
    d = _decide(engine, stated, {"personal": 99_999})
    assert d.verdict is without.verdict  # never below what the stated counts give
    assert d.verdict is not Verdict.ALLOW
    assert not any(a.fact.startswith("volume") for a in d.assumptions)
    (w,) = [w for w in d.warnings if "contradicted" in w]
    assert "volume.personal says at most 99,999, the stated counts make 150,000" in w


def test_a_bound_caps_an_open_ledger_but_never_a_stated_one(engine: Engine) -> None:
    def earlier(n: int | None, source: str) -> PriorItem:
        return PriorItem(source, source, dt.date(2026, 3, 1), "shop", "", "personal.contact", individuals=n)

    open_ledger = [earlier(None, "record 1"), earlier(30_000, "record 2")]
    d = _decide(engine, _cn(CONTACTS), {"personal": 99_999}, prior=open_ledger)
    assert d.verdict is Verdict.ALLOW
    assert any(a.fact == "volume.personal" for a in d.assumptions)
    assert _decide(engine, _cn(CONTACTS), None, prior=open_ledger).verdict is Verdict.REVIEW
    # Stated earlier counts above the bound: the bound is contradicted, the ledger decides.
    full = [earlier(120_000, "record 3")]
    d = _decide(engine, _cn(CONTACTS), {"personal": 99_999}, prior=full)
    assert d.verdict is Verdict.RESTRICT
    assert any("contradicted" in w for w in d.warnings)


def test_only_individuals_over_windows_of_at_most_12_months_are_capped(policies: Policies) -> None:
    t = bound_transfer(_cn(CONTACTS), VolumeBound({"personal": 5_000}, SOURCE))
    tax = policies.taxonomy
    for window in ("transfer", "calendar_year", "preceding_12_months"):
        capped = tally(tax, CountKey(("personal",), "individuals", window), t, DAY)  # type: ignore[arg-type]
        assert (capped.low, capped.high, capped.volume) == (0, 5_000, ("personal",))
    assert tally(tax, CountKey(("personal",), "records"), t, DAY).high is None
    products = bound_transfer(
        _cn([{"category": "business.product"}]), VolumeBound({"personal": 5_000}, SOURCE)
    )
    assert tally(tax, CountKey(("business",), "individuals"), products, DAY).high is None
    # The windows catalogues may declare: every one bounded is at most 12 months long; the
    # one that is longer (China's 2022 Measures, since 1 January of the previous year: up
    # to two calendar years) is never capped by a statement about any 12 months.
    from typing import get_args

    from dataflow_rules.models.catalogue import Window

    assert set(get_args(Window)) - BOUNDED_WINDOWS == {"previous_and_current_year"}
    longer = tally(tax, CountKey(("personal",), "individuals", "previous_and_current_year"), t, DAY)
    assert (longer.low, longer.high, longer.volume) == (0, None, ())  # open: no cap


def test_a_line_covers_its_category_and_those_under_it(policies: Policies) -> None:
    bound = VolumeBound({"personal": 60_000, "personal.health": 0, "personal.biometric": 5}, SOURCE)
    tax = policies.taxonomy
    assert bound.cap(tax, ("personal.health.clinical",)) == (0, ["personal.health"])
    assert bound.cap(tax, ("personal.health", "personal.biometric")) == (
        5,
        ["personal.biometric", "personal.health"],
    )
    assert bound.cap(tax, ("personal.contact", "personal.health")) == (60_000, ["personal"])
    assert bound.cap(tax, ("business.product",)) is None
    assert bound.cap(tax, None) is None


# -- the facts file ---------------------------------------------------------------------


def test_volume_errors_are_each_located_and_reported_together(tmp_path: Path, policies: Policies) -> None:
    path = tmp_path / "dataflow-rules.yaml"
    path.write_text(
        "facts:\n  volume:\n    personal: -1\n    personal.contact: 1.5\n    personal.helth: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_facts(None, start=tmp_path, config=path, categories=policies.taxonomy.categories)
    problems = caught.value.problems
    assert [p.location.line for p in problems if p.location] == [3, 4, 5]
    messages = [p.message for p in problems]
    assert "greater than or equal to 0" in messages[0]
    assert "integer" in messages[1]
    assert "unknown category 'personal.helth'" in messages[2]
    assert all(p.location and p.location.file == str(path) for p in problems)
    assert [p.location.field for p in problems if p.location] == [
        "facts.volume.personal",
        "facts.volume.personal.contact",
        "facts.volume.personal.helth",
    ]


def test_a_volume_is_read_from_the_facts_file(tmp_path: Path, policies: Policies) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("volume:\n  personal: 60000\n", encoding="utf-8")
    facts = read_facts(path, categories=policies.taxonomy.categories)
    assert facts is not None and facts.volume == {"personal": 60_000}


# -- properties -------------------------------------------------------------------------

SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}

CATEGORIES = [
    "personal.contact",
    "personal.health",
    "personal.financial",
    "personal.identifiers",
    "business.product",
]
POINTS = [0, 1, 9_999, 10_000, 99_999, 100_000, 999_999, 1_000_000, 2_000_000]
"""Every threshold of the shipped CN and US catalogues in individuals, either side."""


@st.composite
def bounded_flows(draw: Any) -> tuple[Transfer, dict[str, int]]:
    origin = draw(st.sampled_from(["CN", "US"]))
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"category": st.sampled_from(CATEGORIES), "anonymised": st.just(False)},
                optional={"individuals": st.sampled_from(POINTS[:6])},
            ),
            min_size=1,
            max_size=2,
        )
    )
    volume = {"personal": draw(st.sampled_from(POINTS[1:]))}
    if draw(st.booleans()):
        volume[draw(st.sampled_from(["personal.health", "personal.financial"]))] = draw(
            st.sampled_from(POINTS)
        )
    t = Transfer.model_validate(
        {
            "id": "v",
            "origin": origin,
            "destination": "SG" if origin == "US" else "DE",
            "exporter": {"id": "x", "ciio": False},
            "recipient": {"type": "company", "controlled_by": "SG", "designated": False},
            "purpose": draw(st.sampled_from(["marketing", "contract_performance"])),
            "transaction": "vendor_agreement",
            "context": {"exporter_automotive_data_processor": False, "exporter_is_data_broker": False},
            "data": items,
        }
    )
    return t, volume


def _within(t: Transfer, volume: dict[str, int], counts: tuple[int, ...], policies: Policies) -> bool:
    """Whether stating ``counts`` for the open items keeps every line of the bound."""
    tax = policies.taxonomy
    filled = _filled(t, counts)
    for line, limit in volume.items():
        total = sum(item.individuals or 0 for item in filled.data if line in tax.get(item.category).ancestors)
        if total > limit:
            return False
    return True


def _filled(t: Transfer, counts: tuple[int, ...]) -> Transfer:
    values = iter(counts)
    data = [
        i if i.individuals is not None else i.model_copy(update={"individuals": next(values)}) for i in t.data
    ]
    return t.model_copy(update={"data": data})


@settings(max_examples=150, **SETTINGS)
@given(flow=bounded_flows())
def test_a_bound_decides_as_every_count_within_it_would(
    engine: Engine, policies: Policies, flow: tuple[Transfer, dict[str, int]]
) -> None:
    """The bounded decision allows only if every count within the bound (sampled at each
    breakpoint and at the bound) allows; restricts only if one restricts; when they all
    agree, that is the verdict (unless the bound is contradicted, when it is the verdict
    without the bound). It never allows what the counts stated at the bound do not."""
    t, volume = flow
    bounded = _decide(engine, t, volume)
    open_items = [i for i in t.data if i.individuals is None]
    # Each threshold and bound, and what is left of it after the stated counts: a stated
    # 10,000 under a bound of 100,000 leaves an open item room for 90,000, where the total
    # reaches the 100,000 threshold (the engine's review there is right; a sample without
    # that point would miss it).
    stated = sum(i.individuals or 0 for i in t.data)
    edges = {*POINTS, *volume.values()}
    limits = sorted(edges | {x - stated for x in edges if x >= stated})
    combos = [c for c in itertools.product(limits, repeat=len(open_items)) if _within(t, volume, c, policies)]
    if not combos or any("contradicted" in w for w in bounded.warnings):
        assert bounded.verdict is _decide(engine, t, None).verdict
        return
    each = {c: engine.decide(_filled(t, c), DAY, today=DAY).verdict for c in combos}
    verdicts = set(each.values())
    if bounded.verdict is Verdict.ALLOW:
        assert verdicts == {Verdict.ALLOW}, each
    if bounded.verdict is Verdict.RESTRICT:
        assert Verdict.RESTRICT in verdicts, each
    if len(verdicts) == 1 and Verdict.REVIEW not in verdicts:
        assert bounded.verdict is verdicts.pop(), each
    if open_items and len(open_items) == 1:
        at_bound = min(volume["personal"], max(c[0] for c in combos))
        stated = engine.decide(_filled(t, (at_bound,)), DAY, today=DAY).verdict
        if stated is not Verdict.ALLOW:
            assert bounded.verdict is not Verdict.ALLOW


# -- the realistic shop -----------------------------------------------------------------


def test_the_shops_volume_decides_its_flows_and_allows_none_it_did_not() -> None:
    """cn-shop states at most 240,000 individuals (its customer table): the flows it
    decides are decided restrict (100,000 to fewer than 1,000,000 individuals), none allow,
    and each names the file's line."""
    from benchmarks.review_rate import ROOT, scan_repository

    repo = ROOT / "examples" / "realistic" / "cn-shop"
    with_volume = {t.id: t.decision for f in scan_repository(repo, True).files for t in f.transfers}
    changed = 0
    for tid, d in with_volume.items():
        assert d is not None
        if any(a.fact == "volume.personal" for a in d.assumptions):
            assert d.verdict is not Verdict.ALLOW, tid
            changed += d.verdict is Verdict.RESTRICT
        assert not any("contradicted" in w for w in d.warnings), tid
    assert changed >= 8


def test_a_sidecars_population_counts_a_tables_columns_once(tmp_path: Path) -> None:
    """Four columns of one 240,000-customer table: four times 240,000 unless the sidecar
    says they are one population (what made cn-shop's volume contradicted)."""
    from benchmarks.review_rate import scan_repository

    (tmp_path / "dataflow-rules.yaml").write_text("origin: CN\nfacts:\n  exporter: {id: s, ciio: false}\n")
    (tmp_path / "customers.fides.yaml").write_text(
        "dataset:\n- fides_key: customers\n  third_country_transfers: [SGP]\n  collections:\n"
        "  - name: customers\n    fields:\n"
        "    - {name: id, data_categories: [user.unique_id]}\n"
        "    - {name: email, data_categories: [user.contact.email]}\n"
    )
    sidecar = tmp_path / "customers.fides.dataflow.yaml"
    for population, total in ((None, "480,000"), ("customers", "240,000")):
        line = f"  population: {population}\n" if population else ""
        sidecar.write_text(f"data:\n  individuals: 240000\n{line}")
        (t,) = [t for f in scan_repository(tmp_path, True).files for t in f.transfers]
        assert t.decision is not None
        said = " ".join(r.sentence for r in t.decision.reasons)
        assert f"{total} individuals" in said, said
