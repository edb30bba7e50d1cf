"""Benchmark: ``dataflow-rules diff`` over a generated corpus (default 100,000 transfers).

    python -m benchmarks.diff_corpus [COUNT] [JOBS...]

Writes a seeded corpus, makes a changed copy of the shipped catalogues (the Chinese
general personal-information contract threshold lowered from 100,000 to 50,000
individuals), and times the diff with each number of worker processes, printing
transfers per second and the transitions found.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from dataflow_rules.catalogues import default_policy_dir, load_policies
from dataflow_rules.workbench.corpus import generate_corpus, iter_corpus
from dataflow_rules.workbench.diff import run_diff


def lowered_copy(old: Path, new: Path) -> None:
    """A copy of the catalogues at ``old`` with China's general personal-information
    contract threshold lowered from 100,000 to 50,000 individuals (the change measured)."""
    shutil.copytree(old, new)
    cn = new / "cn.yaml"
    text = cn.read_text(encoding="utf-8")
    changed = text.replace(
        "individuals: {at_least: 100000, less_than: 1000000}",
        "individuals: {at_least: 50000, less_than: 1000000}",
    )
    assert changed != text, "the threshold to change was not found"
    cn.write_text(changed, encoding="utf-8")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    jobs = [int(j) for j in sys.argv[2:]] or [1, 2]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        old = default_policy_dir()
        new = root / "new"
        lowered_copy(old, new)
        corpus = root / "corpus.jsonl"
        t = time.perf_counter()
        with corpus.open("w") as f:
            f.writelines(generate_corpus(load_policies().taxonomy, count, seed=1))
        print(
            f"corpus: {count:,} transfers, {corpus.stat().st_size / 1e6:.1f} MB, written in {time.perf_counter() - t:.1f} s"
        )
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        for n in jobs:
            t = time.perf_counter()
            result = run_diff(old, new, iter_corpus(corpus), ("shipped", "changed"), jobs=n)
            took = time.perf_counter() - t
            print(
                f"jobs={n}: {took:.1f} s, {result.total / took:,.0f} transfers/s, {len(result.changed):,} changed, "
                f"{len(result.errors):,} not decided; transitions: "
                + ", ".join(f"{a}->{b} {k:,}" for (a, b), k in sorted(result.changed_transitions().items()))
            )


if __name__ == "__main__":
    main()
