"""Where a cold ``check`` spends its CPU above the floor (issue 14, cold start), in-process.

    python -m benchmarks.cold_account                         # this tree, 11 runs
    python -m benchmarks.cold_account --baseline /tmp/old     # and an older tree, interleaved

``benchmarks.run --cold-only`` times whole processes; this says what is inside the part
above its floor row. Each run is a fresh interpreter (bytecode cached, the policy cache
warm, the collector paused as ``main()`` pauses it) that first does what the floor process
does (imports pydantic, yaml, durable_rules_engine and typer, builds and validates one
model), then imports ``check``'s modules group by group and runs ``check`` on one file,
reading ``time.process_time`` between the steps. Across those steps it also adds up kinds
of work, by wrapping the functions that do them: creating a dataclass, creating a pydantic
model class (fields collected, no schema), building a pydantic schema and validator, the
durable-rules core compiling a ruleset, and the main phases of ``check``. Medians of the
runs; CPU time, so a loaded machine inflates every figure alike (read the two trees side by
side). The wrapping costs a little itself: the total is a few per cent above an unwrapped run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import gc, sys, time
gc.disable()
T = time.process_time
floor_start = T()
import dataclasses
import pydantic, yaml, durable_rules_engine, typer
class A(pydantic.BaseModel):
    x: int
A(x=1)
floor = T() - floor_start
from pydantic._internal import _model_construction as mc
kinds = {}
def add(label, spent):
    kinds[label] = kinds.get(label, 0.0) + spent
def wrap(owner, name, label):
    real = getattr(owner, name)
    def timed(*args, **kwargs):
        start = T()
        try:
            return real(*args, **kwargs)
        finally:
            add(label, T() - start)
    setattr(owner, name, timed)
SCHEMA = "pydantic schema and validator builds"
wrap(dataclasses, "_process_class", "dataclass creation")
wrap(mc, "complete_model_class", SCHEMA)
real_new = mc.ModelMetaclass.__new__
def new(mcs, *args, **kwargs):
    start, built = T(), kinds.get(SCHEMA, 0.0)
    try:
        return real_new(mcs, *args, **kwargs)
    finally:
        add("pydantic model class creation (no schema)", T() - start - (kinds.get(SCHEMA, 0.0) - built))
mc.ModelMetaclass.__new__ = new
steps = []
last = T()
def step(label):
    global last
    now = T(); steps.append((label, now - last)); last = now
import dataflow_rules.cli as cli; step("import dataflow_rules.cli")
import dataflow_rules.errors, dataflow_rules.loading; step("import errors, loading (yaml)")
import dataflow_rules.models.common, dataflow_rules.models.transfer, dataflow_rules.models.catalogue
import dataflow_rules.models.taxonomy, dataflow_rules.models.policies
step("import models: common, transfer, catalogue, taxonomy, policies")
import dataflow_rules.models.decision; step("import models/decision.py (its 9 models built)")
import dataflow_rules.catalogues; step("import catalogues")
import dataflow_rules.engine.engine; step("import the engine's modules")
import dataflow_rules.commands as commands; step("import the rest of commands.py's imports")
import dataflow_rules.engine.durable as durable
import dataflow_rules.engine.engine as engine
import typer.core, typer.main
wrap(durable._core, "create_ruleset", "durable-rules core: create_ruleset")
for owner, name, label in (
    (typer.main, "get_group", "typer: converting check"),
    (typer.core._TyperParameter, "process_value", "typer: coercing its values"),
    (commands, "load_policies", "policies from the cache"),
    (commands, "_read_all", "reading the transfer (its schema built)"),
    (commands, "Engine", "Engine()"),
    (engine.Engine, "decide", "deciding (compiling the plans it reads)"),
    (commands, "write", "writing the text"),
):
    wrap(owner, name, "check: " + label)
sys.argv = ["dataflow-rules", "check", sys.argv[1]]
import contextlib, io
try:
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main()
except SystemExit:
    pass
step("main(): check itself")
for label, spent in steps:
    print(f"step\t{label}\t{spent}")
print(f"step\ttotal above the floor\t{sum(s for _, s in steps)}")
print(f"floor\tthe floor itself (imports, typer, one model; not counted above)\t{floor}")
for label, spent in kinds.items():
    print(f"kind\t{label}\t{spent}")
"""


def account(trees: list[Path], runs: int, example: Path) -> dict[Path, dict[tuple[str, str], float]]:
    """Median seconds of each step and kind, per tree, from ``runs`` interleaved runs."""
    samples: dict[Path, dict[tuple[str, str], list[float]]] = {t: {} for t in trees}
    with tempfile.TemporaryDirectory() as work:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(work) / "pycache")

        def once(tree: Path) -> str:
            tree_env = {**env, "PYTHONPATH": str(tree), "DATAFLOW_RULES_CACHE": str(Path(work) / tree.name)}
            done = subprocess.run(
                [sys.executable, "-c", PROBE, str(example)],
                capture_output=True,
                text=True,
                check=True,
                env=tree_env,
                cwd=work,  # no dataflow-rules.yaml (facts) above a temporary directory
            )
            return done.stdout

        for tree in trees:  # bytecode and the policy cache, then the runs
            once(tree)
        for _ in range(runs):
            for tree in trees:
                for line in once(tree).splitlines():
                    group, label, spent = line.split("\t")
                    samples[tree].setdefault((group, label), []).append(float(spent))
    return {t: {k: statistics.median(v) for k, v in rows.items()} for t, rows in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="an older source tree, measured in the same rounds")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--example", type=Path, default=ROOT / "examples" / "cn-us-pi-100000.yaml")
    args = parser.parse_args(argv)
    trees = [ROOT, *([args.baseline.resolve()] if args.baseline else [])]
    load = os.getloadavg()[0]
    result = account(trees, args.runs, args.example.resolve())
    print(
        f"# cold check of {args.example.name}, CPU ms above the floor, median of {args.runs} "
        f"interleaved runs; load {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    )
    print("| " + " | ".join(["", *(str(t) for t in trees)]) + " |")
    print("|" + "---|" * (len(trees) + 1))
    keys = list(result[ROOT])
    order = {"step": 0, "floor": 1, "kind": 2}
    for key in sorted(keys, key=lambda k: (order[k[0]], k[1].startswith("check: "), keys.index(k))):
        label = key[1] if key[0] == "step" else f"[{key[1]}]"
        print("| " + " | ".join([label, *(f"{1000 * result[t].get(key, 0.0):.1f}" for t in trees)]) + " |")


if __name__ == "__main__":
    main()
