"""Byte-compare the outputs of this tree and an older one: a speed change changes none.

    python -m benchmarks.same_outputs --baseline TREE [--lines 5000] [--keep DIR]

Each tree's own code (a fresh process, its source first on the path) writes, into a
directory of its own: ``check --format json`` and text of every example (as of a fixed
day), ``batch`` of a generated corpus (workbench corpus, seed 11) with 2 workers, with
``--cumulative``, and as of an earlier day; ``diff`` of the same corpus (text, json,
markdown; ``--cumulative``; as of an earlier day), the shipped catalogues against a copy
with the Chinese contract threshold lowered; and ``test``. Every file, exit code and
stderr included, must be the same bytes in both (the paths of the output directory,
of the examples read, this tree's, and of the tree run are written as ``OUT``,
``EXAMPLES`` and ``TREE`` first). Prints each file that
differs; exit 1 if any does. A few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLI = (
    "import sys; tree = sys.argv.pop(1); sys.path.insert(0, tree); import dataflow_rules; "
    "assert dataflow_rules.__file__.startswith(tree); from dataflow_rules.cli import main; "
    "sys.argv[0] = 'dataflow-rules'; main()"
)
DAY, EARLIER = "2026-06-01", "2025-01-01"


def _run(tree: Path, out: Path, name: str, args: list[str]) -> None:
    """One command of ``tree``'s CLI; its stdout, stderr and exit code into ``out/name``."""
    r = subprocess.run(
        [PY, "-c", CLI, str(tree), *args],
        capture_output=True,
        cwd=out / "run",
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")},
        check=False,
    )
    text = r.stdout + r.stderr + f"rc={r.returncode}\n".encode()
    for path, label in ((out, "OUT"), (ROOT / "examples", "EXAMPLES"), (tree, "TREE")):
        text = text.replace(str(path).encode(), label.encode())  # (the inputs are this tree's)
    (out / name).write_bytes(text)


def outputs(tree: Path, out: Path, corpus: Path, big: Path, new: Path) -> None:
    """Every output compared, of ``tree``'s code, into ``out``."""
    (out / "run").mkdir(parents=True)
    examples = ROOT / "examples"
    files = sorted(
        p
        for p in examples.rglob("*")
        if p.suffix in (".yaml", ".json", ".jsonl") and "scan" not in p.relative_to(examples).parts
    )
    old = str(tree / "policies")
    jobs: list[tuple[str, list[str]]] = []
    for p in files:
        n = "_".join(p.relative_to(examples).parts)
        jobs.append((f"check-json-{n}", ["check", "--as-of", DAY, "--format", "json", str(p)]))
        jobs.append((f"check-text-{n}", ["check", "--as-of", DAY, str(p)]))
    b = ["batch", "--no-progress", str(corpus), "-o"]
    jobs += [
        ("batch2", [*b, str(out / "batch2.jsonl"), "-w", "2"]),
        ("batch-cumulative", [*b, str(out / "batchc.jsonl"), "--cumulative"]),
        ("batch-earlier", [*b[:2], str(big), "-o", str(out / "batche.jsonl"), "--as-of", EARLIER]),
        ("test", ["test"]),
    ]
    d = ["diff", "--no-progress", old, str(new), "-c"]
    for fmt in ("text", "json", "markdown"):
        jobs.append((f"diff.{fmt}", [*d, str(corpus), "-j", "2", "-f", fmt]))
    jobs.append(("diff-cumulative.json", [*d, str(corpus), "-j", "1", "--cumulative", "-f", "json"]))
    jobs.append(("diff-earlier.json", [*d, str(big), "-j", "1", "--as-of", EARLIER, "-f", "json"]))
    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(_run, tree, out, name, args) for name, args in jobs]:
            f.result()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.same_outputs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--baseline", type=Path, required=True, help="an older source tree")
    parser.add_argument("--lines", type=int, default=5000, help="generated transfers for batch and diff")
    parser.add_argument("--keep", type=Path, help="write the outputs here (default: a temporary directory)")
    args = parser.parse_args(argv)
    from benchmarks.diff_corpus import lowered_copy
    from dataflow_rules.catalogues import default_policy_dir, load_policies
    from dataflow_rules.workbench.corpus import generate_corpus

    with tempfile.TemporaryDirectory(prefix="dataflow-rules-same-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        taxonomy = load_policies(None).taxonomy
        corpus, big, new = work / "corpus.jsonl", work / "corpus-big.jsonl", work / "new-policies"
        corpus.write_text("".join(generate_corpus(taxonomy, args.lines, seed=11)))
        big.write_text("".join(generate_corpus(taxonomy, 2 * args.lines, seed=4)))
        if not new.exists():
            lowered_copy(default_policy_dir(), new)
        trees = {"this": ROOT, "baseline": args.baseline.resolve()}
        for name, tree in trees.items():
            outputs(tree, work / name, corpus, big, new)
        a, b = work / "this", work / "baseline"
        names = sorted(
            {p.name for p in a.iterdir() if p.is_file()} | {p.name for p in b.iterdir() if p.is_file()}
        )
        differ = [
            n
            for n in names
            if not (a / n).exists() or not (b / n).exists() or not filecmp.cmp(a / n, b / n, shallow=False)
        ]
        for n in differ:
            print(f"differs: {n}")
        print(f"{len(names) - len(differ)} of {len(names)} outputs byte-identical")
        if differ:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
