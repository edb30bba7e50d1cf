"""The review rate of the realistic manifests (benchmarks/review_rate.py) as a test of its
mechanisms, not of a count: every review names what it waits for; a Fides declaration's
data use leaves no review waiting for the purpose where the use cannot be a legal request;
the facts files only ever lower the share of reviews (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.review_rate import Tally, measure, scan_repository

ROOT = Path(__file__).resolve().parent.parent / "examples" / "realistic"


@pytest.fixture(scope="module")
def tallies() -> tuple[Tally, Tally]:
    return measure(ROOT, with_facts=False), measure(ROOT, with_facts=True)


def test_the_facts_files_never_raise_the_review_share(tallies: tuple[Tally, Tally]) -> None:
    without, with_ = tallies
    assert without.total == with_.total > 0 and not without.errors and not with_.errors
    assert with_.share("review") <= without.share("review")
    # A fact stated once never turns a restrict into something laxer.
    assert with_.verdicts["restrict"] >= without.verdicts["restrict"]


def test_every_review_names_what_it_waits_for(tallies: tuple[Tally, Tally]) -> None:
    for where, facts in tallies[1].reviews:
        assert facts, where


def test_no_review_waits_for_a_purpose_its_data_use_or_facts_file_rules_out(
    tallies: tuple[Tally, Tally],
) -> None:
    """cn-shop's facts file excludes foreign legal requests; elsewhere, a Fides declaration's
    data use bounds the purpose: neither leaves `purpose` open for the foreign-request rule."""
    for where, facts in tallies[1].reviews:
        if where.startswith("cn-shop/") or ".fides.yaml" in where:
            assert "purpose" not in facts, where


def test_a_bounded_data_use_is_stated_in_the_decision() -> None:
    result = scan_repository(ROOT / "cn-shop", with_facts=False)
    seen = {}
    for f in result.files:
        for t in f.transfers:
            if t.decision is not None and f.path == "order-platform.fides.yaml":
                seen[t.id] = [a for a in t.decision.assumptions if a.fact == "purpose"]
    notifications = seen["order_platform:Order_confirmation_e-mails:CN-US"]
    assert notifications and "essential.service.notifications" in notifications[0].source
    # A marketing use states its purpose outright: nothing is bounded, nothing assumed.
    assert seen["order_platform:Campaign_analytics:CN-US"] == []
