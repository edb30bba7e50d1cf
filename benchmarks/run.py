"""Benchmarks: one command, printing a table of figures.

    python -m benchmarks.run            # from the repository root

Measures, on this machine: a bare durable-rules assert/retract of one small fact and a
plain dictionary lookup (the two baselines), warm decision latency over the shipped
examples, catalogue load+compile time for generated catalogues of 50, 500 and 5,000
entries and their decision latency, and the cold start of `dataflow-rules check`.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples) * 1e6, samples[int(len(samples) * 0.99) - 1] * 1e6


def bare_durable(n: int) -> list[float]:
    """The baseline the guide names: assert and retract one small fact, 20 simple rules."""
    import durable_rules_engine as core

    rules = {f"r{i}": {"all": [{"m": {"$and": [{"cat": f"c{i}"}, {"$gte": {"n": 100}}]}}]} for i in range(20)}
    handle = core.create_ruleset("bench_bare", json.dumps(rules))
    ids = iter(range(10**9))

    def one() -> None:
        fact = json.dumps({"sid": "0", "id": next(ids), "cat": "c3", "n": 500})
        code, state = core.assert_fact(handle, fact)
        if code == 0:
            result = core.start_action_for_state(handle, state)
            while result:
                result = core.complete_and_start_action(handle, state)
        core.retract_fact(handle, fact)

    return timed(one, n)


def bare_durable_host(n: int) -> list[float]:
    """The same fact through durable-rules' public API (``durable.lang`` host), as users
    of the library meet it and as the guide's "about 70 µs" was measured."""
    from durable.lang import get_host

    rules = {
        f"r{i}": {"all": [{"m": {"$and": [{"cat": f"c{i}"}, {"$gte": {"n": 100}}]}}], "run": lambda c: None}
        for i in range(20)
    }
    rules["all"] = {"all": [{"m": {"$gte": {"n": 0}}}], "run": lambda c: None}
    host = get_host()
    host.set_rulesets({"bench_host": rules})
    ids = iter(range(10**9))

    def one() -> None:
        fact = {"id": next(ids), "cat": "c3", "n": 500}
        host.assert_fact("bench_host", fact)
        host.retract_fact("bench_host", fact)

    return timed(one, n)


def dict_lookup(n: int) -> list[float]:
    table = {f"personal.c{i}": ("restrict", i) for i in range(200)}
    cats = ["personal.c3", "personal.c77", "research.climate"]
    return timed(lambda: [table.get(c) for c in cats], n)


def cold_start(example: Path, runs: int = 7) -> float:
    exe = Path(sys.executable).parent / "dataflow-rules"
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(exe), "check", str(example)], capture_output=True, check=False)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    from dataflow_rules import Engine, load_policies, read_transfers
    from dataflow_rules.catalogues import build_policies

    from .generate import catalogue_text

    rows: list[tuple[str, str]] = []
    print(
        f"# dataflow-rules benchmarks  {time.strftime('%Y-%m-%d')}  {platform.platform()}  "
        f"python {platform.python_version()}  cores={__import__('os').cpu_count()}"
    )

    bare = summary(bare_durable(20_000))
    look = summary(dict_lookup(20_000))
    host = summary(bare_durable_host(5_000))
    rows.append(
        (
            "baseline: bare durable-rules fact, C core (20 rules), median / p99",
            f"{bare[0]:.1f} / {bare[1]:.1f} µs",
        )
    )
    rows.append(
        (
            "baseline: bare durable-rules fact, durable.lang host API, median / p99",
            f"{host[0]:.1f} / {host[1]:.1f} µs",
        )
    )
    rows.append(
        ("baseline: dictionary lookup of 3 categories, median / p99", f"{look[0]:.2f} / {look[1]:.2f} µs")
    )

    t = time.perf_counter()
    policies = load_policies()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    engine = Engine(policies)
    compile_s = time.perf_counter() - t
    rows.append(
        (
            "shipped catalogues: load / compile",
            f"{load_s * 1e3:.1f} / {compile_s * 1e3:.1f} ms ({engine.rule_count} rules)",
        )
    )

    transfers = [
        x.transfer
        for path in sorted((ROOT / "examples").glob("*.yaml"))
        for x in read_transfers(path, policies)
    ]
    if transfers:
        for x in transfers:  # warm
            engine.decide(x)
        samples: list[float] = []
        for _ in range(300):
            for x in transfers:
                t = time.perf_counter()
                engine.decide(x)
                samples.append(time.perf_counter() - t)
        med, p99 = summary(samples)
        items = statistics.mean(len(x.data) for x in transfers)
        rows.append(
            (
                f"warm decision, shipped catalogues, {len(transfers)} examples (mean {items:.1f} items)",
                f"median {med:.0f} µs, p99 {p99:.0f} µs; {med / host[0]:.2f}x host-API fact, "
                f"{med / bare[0]:.1f}x C-core fact, {med / look[0]:.0f}x dict",
            )
        )
        rows.append(("decisions per second, one process", f"{1 / statistics.mean(samples):,.0f}"))
        rows.append(
            (
                "cold `dataflow-rules check` of one example (median of 7)",
                f"{cold_start(sorted((ROOT / 'examples').glob('*.yaml'))[0]) * 1e3:.0f} ms",
            )
        )

    for size in (50, 500, 5000):
        text = catalogue_text(policies.taxonomy, "CN", size)
        t = time.perf_counter()
        gen = build_policies(policies.taxonomy, [(f"gen{size}.yaml", text)])
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        gen_engine = Engine(gen)
        compile_s = time.perf_counter() - t
        sample = [x for x in transfers if x.origin == "CN" or x.destination == "CN"] or transfers
        samples = []
        for _ in range(max(3, 3000 // (size // 10 + 1))):
            for x in sample:
                t = time.perf_counter()
                gen_engine.decide(x)
                samples.append(time.perf_counter() - t)
        med, p99 = summary(samples)
        rows.append(
            (
                f"generated catalogue of {size:,} entries: load / compile",
                f"{load_s * 1e3:.0f} / {compile_s * 1e3:.0f} ms ({gen_engine.rule_count} rules)",
            )
        )
        rows.append(
            (f"generated catalogue of {size:,} entries: decision median / p99", f"{med:.0f} / {p99:.0f} µs")
        )
        gen_engine.close()

    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
