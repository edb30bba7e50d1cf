"""One test per measured limit of durable-rules (shared/reference/durable-rules-notes.md).

Each test names the point of the notes it guards. Where the engine must give the same
answer as the specification, the reference evaluator (tests/reference.py) says what the
answer is.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import multiprocessing
import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pycountry
import pytest

from dataflow_rules import Engine, Policies, Transfer, Verdict
from dataflow_rules.catalogues import build_policies
from dataflow_rules.engine.compile import MAX_RULES_PER_RULESET, compile_policies
from dataflow_rules.engine.durable import MAX_PROPERTIES

from .reference import project, reference_decide
from .strategies import (
    CATEGORIES,
    CITATION,
    PURPOSES,
    TAXONOMY,
    policies_from,
    random_catalogue,
    random_transfer,
    to_yaml,
)

DAY = dt.date(2025, 6, 1)
PACKAGE = Path(__file__).resolve().parent.parent / "dataflow_rules"


def catalogue(code: str, entries: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "jurisdiction": code,
        "title": f"Catalogue {code}",
        "version": "1",
        "effective": "2020-01-01",
        "sources": [CITATION],
        "entries": entries,
        **extra,
    }


def entry(ident: str, categories: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "title": f"Entry {ident}",
        "categories": categories,
        "direction": "outbound",
        "outcome": "restrict",
        "requirement": "prohibited",
        "citations": [CITATION],
        **extra,
    }


def transfer(origin: str, destination: str, *categories: str, **extra: Any) -> Transfer:
    return Transfer.model_validate(
        {
            "id": "t",
            "origin": origin,
            "destination": destination,
            "data": [{"category": c} for c in categories],
            **extra,
        }
    )


def agrees(engine: Engine, policies: Policies, t: Transfer, unlisted: Verdict | None = None) -> None:
    decision = engine.decide(t, DAY, resolve=False)  # the rules alone, as the reference decides
    assert project(decision) == reference_decide(policies, t, DAY, unlisted).comparable(), t.id


# -- 1. every matching rule fires, not only the first -----------------------------------


def test_1_every_finding_is_reported_not_only_the_first() -> None:
    same = {"when": {"individuals": {"at_least": 10}}}
    policies = policies_from(
        [
            catalogue(
                "CN",
                [
                    entry("a", ["personal.health"], **same),
                    entry("b", ["personal.health"], **same),  # the very same conditions as a
                    entry("c", ["personal"], outcome="review", requirement="determination"),
                    entry("d", ["research"]),
                ],
            )
        ]
    )
    engine = Engine(policies)
    t = Transfer.model_validate(
        {
            "id": "t",
            "origin": "CN",
            "destination": "US",
            "data": [{"category": "personal.health.clinical", "individuals": 10}],
        }
    )
    decision = engine.decide(t, DAY)
    found = {r.entry_id for r in decision.reasons if r.kind == "entry"}
    assert found == {"a", "b", "c"}
    agrees(engine, policies, t)


def test_1_all_findings_across_items_and_rulesets() -> None:
    """More designations than fit in one ruleset: findings from every chunk are kept."""
    n = 3 * MAX_RULES_PER_RULESET + 7
    policies = policies_from([catalogue("CN", [entry(f"e{i}", ["personal.health"]) for i in range(n)])])
    engine = Engine(policies)
    t = transfer("CN", "US", "personal.health", "personal.health.clinical")
    decision = engine.decide(t, DAY)
    reasons = [r for r in decision.reasons if r.kind == "entry"]
    assert {r.entry_id for r in reasons} == {f"e{i}" for i in range(n)}
    assert all(r.items == [0, 1] for r in reasons)
    assert engine.stored_facts() == 0


# -- 2. nothing matching is a result, not an exception ------------------------------------


def test_2_nothing_matches_is_allow_with_the_default_reason() -> None:
    policies = policies_from(
        [
            catalogue("CN", [entry("a", ["personal.health"])]),
            catalogue("US", [entry("b", ["state"], direction="inbound")]),
            catalogue("DE", []),  # no rules at all
        ]
    )
    engine = Engine(policies)
    for origin, destination in (("CN", "US"), ("US", "CN"), ("DE", "CN"), ("CN", "DE")):
        decision = engine.decide(transfer(origin, destination, "business.operations"), DAY)
        assert decision.verdict == Verdict.ALLOW
        assert [(r.kind, r.jurisdiction, r.side) for r in decision.reasons] == [
            ("default", origin, "outbound"),
            ("default", destination, "inbound"),
        ]
    assert engine.stored_facts() == 0


# -- 3. facts are retracted ------------------------------------------------------------------


def test_3_no_facts_left_and_the_same_findings_when_decided_twice() -> None:
    rng = random.Random(3)
    policies = policies_from([random_catalogue(rng, "CN", 150, 5, 5, 3), random_catalogue(rng, "US", 80)])
    engine = Engine(policies)
    transfers = [random_transfer(rng, f"t{i}", ["CN", "US", "DE"]) for i in range(60)]
    first = [engine.decide(t, DAY).model_dump_json() for t in transfers]
    assert engine.stored_facts() == 0
    second = [engine.decide(t, DAY).model_dump_json() for t in transfers]
    assert first == second
    assert engine.stored_facts() == 0


def test_3_stored_facts_on_an_engine_not_yet_used() -> None:
    """durable-rules has no state until a first fact is asserted (get_facts: error 309)."""
    policies = policies_from([catalogue("CN", [entry("a", ["personal"])])])
    engine = Engine(policies)
    assert engine.stored_facts() == 0
    engine.decide(transfer("US", "CN", "personal"), DAY)  # CN inbound: no rules at all
    assert engine.stored_facts() == 0


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc/self/statm")
def test_3_a_closed_engine_gives_its_memory_back() -> None:
    """Measured here (not in the notes): durable-rules frees a used ruleset's memory only
    if its state is deleted first, and deleting a state made only of unhandled asserts
    crashes the process. Anything that builds engines repeatedly (reloading catalogues, a
    diff of two versions per request, one engine per test example) must not grow."""
    policies = policies_from(
        [
            catalogue(
                "CN",
                [
                    entry(f"e{i}", [c], direction="both")
                    for i, c in enumerate(["personal", "research", "state"])
                ],
            )
        ]
    )
    transfers = [
        transfer("CN", "US", "personal", "research", "state"),
        transfer("US", "CN", "personal", "state"),
    ]

    def cycle() -> None:
        engine = Engine(policies)
        for t in transfers:
            engine.decide(t, DAY)
        engine.close()

    for _ in range(5):
        cycle()
    gc.collect()
    before = _rss_mb()
    for _ in range(60):
        cycle()
    gc.collect()
    assert _rss_mb() - before < 10


# -- 4. rule-count cliff: thousands of entries --------------------------------------------


@pytest.mark.slow  # a 5,000-entry catalogue, about 12 s
def test_4_a_catalogue_of_5000_entries_loads_and_decides_correctly() -> None:
    rng = random.Random(4)
    started = time.process_time()  # CPU time: other processes may share the machine
    big = random_catalogue(rng, "CN", 5000, n_localisation=50, n_exemptions=30, n_lanes=5)
    policies = policies_from([big, random_catalogue(rng, "US", 300, n_exemptions=5, n_lanes=2)])
    engine = Engine(policies)
    assert engine.rule_count > 5000
    sizes = [len(chunk.rules) for plan in compile_policies(policies).values() for chunk in plan.chunks()]
    assert max(sizes) <= MAX_RULES_PER_RULESET < 400  # far under the measured cliff
    transfers = [random_transfer(rng, f"t{i}", ["CN", "US", "DE"]) for i in range(120)]
    verdicts = set()
    for t in transfers:
        agrees(engine, policies, t)
        verdicts.add(engine.decide(t, DAY).verdict)
    assert verdicts == {Verdict.ALLOW, Verdict.REVIEW, Verdict.RESTRICT}
    assert engine.stored_facts() == 0
    assert time.process_time() - started < 60


# -- 5. concurrency: one engine shared by threads, or one engine per process ----------------


def _concurrency_catalogues() -> list[dict[str, Any]]:
    rng = random.Random(5)
    return [
        random_catalogue(rng, "CN", 300, 10, 10, 3),
        random_catalogue(rng, "US", 200, 0, 5, 2),
        random_catalogue(rng, "DE", 100, 5, 3, 1),
    ]


def _concurrency_transfers(n: int = 400) -> list[Transfer]:
    rng = random.Random(55)
    return [random_transfer(rng, f"t{i}", ["CN", "US", "DE", "FR"]) for i in range(n)]


def test_5_threads_sharing_one_engine_get_the_sequential_decisions() -> None:
    policies = policies_from(_concurrency_catalogues())
    engine = Engine(policies)
    transfers = _concurrency_transfers()
    sequential = {t.id: engine.decide(t, DAY).model_dump_json() for t in transfers}
    shuffled = list(transfers)
    random.Random(5).shuffle(shuffled)
    start = threading.Barrier(8)

    def work(chunk: list[Transfer]) -> list[tuple[str, str]]:
        start.wait()
        return [(t.id, engine.decide(t, DAY).model_dump_json()) for t in chunk]

    with ThreadPoolExecutor(max_workers=8) as pool:
        chunks = [shuffled[i::8] for i in range(8)]
        concurrent = dict(itertools.chain.from_iterable(pool.map(work, chunks)))
    assert concurrent == sequential
    assert engine.stored_facts() == 0


_WORKER_ENGINE: Engine | None = None


def _worker_init(texts: list[tuple[str, str]]) -> None:
    global _WORKER_ENGINE
    _WORKER_ENGINE = Engine(build_policies(TAXONOMY, texts))


def _worker_decide(t: Transfer) -> tuple[str, str]:
    assert _WORKER_ENGINE is not None
    return t.id, _WORKER_ENGINE.decide(t, DAY).model_dump_json()


@pytest.mark.slow  # a pool of worker processes
def test_5_separate_processes_get_the_sequential_decisions() -> None:
    texts = [(f"{c['jurisdiction']}.yaml", to_yaml(c)) for c in _concurrency_catalogues()]
    policies = build_policies(TAXONOMY, texts)
    engine = Engine(policies)
    transfers = _concurrency_transfers()
    sequential = {t.id: engine.decide(t, DAY).model_dump_json() for t in transfers}
    context = multiprocessing.get_context("spawn")
    with context.Pool(2, initializer=_worker_init, initargs=(texts,)) as pool:
        parallel = dict(pool.map(_worker_decide, transfers, chunksize=25))
    assert parallel == sequential


# -- 6. one fact at a time, however many items ---------------------------------------------


@pytest.mark.slow
def test_6_a_transfer_with_a_thousand_items_against_hundreds_of_rules() -> None:
    rng = random.Random(6)
    policies = policies_from([random_catalogue(rng, "CN", 250, 10, 10, 3)])
    engine = Engine(policies)
    base = random_transfer(rng, "big", ["CN", "US"])
    items = [random_transfer(rng, f"i{i}", ["CN", "US"]).data[0] for i in range(1000)]
    t = base.model_copy(update={"origin": "CN", "destination": "US", "data": items})
    agrees(engine, policies, t)
    assert engine.stored_facts() == 0


# -- 7. small flat facts -------------------------------------------------------------------


def test_7_a_broad_item_against_a_catalogue_naming_every_category() -> None:
    entries = [entry(f"e{i}", [c]) for i, c in enumerate(CATEGORIES)]
    lanes = [
        {
            "id": f"g{i}",
            "title": f"Lane {i}",
            "purposes": ["scientific_research"],
            "categories": [c],
            "citations": [CITATION],
        }
        for i, c in enumerate(CATEGORIES)
    ]
    policies = policies_from([catalogue("CN", entries, green_lanes=lanes)])
    engine = Engine(policies)
    roots = [c for c in CATEGORIES if "." not in c]
    for category in roots:
        agrees(engine, policies, transfer("CN", "US", category, purpose="scientific_research"))
    decision = engine.decide(transfer("CN", "US", "personal"), DAY)
    missing = {r.entry_id for r in decision.reasons if r.kind == "missing_fact"}
    assert len(missing) == len([c for c in CATEGORIES if c.startswith("personal.")])


def test_7_a_catalogue_with_many_distinct_condition_lists_still_decides() -> None:
    """Notes point 4: 'a catalogue of several thousand entries must load and evaluate'.
    Entries each with their own list of purposes or countries are ordinary law-shaped
    data, but one flag per distinct list is far wider than the core's
    MAX_OBJECT_PROPERTIES (an earlier engine raised EngineError for every transfer
    touching such a catalogue, whatever its data)."""
    pairs_and_triples = itertools.chain(
        itertools.combinations(PURPOSES, 2), itertools.combinations(PURPOSES, 3)
    )
    purpose_lists = [list(c) for c in itertools.islice(pairs_and_triples, 300)]
    countries = sorted(c.alpha_2 for c in pycountry.countries)[:40]
    country_lists = [list(c) for c in itertools.islice(itertools.combinations(countries, 2), 300)]
    assert len(purpose_lists) + len(country_lists) > 2 * MAX_PROPERTIES
    entries = [
        *(entry(f"p{i}", ["research.climate"], when={"purposes": p}) for i, p in enumerate(purpose_lists)),
        *(
            entry(f"c{i}", ["research"], counterparties={"countries": c}, direction="both")
            for i, c in enumerate(country_lists)
        ),
    ]
    policies = policies_from([catalogue("CN", entries)])
    engine = Engine(policies)
    for t in (
        transfer("CN", "US", "business.operations", purpose="marketing"),
        transfer("CN", "AD", "research.climate", purpose="marketing"),
        transfer("AE", "CN", "research", purpose="marketing"),
    ):
        agrees(engine, policies, t)
    decision = engine.decide(transfer("CN", "AD", "research.climate", purpose="marketing"), DAY)
    found = {r.entry_id for r in decision.reasons if r.kind == "entry"}
    assert len(found) == sum("marketing" in p for p in purpose_lists) + sum("AD" in c for c in country_lists)
    assert engine.stored_facts() == 0


# -- 9. rulesets as data, two versions side by side ----------------------------------------


def test_9_two_versions_of_a_catalogue_decide_independently() -> None:
    v1 = catalogue("CN", [entry("a", ["personal.health"])], version="2024.1")
    v2 = catalogue(
        "CN",
        [
            entry("a", ["personal.health"], outcome="review", requirement="determination"),
            entry("b", ["research"]),
        ],
        version="2025.1",
    )
    old, new = policies_from([v1]), policies_from([v2])
    first, second = Engine(old), Engine(new)
    health = transfer("CN", "US", "personal.health")
    science = transfer("CN", "US", "research.climate")
    for _ in range(2):  # interleaved, twice: neither engine sees the other's rules
        assert first.decide(health, DAY).verdict == Verdict.RESTRICT
        assert second.decide(health, DAY).verdict == Verdict.REVIEW
        # US has no catalogue: by default it places no conditions on receiving data.
        assert first.decide(science, DAY).verdict == Verdict.ALLOW
        assert {r.entry_id for r in second.decide(science, DAY).reasons} >= {"b"}
        assert {r.entry_id for r in first.decide(science, DAY).reasons} == {None}
    assert first.decide(health, DAY).catalogues[0].version == "2024.1"
    assert second.decide(health, DAY).catalogues[0].version == "2025.1"
    first.close()  # closing one version leaves the other working
    assert second.decide(health, DAY).verdict == Verdict.REVIEW
    for engine, policies in ((second, new),):
        agrees(engine, policies, health)
        agrees(engine, policies, science)


# -- 10. durable-rules is imported in one module only -----------------------------------------


def test_10_only_engine_durable_imports_durable_rules() -> None:
    pattern = re.compile(r"^\s*(?:import|from)\s+(durable|durable_rules_engine)\b", re.MULTILINE)
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    )
    assert importers == ["engine/durable.py"]
