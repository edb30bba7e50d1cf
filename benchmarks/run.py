"""Benchmarks: one command, printing a table of figures against the targets of issue 6.

    python -m benchmarks.run            # full run (about 20-25 minutes on 2 cores)
    python -m benchmarks.run --quick    # the same figures from fewer samples (about 2 minutes)
    python -m benchmarks.run --baseline /tmp/old --scale-only   # issue 14's scale figures only

``--baseline DIR`` (an older commit, ``git archive REV | tar -x -C DIR``) measures the
scale figures (batch throughput with 2 workers, a large ``diff``, ``scan`` memory at two
sizes; benchmarks/scale.py) for that tree too, in the same run, side by side.

For the shipped catalogues and for generated catalogues of 50, 500 and 5,000 entries,
each measured in a fresh process so that memory figures are its own:

- catalogue load (read, parse, check) and compile (durable-rules rulesets) time;
- warm single-decision latency, median and p99, through ``Engine.decide``;
- batch throughput, decisions per second, through ``run_batch`` (JSON lines in, records
  out, the code behind ``dataflow-rules batch``) with 1 and 2 worker processes;
- cold start of ``dataflow-rules check`` on one file (the whole process), with the policy
  cache warm and off, beside a process importing only pydantic, yaml and durable-rules
  (``--cold-only`` prints just these, for the shipped catalogues);
- peak memory of the deciding process, and its resident memory after a warm-up and after
  1,000,000 decisions (with facts left in the engine, which must be 0);
- two baselines in the same run: a bare durable-rules assert/retract of one small fact
  and a plain dictionary lookup of the same categories, and our decision time over each.

Figures are wall-clock on a shared machine: the header prints the load average, and a
busy machine makes every figure worse, throughput with two workers most of all.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETS = ("shipped", "50", "500", "5000")
EXE = Path(sys.executable).parent / "dataflow-rules"

TARGETS = {
    "latency": 250.0,  # µs, warm median, shipped catalogues
    "throughput2": 8000.0,  # decisions/s with two worker processes
    "cold": 0.6,  # s, `dataflow-rules check` of one file
    "cold_ratio": 2.0,  # cold check / a process importing pydantic, yaml, durable (issue 14)
    "load_compile_5000": 2.0,  # s
}


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in µs."""
    s = sorted(samples)
    return statistics.median(s) * 1e6, s[max(0, int(len(s) * 0.99) - 1)] * 1e6


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- baselines ------------------------------------------------------------------------------


def bare_durable(n: int) -> list[float]:
    """Assert and retract one small fact against 20 simple rules, straight into the C core."""
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
    """The same fact through durable-rules' public API (the ``durable.lang`` host)."""
    from durable.lang import get_host

    rules: dict[str, Any] = {
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
    """A plain dictionary of category -> outcome, looked up for the same three categories."""
    table = {f"personal.c{i}": ("restrict", i) for i in range(200)}
    cats = ["personal.c3", "personal.c77", "research.climate"]
    return timed(lambda: [table.get(c) for c in cats], n)


# -- engine figures (issue 14, item 5) -------------------------------------------------------


def core_calls(fn: Callable[[], object]) -> int:
    """How many calls into durable-rules' C core ``fn`` makes."""
    from dataflow_rules.engine import durable

    real = durable._core
    calls = 0

    class _Counting:
        def __getattr__(self, name: str) -> Any:
            f = getattr(real, name)
            if not callable(f) or name == "error":
                return f

            def counted(*args: Any) -> Any:
                nonlocal calls
                calls += 1
                return f(*args)

            return counted

    durable._core = _Counting()
    try:
        fn()
    finally:
        durable._core = real
    return calls


def engine_figures(quick: bool = False, sizes: tuple[int, ...] = (50, 5000)) -> dict[str, float]:
    """The engine's own figures (issue 14, item 5), in this process, interleaved rounds,
    each the median of medians: warm ``Engine.decide`` over the shipped catalogues of
    distinct generated transfers, each decided once (the memo hit rate over them is
    printed), and of the examples repeated (the figure before the memo); over one fixed transfer against catalogues of ``sizes`` entries holding
    the same few entries that match it (three, on its category and its parent), the rest
    spread over every category unrelated to it, in the same taxonomy branch too; C-core
    calls per decision (over 500 more unseen transfers); and the bare C-core fact (20
    rules) as the baseline.

        python -c 'from benchmarks.run import engine_figures; print(engine_figures())'
        python -m benchmarks.run --engine-only --baseline /work/main   # side by side
    """
    import contextlib
    import random

    import yaml

    from dataflow_rules import DataflowRulesError, Engine, Transfer, load_policies, read_transfers
    from dataflow_rules.catalogues import default_policy_dir
    from dataflow_rules.errors import CatalogueError
    from dataflow_rules.loading import parse_one
    from dataflow_rules.taxonomy import parse_taxonomy

    from .generate import CITE, _NoAliases

    shipped = default_policy_dir()
    tax_text = (shipped / "taxonomy.yaml").read_text()
    taxonomy = parse_taxonomy(parse_one(tax_text, "taxonomy.yaml", CatalogueError))
    item = "personal.contact"
    matching: list[dict[str, object]] = [
        {
            "id": "few.contact.bulk",
            "title": "Few: bulk contact data",
            "categories": [item],
            "direction": "outbound",
            "outcome": "restrict",
            "requirement": "determination",
            "when": {"individuals": {"at_least": 10_000}},
            "citations": [CITE],
        },
        {
            "id": "few.personal",
            "title": "Few: personal data",
            "categories": ["personal"],
            "direction": "outbound",
            "outcome": "review",
            "requirement": "determination",
            "citations": [CITE],
        },
        {
            "id": "few.contact.marketing",
            "title": "Few: marketing",
            "categories": [item],
            "direction": "both",
            "outcome": "review",
            "requirement": "determination",
            "when": {"purposes": ["marketing"]},
            "citations": [CITE],
        },
    ]
    transfer = Transfer.model_validate(
        {
            "id": "scale",
            "origin": "CN",
            "destination": "US",
            "purpose": "marketing",
            "exporter": {"name": "E", "ciio": False},
            "recipient": {"name": "R", "type": "company"},
            "data": [{"category": item, "individuals": 50_000, "anonymised": False}],
        }
    )
    out: dict[str, float] = {}
    engines = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rng = random.Random(size)
            d = Path(tmp) / f"scale{size}"
            d.mkdir()
            (d / "taxonomy.yaml").write_text(tax_text)
            unrelated = [c for c in sorted(taxonomy.categories) if c not in (item, "personal")]
            fillers = [
                {
                    "id": f"fill.{i}",
                    "title": f"Filler {i}",
                    "categories": [rng.choice(unrelated)],
                    "direction": rng.choice(["outbound", "inbound", "both"]),
                    "outcome": rng.choice(["restrict", "review"]),
                    "requirement": "determination",
                    "when": {"individuals": {"at_least": rng.choice([10, 1000, 100_000])}},
                    "citations": [CITE],
                }
                for i in range(size - len(matching))
            ]
            body = {
                "jurisdiction": "CN",
                "title": f"Scaling catalogue of {size} entries",
                "version": f"scale-{size}",
                "effective": "2025-01-01",
                "sources": [CITE],
                "entries": matching + fillers,
            }
            (d / "cn.yaml").write_text(yaml.dump(body, Dumper=_NoAliases, sort_keys=False))
            engines[size] = Engine(load_policies(d))
        shipped_engine = Engine(load_policies(shipped))
        examples: list[Transfer] = []
        for path in sorted((ROOT / "examples").glob("*.yaml")):
            with contextlib.suppress(DataflowRulesError):  # an example being edited: the others
                examples += [x.transfer for x in read_transfers(path, shipped_engine.policies)]
        rounds = 5 if quick else 15
        n = 200 if quick else 1000
        # Distinct realistic transfers (the workbench corpus generator): every timed
        # decision is of a transfer the engine has not decided before, so no memo of a
        # whole fact seen before can make the figure (the examples alone, repeated, are
        # the old figure, printed beside it).
        warmup, fresh = (
            _generated(shipped_engine.policies, 2_000, seed=3),
            _generated(shipped_engine.policies, rounds * n, seed=4),
        )
        for x in [*examples * 3, *warmup]:
            shipped_engine.decide(x)
        for e in engines.values():
            for _ in range(200):
                e.decide(transfer)
        medians: dict[int, list[float]] = {size: [] for size in sizes}
        bare: list[float] = []
        warm: list[float] = []
        means: list[float] = []
        cpus: list[float] = []
        """CPU time per decision, each round (steadier than wall time on a shared machine)."""
        same: list[float] = []
        hits = asked = 0
        for r in range(rounds):
            bare.append(summary(bare_durable(n))[0])
            batch = fresh[r * n : (r + 1) * n]
            before = _memo_counts(shipped_engine)
            cpu = time.process_time()
            samples = [timed(lambda x=x: shipped_engine.decide(x), 1)[0] for x in batch]
            cpus.append((time.process_time() - cpu) / len(batch) * 1e6)
            after = _memo_counts(shipped_engine)
            hits += after[0] - before[0]
            asked += after[0] - before[0] + after[1] - before[1]
            warm.append(summary(samples)[0])
            means.append(statistics.mean(samples) * 1e6)
            samples = []
            for _ in range(max(1, n // len(examples))):
                for x in examples:
                    samples += timed(lambda x=x: shipped_engine.decide(x), 1)
            same.append(summary(samples)[0])
            for size, e in engines.items():
                medians[size].append(summary(timed(lambda e=e: e.decide(transfer), n))[0])
        out["shipped_mean_us"] = statistics.median(means)
        out["shipped_cpu_us"] = statistics.median(cpus)
        out["memo_hit_rate"] = hits / asked if asked else float("nan")
        out["distinct_transfers"] = float(len({x.model_dump_json(exclude={"id"}) for x in fresh}))
        out["examples_us"] = statistics.median(same)
        unseen = _generated(shipped_engine.policies, 500, seed=5)
        out["shipped_us"] = statistics.median(warm)
        for size, e in [("shipped", shipped_engine), *engines.items()]:
            asked = unseen if size == "shipped" else [transfer]
            calls = core_calls(lambda e=e, asked=asked: [e.decide(x) for x in asked])
            out[f"core_calls_{size}"] = calls / len(asked)
            if size == "shipped":
                continue
            out[f"decide_{size}_us"] = statistics.median(medians[int(size)])
            out[f"rulesets_{size}"] = len(e._all())
            reasons = e.decide(transfer).reasons
            out[f"reasons_{size}"] = len(reasons)
            e.close()
        shipped_engine.close()
    out["bare_us"] = statistics.median(bare)
    out["shipped_over_bare"] = out["shipped_us"] / out["bare_us"]
    out["examples_over_bare"] = out["examples_us"] / out["bare_us"]
    out[f"ratio_{sizes[-1]}_over_{sizes[0]}"] = out[f"decide_{sizes[-1]}_us"] / out[f"decide_{sizes[0]}_us"]
    out["load_average"] = os.getloadavg()[0]
    return out


def _generated(policies: Any, count: int, seed: int) -> list[Any]:
    """``count`` generated transfers (workbench corpus generator), each as ``check`` reads it."""
    from dataflow_rules import Transfer
    from dataflow_rules.workbench.corpus import generate_corpus

    return [
        Transfer.model_validate_json(line) for line in generate_corpus(policies.taxonomy, count, seed=seed)
    ]


def _memo_counts(engine: Any) -> tuple[int, int]:
    """(memo hits, core calls) summed over the engine's rulesets (0, 0 before the memo)."""
    sets = engine._all()
    return sum(getattr(rs, "hits", 0) for rs in sets), sum(getattr(rs, "misses", 0) for rs in sets)


ENGINE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import dataflow_rules  # the tree measured; the benchmark code is this tree's
sys.path.insert(0, sys.argv[2])
from benchmarks.run import engine_figures
print(json.dumps(engine_figures(quick=sys.argv[3] == "1")))
"""


def engine_side_by_side(baseline: Path | None, quick: bool) -> None:
    """``engine_figures`` of this tree and of ``baseline`` (its own dataflow_rules, this
    tree's benchmark), one fresh process each, one after the other, printed side by side."""
    trees = [("this tree", ROOT)] + ([("baseline", baseline.resolve())] if baseline else [])
    load = os.getloadavg()
    print(
        f"# engine figures  {time.strftime('%Y-%m-%d %H:%M')} UTC  {platform.processor() or platform.machine()}"
        f"  nproc={os.cpu_count()}  python {platform.python_version()}  load average at start "
        f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}{'  (quick)' if quick else ''}"
    )
    got = []
    with tempfile.TemporaryDirectory() as tmp:
        for _, tree in trees:
            r = subprocess.run(
                [sys.executable, "-c", ENGINE, str(tree), str(ROOT), "1" if quick else "0"],
                capture_output=True,
                text=True,
                cwd=tmp,
                env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                check=False,
            )
            if r.returncode:
                raise SystemExit(f"engine figures failed in {tree}:\n{r.stderr[-3000:]}")
            got.append(json.loads(r.stdout.strip().splitlines()[-1]))
    rows = [
        ("warm decision, shipped, distinct generated transfers (µs)", "shipped_us", "{:.1f}"),
        ("  the same, mean (what throughput pays: case analysis's tail)", "shipped_mean_us", "{:.1f}"),
        ("  the same, CPU time per decision (mean; steadier under load)", "shipped_cpu_us", "{:.1f}"),
        ("  memo hit rate over those decisions", "memo_hit_rate", "{:.1%}"),
        ("  distinct transfers decided (content, id aside)", "distinct_transfers", "{:,.0f}"),
        ("  C-core calls per decision", "core_calls_shipped", "{:.2f}"),
        ("warm decision, shipped, the examples repeated (old figure, µs)", "examples_us", "{:.1f}"),
        ("bare C-core fact, 20 rules (µs)", "bare_us", "{:.2f}"),
        ("warm decision (distinct) / bare fact, target <= 6x", "shipped_over_bare", "{:.1f}x"),
        ("warm decision (examples repeated) / bare fact", "examples_over_bare", "{:.1f}x"),
        ("decision, 50 entries (µs)", "decide_50_us", "{:.1f}"),
        ("decision, 5,000 entries (µs)", "decide_5000_us", "{:.1f}"),
        ("5,000 / 50, target <= 1.5x", "ratio_5000_over_50", "{:.2f}x"),
        ("load average at the end", "load_average", "{:.2f}"),
    ]
    table = [["figure", *[name for name, _ in trees]]]
    for label, key, fmt in rows:
        table.append([label, *[fmt.format(g[key]) if key in g else "n/a" for g in got]])
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for n, r in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


# -- one catalogue set, in its own process ------------------------------------------------


def policy_dir(name: str, base: Path) -> Path:
    """The shipped policy directory, or a directory with the taxonomy and one generated
    catalogue of ``name`` entries (written once per run)."""
    from dataflow_rules.catalogues import default_policy_dir

    shipped = default_policy_dir()
    if name == "shipped":
        return shipped
    from dataflow_rules.errors import CatalogueError
    from dataflow_rules.loading import parse_one
    from dataflow_rules.taxonomy import parse_taxonomy

    from .generate import catalogue_text

    directory = base / f"gen{name}"
    directory.mkdir(exist_ok=True)
    tax_text = (shipped / "taxonomy.yaml").read_text()
    (directory / "taxonomy.yaml").write_text(tax_text)
    taxonomy = parse_taxonomy(parse_one(tax_text, "taxonomy.yaml", CatalogueError))
    (directory / "cn.yaml").write_text(catalogue_text(taxonomy, "CN", int(name)))
    return directory


def measure_set(name: str, directory: Path, quick: bool, work: Path) -> dict[str, Any]:
    """Every per-catalogue figure except cold start, in this (fresh) process."""
    import gc

    from dataflow_rules import DataflowRulesError, Engine, load_policies, read_transfers
    from dataflow_rules.batch import run_batch

    out: dict[str, Any] = {"set": name}
    t = time.perf_counter()
    policies = load_policies(directory)
    out["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    engine = Engine(policies)
    out["compile_s"] = time.perf_counter() - t
    out["rules"] = engine.rule_count
    out["entries"] = sum(len(lc.catalogue.entries) for lc in policies.catalogues.values())

    examples = sorted((ROOT / "examples").glob("*.yaml"))
    located = []
    for path in examples:
        try:
            located += read_transfers(path, policies)
        except DataflowRulesError as exc:  # an example being edited: measure the others
            print(f"skipped {exc.one_line()}", file=sys.stderr)
    if name != "shipped":  # the generated catalogue is China's: transfers that touch it
        located = [x for x in located if "CN" in (x.transfer.origin, x.transfer.destination)]
    transfers = [x.transfer for x in located]
    out["transfers"] = len(transfers)

    # Warm latency.
    for x in transfers * 3:
        engine.decide(x)
    rounds = max(3, int((2000 if quick else 12000) / len(transfers)))
    if name == "5000":
        rounds = max(3, rounds // 10)
    samples = []
    for _ in range(rounds):
        for x in transfers:
            t = time.perf_counter()
            engine.decide(x)
            samples.append(time.perf_counter() - t)
    out["latency_median_us"], out["latency_p99_us"] = summary(samples)
    out["latency_samples"] = len(samples)
    per_decision = statistics.mean(samples)

    # Memory flatness: resident memory after a warm-up, then after N more decisions.
    gc.collect()
    # 1,000,000 decisions, or as many as fit the time budget (a generated catalogue of
    # 5,000 entries gives decisions of 100-200 reasons each); the table prints N.
    soak_budget = 20.0 if quick else 420.0  # seconds
    soak = min(20_000 if quick else 1_000_000, int(soak_budget / per_decision))
    out["rss_warm_mb"] = rss_mb()
    n = 0
    while n < soak:
        for x in transfers:
            engine.decide(x)
        n += len(transfers)
    gc.collect()
    out["soak_decisions"] = n
    out["rss_after_mb"] = rss_mb()
    out["stored_facts"] = engine.stored_facts()
    out["peak_mb"] = peak_mb()

    # Batch throughput: JSON lines through run_batch, 1 and 2 workers.
    values = []
    for loc in located:
        value = loc.document.value
        for part in loc.path:
            value = value[part]
        values.append(json.loads(json.dumps(value, default=str)))
    line_cost = per_decision + 120e-6
    # Enough lines for about 30 s with one worker (start-up included, as users see it).
    lines = int(min(250_000, max(2_000, (3.0 if quick else 30.0) / line_cost)))
    src = work / f"in-{name}.jsonl"
    with src.open("w") as f:
        for i in range(lines):
            v = values[i % len(values)]
            f.write(json.dumps({**v, "id": f"{v['id']}-{i}"}) + "\n")
    for workers in (1, 2):
        dst = work / f"out-{name}-{workers}.jsonl"
        watch = _PeakWatcher() if workers > 1 else None
        t = time.perf_counter()
        result = run_batch(src, dst, policies, workers=workers, overwrite=True, freeze_gc=True)
        elapsed = time.perf_counter() - t
        if watch is not None:
            out["worker_peak_mb"] = watch.stop()
        assert result.records == lines, result
        out[f"throughput{workers}"] = lines / elapsed
        out[f"throughput{workers}_lines"] = lines
        dst.unlink()
    src.unlink()
    engine.close()
    return out


class _PeakWatcher:
    """Polls this process's children (the batch workers) for their peak resident memory."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            try:
                children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                continue
            for child in children:
                try:
                    for line in Path(f"/proc/{child}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                except OSError:
                    pass

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


BARE_IMPORT = "import pydantic, yaml, durable_rules_engine"
"""Issue 14's yardstick for a cold ``check``: a process that only imports what it is built on."""
ONE_MODEL = (
    "import pydantic, yaml, durable_rules_engine, typer\nclass A(pydantic.BaseModel):\n    x: int\nA(x=1)"
)
"""A floor under any cold ``check``: the same imports and typer, and one pydantic model built
and validated once (``import pydantic`` alone defers pydantic's model machinery)."""


def cold_start(
    directory: Path | None, example: Path, runs: int, work: Path, name: str, baseline: Path | None = None
) -> dict[str, float]:
    """``dataflow-rules check`` of one file as a fresh process, median of ``runs``, wall-clock
    and CPU (user + system): with the policy cache warm (a directory of its own, filled by a
    first run), with it off, and side by side (interleaved) a process importing only
    pydantic, yaml and durable_rules_engine (:data:`BARE_IMPORT`). Every process finds its
    bytecode cached, as an installed package does (PYTHONDONTWRITEBYTECODE dropped, a
    private PYTHONPYCACHEPREFIX; one warm-up run each). ``baseline``: an older source tree,
    whose ``check`` is measured in the same rounds, with its own policy cache warm
    (``baseline_s``) and off (``baseline_nocache_s``): like against like."""
    check_args = [str(EXE), "check", str(example)]
    if directory is not None:
        check_args[2:2] = ["--policies", str(directory)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    cases = {
        "cold": (check_args, {**env, "DATAFLOW_RULES_CACHE": str(work / f"policy-cache-{name}")}),
        "cold_nocache": (check_args, {**env, "DATAFLOW_RULES_CACHE": "off"}),
        "bare_import": ([sys.executable, "-c", BARE_IMPORT], env),
        "one_model": ([sys.executable, "-c", ONE_MODEL], env),
    }
    if baseline is not None:
        old = {**env, "PYTHONPATH": str(baseline)}
        cases["baseline"] = (
            check_args,
            {**old, "DATAFLOW_RULES_CACHE": str(work / f"policy-cache-{name}-baseline")},
        )
        cases["baseline_nocache"] = (check_args, {**old, "DATAFLOW_RULES_CACHE": "off"})

    def once(args: list[str], case_env: dict[str, str]) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        result = subprocess.run(args, capture_output=True, check=False, env=case_env)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode not in (0, 3, 4):
            raise RuntimeError(f"{args[1]} failed ({result.returncode}): {result.stderr.decode()}")
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    for args, case_env in cases.values():
        once(args, case_env)
    samples: dict[str, list[tuple[float, float]]] = {key: [] for key in cases}
    for _ in range(runs):
        for key, (args, case_env) in cases.items():
            samples[key].append(once(args, case_env))
    out: dict[str, float] = {}
    for key, pairs in samples.items():
        out[f"{key}_s"] = statistics.median(w for w, _ in pairs)
        out[f"{key}_cpu_s"] = statistics.median(c for _, c in pairs)
    return out


def cold_only(runs: int, baseline: Path | None) -> None:
    """``--cold-only``: the cold-start figures of the shipped catalogues, nothing else
    (with ``--baseline DIR``, that tree's ``check`` too, in the same rounds)."""
    load1, load5, _ = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dfr-bench-") as tmp:
        r = cold_start(None, ROOT / "examples" / "cn-us-pi-100000.yaml", runs, Path(tmp), "shipped", baseline)
    print(
        f"# cold start, shipped catalogues, {runs} runs each, interleaved; cores={os.cpu_count()}  "
        f"load average {load1:.2f}/{load5:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    )
    for key, label in (
        ("cold", "cold `dataflow-rules check`, policy cache warm"),
        ("cold_nocache", "cold `dataflow-rules check`, policy cache off"),
        ("bare_import", f"python -c '{BARE_IMPORT}'"),
        ("one_model", "the same, typer, and one pydantic model validated"),
        *(
            [
                ("baseline", f"cold `dataflow-rules check` of {baseline}, policy cache warm"),
                ("baseline_nocache", f"cold `dataflow-rules check` of {baseline}, policy cache off"),
            ]
            if baseline
            else []
        ),
    ):
        print(f"{label:60s} wall {r[key + '_s'] * 1e3:5.0f} ms   cpu {r[key + '_cpu_s'] * 1e3:5.0f} ms")
    for key in ("cold", "cold_nocache", "one_model", *(["baseline", "baseline_nocache"] if baseline else [])):
        print(
            f"{key:12s} / bare import: wall {r[key + '_s'] / r['bare_import_s']:.2f}x, "
            f"cpu {r[key + '_cpu_s'] / r['bare_import_cpu_s']:.2f}x (target <= {TARGETS['cold_ratio']:.0f}x)"
        )


# -- the table ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, about 2 minutes")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated subset of {','.join(SETS)}")
    parser.add_argument("--child", nargs=3, metavar=("SET", "DIR", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an older source tree (git archive REV | tar -x -C DIR): the scale figures side by side",
    )
    parser.add_argument(
        "--scale",
        default="100000,1000000,1000,10000",
        help="batch lines, diff transfers, scan manifest counts (comma-separated; '' to skip): "
        "the figures of issue 14 (benchmarks/scale.py)",
    )
    parser.add_argument("--scale-only", action="store_true", help="only the scale figures")
    parser.add_argument(
        "--cold-only", action="store_true", help="only the cold-start figures of the shipped catalogues"
    )
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="only the engine figures (issue 14 item 5), beside --baseline's",
    )
    args = parser.parse_args(argv)
    if args.child:
        name, directory, work = args.child
        print(json.dumps(measure_set(name, Path(directory), args.quick, Path(work))))
        return

    import durable_rules_engine  # noqa: F401 - fail early if the engine is missing

    if args.scale_only:
        _scale(args)
        return
    if args.cold_only:
        cold_only(5 if args.quick else 21, args.baseline)
        return
    if args.engine_only:
        engine_side_by_side(args.baseline, args.quick)
        return

    from dataflow_rules import __version__

    load1, load5, _ = os.getloadavg()
    print(
        f"# dataflow-rules {__version__} benchmarks  {time.strftime('%Y-%m-%d %H:%M')}  "
        f"{platform.platform()}  python {platform.python_version()}  cores={os.cpu_count()}  "
        f"load average {load1:.2f}/{load5:.2f}{'  (quick)' if args.quick else ''}"
    )
    n = 5_000 if args.quick else 20_000
    bare, host, look = summary(bare_durable(n)), summary(bare_durable_host(n // 4)), summary(dict_lookup(n))

    sets = [s for s in args.sets.split(",") if s]
    results: dict[str, dict[str, Any]] = {}
    example = ROOT / "examples" / "cn-us-pi-100000.yaml"
    with tempfile.TemporaryDirectory(prefix="dfr-bench-") as tmp:
        base = Path(tmp)
        # The generated catalogues declare their own context facts, not the shipped ones the
        # example states (exporter_automotive_data_processor): `check` refuses an undeclared
        # context fact (exit 5), so their cold start checks the example without that line.
        generic = base / example.name
        lines = example.read_text(encoding="utf-8").splitlines(keepends=True)
        generic.write_text("".join(x for x in lines if not x.startswith("context:")), encoding="utf-8")
        for name in sets:
            directory = policy_dir(name, base)
            child = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.run",
                    *(["--quick"] if args.quick else []),
                    "--child",
                    name,
                    str(directory),
                    str(base),
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=False,
            )
            if child.returncode != 0:
                raise SystemExit(f"benchmark of {name} failed:\n{child.stderr}")
            results[name] = json.loads(child.stdout.strip().splitlines()[-1])
            results[name].update(
                cold_start(
                    None if name == "shipped" else directory,
                    example if name == "shipped" else generic,
                    3 if args.quick else 7,
                    base,
                    name,
                )
            )
            print(f"  measured {name}", file=sys.stderr, flush=True)

    rows: list[tuple[str, list[str], str]] = []

    def row(label: str, fmt: Callable[[dict[str, Any]], str], target: str = "") -> None:
        rows.append((label, [fmt(results[s]) for s in sets], target))

    def check(ok: bool) -> str:
        return "met" if ok else "MISSED"

    row("catalogue entries (rules compiled)", lambda r: f"{r['entries']:,} ({r['rules']:,})")
    row("load (read, parse, check)", lambda r: f"{r['load_s'] * 1e3:,.0f} ms")
    row("compile (durable rulesets)", lambda r: f"{r['compile_s'] * 1e3:,.0f} ms")
    lc = results.get("5000")
    row(
        "load + compile",
        lambda r: f"{(r['load_s'] + r['compile_s']):.2f} s",
        f"5,000 entries < {TARGETS['load_compile_5000']:.0f} s: "
        + (check(lc["load_s"] + lc["compile_s"] < TARGETS["load_compile_5000"]) if lc else "not run"),
    )
    sh = results.get("shipped")
    row(
        "warm decision, median",
        lambda r: f"{r['latency_median_us']:,.0f} µs",
        f"shipped < {TARGETS['latency']:.0f} µs: "
        + (check(sh["latency_median_us"] < TARGETS["latency"]) if sh else "not run"),
    )
    row("warm decision, p99", lambda r: f"{r['latency_p99_us']:,.0f} µs")
    row("  (decisions sampled; example transfers)", lambda r: f"{r['latency_samples']:,}; {r['transfers']}")
    row("batch, 1 worker", lambda r: f"{r['throughput1']:,.0f} /s")
    row(
        "batch, 2 workers",
        lambda r: f"{r['throughput2']:,.0f} /s",
        f"shipped >= {TARGETS['throughput2']:,.0f}/s: "
        + (check(sh["throughput2"] >= TARGETS["throughput2"]) if sh else "not run"),
    )
    row("  (lines per batch run)", lambda r: f"{r['throughput1_lines']:,}")
    row(
        "cold `dataflow-rules check`, one file",
        lambda r: f"{r['cold_s']:.2f} s",
        f"shipped < {TARGETS['cold']} s: " + (check(sh["cold_s"] < TARGETS["cold"]) if sh else "not run"),
    )
    row("  the same, policy cache off", lambda r: f"{r['cold_nocache_s']:.2f} s")
    row("  a process importing pydantic, yaml, durable", lambda r: f"{r['bare_import_s']:.2f} s")
    row(
        "  cold check / that process (wall; CPU)",
        lambda r: f"{r['cold_s'] / r['bare_import_s']:.1f}x; {r['cold_cpu_s'] / r['bare_import_cpu_s']:.1f}x",
        f"shipped <= {TARGETS['cold_ratio']:.0f}x: "
        + (check(sh["cold_s"] <= TARGETS["cold_ratio"] * sh["bare_import_s"]) if sh else "not run"),
    )
    row("peak memory, deciding process", lambda r: f"{r['peak_mb']:,.0f} MiB")
    row("peak memory, batch worker process", lambda r: f"{r['worker_peak_mb']:,.0f} MiB")
    row("resident memory after warm-up", lambda r: f"{r['rss_warm_mb']:,.1f} MiB")
    row(
        "resident memory after N more decisions",
        lambda r: f"{r['rss_after_mb']:,.1f} MiB ({r['rss_after_mb'] - r['rss_warm_mb']:+.1f})",
        "flat",
    )
    row("  N (decisions in the soak)", lambda r: f"{r['soak_decisions']:,}")
    row("  facts left in the engine after the soak", lambda r: f"{r['stored_facts']}", "0")
    row("decision / bare durable fact (C core)", lambda r: f"{r['latency_median_us'] / bare[0]:,.1f}x")
    row("decision / durable fact (durable.lang host)", lambda r: f"{r['latency_median_us'] / host[0]:,.1f}x")
    row("decision / dictionary lookup", lambda r: f"{r['latency_median_us'] / look[0]:,.0f}x")

    headers = ["figure", *[("shipped" if s == "shipped" else f"{int(s):,} entries") for s in sets], "target"]
    table = [headers, *[[label, *cells, target] for label, cells, target in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    print()
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    print()
    print(
        f"baseline: bare durable-rules assert/retract of one small fact (C core, 20 rules): median {bare[0]:.1f} µs, p99 {bare[1]:.1f} µs"
    )
    print(
        f"baseline: the same fact through durable.lang's host API: median {host[0]:.1f} µs, p99 {host[1]:.1f} µs"
    )
    print(
        f"baseline: dictionary lookup of the same 3 categories: median {look[0]:.2f} µs, p99 {look[1]:.2f} µs"
    )
    _scale(args)


def _scale(args: argparse.Namespace) -> None:
    """The scale figures (batch, diff, scan), this tree beside ``--baseline``'s."""
    if not args.scale:
        return
    from . import scale

    parts = [*args.scale.split(","), "", ""]
    batch, diff, scans = parts[0], parts[1], [s for s in parts[2:] if s]
    print()
    scale.main(
        [
            "--batch",
            batch or "0",
            "--diff",
            diff or "0",
            "--scan",
            ",".join(scans),
            *(["--baseline", str(args.baseline)] if args.baseline else []),
        ]
    )


if __name__ == "__main__":
    main()
