"""Benchmarks at scale (issue 14): ``batch`` throughput, a large ``diff`` and ``scan`` memory.

    python -m benchmarks.scale [--baseline TREE] [--batch N] [--diff N] [--scan N,N]

Each figure is measured in a fresh process whose ``PYTHONPATH`` is a source tree: this
one, and with ``--baseline TREE`` (an exported older commit, ``git archive``) the same
figure for that tree in the same run, printed side by side with its target. The corpora
are generated (workbench corpus, seed 1), so both trees decide the same bytes.

- batch: ``dataflow-rules batch`` of N JSON lines with 2 workers, wall clock of the whole
  process (start-up, catalogue load and worker start included): decisions per second;
  and its CPU time, workers included, with the rate an idle 2-core machine would give;
- diff: ``run_diff`` of N transfers, shipped catalogues against a copy with the Chinese
  contract threshold lowered, 2 workers: seconds of wall clock and of CPU; and the same
  over one transfer (start-up: both versions loaded and compiled, workers started), so
  the 1,000,000 figure is given both as N scaled linearly and as start-up plus
  1,000,000 times the cost of a transfer beyond the first;
- around the decision: in one process, batch's worker path (``Job.work``: read, validate,
  check, record) over 5,000 lines and diff's (``decide_pair``, results collected) over
  the same transfers, with ``Engine.decide`` answering from decisions made beforehand:
  the CPU per line that batch and diff spend on their own work, which no change to the
  engine moves (best of five passes);

The corpora are written before anything is timed: generating them is in no figure.
- scan: ``scan`` and its JSON report written, over directories of one-transfer manifests
  (each size given), each manifest decided alone: peak resident memory of the process
  wall clock and CPU time; for sizes up to ``--scan-cumulative`` also counted together (the CLI's
  default), with its own memory ratio.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from benchmarks.diff_corpus import lowered_copy

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

TARGETS = {"batch": 12_000.0, "diff_s": 60.0, "scan_ratio": 1.2}


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def _measure(
    tree: Path, args: list[str], cwd: Path
) -> tuple[float, float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, CPU seconds of the child and its workers, peak MiB of the child, the
    result): one child at a time, so the children's maximum resident size is this child's."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "took = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(f'{took} {u.ru_utime + u.ru_stime} {u.ru_maxrss / 1024} {r.returncode}')\n"
    )
    out = subprocess.run([PY, "-c", code, *args], capture_output=True, text=True, env=_env(tree), cwd=cwd)
    took, cpu, peak, rc = out.stdout.split()[-4:]
    return float(took), float(cpu), float(peak), subprocess.CompletedProcess(args, int(rc), "", out.stderr)


def _child(tree: Path, args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall seconds, peak MiB of the child, the result) (see :func:`_measure`)."""
    took, _, peak, result = _measure(tree, args, cwd)
    return took, peak, result


def write_corpus(path: Path, count: int) -> None:
    from dataflow_rules.catalogues import load_policies
    from dataflow_rules.workbench.corpus import generate_corpus

    with path.open("w") as f:
        f.writelines(generate_corpus(load_policies(None).taxonomy, count, seed=1))


def head(corpus: Path, path: Path, lines: int) -> Path:
    """``path`` holding the first ``lines`` lines of ``corpus``: each figure reads its own
    prefix of the one corpus generated for the run."""
    with corpus.open() as f, path.open("w") as g:
        g.writelines(line for _, line in zip(range(lines), f, strict=False))
    return path


def write_manifests(directory: Path, corpus: Path, count: int) -> None:
    """``count`` manifests of one transfer each, from the corpus's first lines."""
    directory.mkdir(parents=True)
    with corpus.open() as f:
        for n in range(count):
            (directory / f"m{n:05d}.json").write_text('{"transfers": [' + f.readline().strip() + "]}\n")


def batch(tree: Path, corpus: Path, work: Path, lines: int) -> tuple[float, float]:
    """(lines per second of wall clock, CPU seconds of the whole run, workers included)."""
    out = work / "batch-out.jsonl"
    exe = [PY, "-c", "from dataflow_rules.cli import main; main()"]
    took, cpu, _, r = _measure(
        tree, [*exe, "batch", str(corpus), "-o", str(out), "-w", "2", "--overwrite"], work
    )
    if r.returncode not in (0, 3, 4, 5):
        raise SystemExit(f"batch failed in {tree}: {r.stderr}")
    out.unlink()
    return lines / took, cpu


DIFF = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from dataflow_rules.workbench.corpus import iter_corpus\n"
    "from dataflow_rules.workbench.diff import run_diff\n"
    "import resource\n"
    "t = time.perf_counter()\n"
    "r = run_diff(Path(sys.argv[1]), Path(sys.argv[2]), iter_corpus(Path(sys.argv[3])), ('a', 'b'), jobs=2)\n"
    "took = time.perf_counter() - t\n"
    "cpu = sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),\n"
    "          resource.getrusage(resource.RUSAGE_CHILDREN)))\n"
    "print(took, cpu, r.total, len(r.changed), len(r.errors))\n"
)


def _versions(tree: Path, work: Path) -> tuple[Path, Path]:
    """The tree's shipped catalogues and the changed copy the diff compares them with."""
    old = tree / "policies"
    if not old.is_dir():  # a tree from before policies/ became the real directory
        old = tree / "dataflow_rules" / "policies"
    # one changed copy per tree: a baseline's models may not read this tree's catalogues
    # (a taxonomy field added since), so each diffs a copy of its own
    new = work / f"new-policies-{zlib.crc32(str(tree.resolve()).encode()):08x}"
    if not new.exists():
        lowered_copy(old, new)
    return old, new


def diff(tree: Path, corpus: Path, work: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process and its workers, what it found)."""
    old, new = _versions(tree, work)
    # cwd: ``python -c`` puts the working directory before PYTHONPATH, so run from the
    # checkout and the baseline's figure would be this tree's code again
    r = subprocess.run(
        [PY, "-c", DIFF, str(old), str(new), str(corpus)],
        capture_output=True,
        text=True,
        env=_env(tree),
        cwd=work,
    )
    if r.returncode:
        raise SystemExit(f"diff failed in {tree}: {r.stderr}")
    took, cpu, total, changed_n, errors = r.stdout.split()
    return (
        float(took),
        float(cpu),
        f"{int(total):,} decided, {int(changed_n):,} changed, {int(errors):,} errors",
    )


AROUND = (
    "import io, sys, time\n"
    "from pathlib import Path\n"
    "from dataflow_rules.catalogues import load_policies\n"
    "from dataflow_rules.batch.records import fingerprint, ship\n"
    "from dataflow_rules.batch.runner import chunks, read_lines\n"
    "from dataflow_rules.batch.workers import Job\n"
    "from dataflow_rules.engine.engine import Engine\n"
    "from dataflow_rules.workbench import diff as D\n"
    "from dataflow_rules.workbench.corpus import iter_corpus\n"
    "corpus = Path(sys.argv[1]); data = corpus.read_bytes()\n"
    "blob = ship(load_policies(None)); job = Job(str(corpus), blob, fingerprint(blob)); job.decider(freeze=True)\n"
    "D._init(sys.argv[2], sys.argv[3], None); raws = list(iter_corpus(corpus))\n"
    "made = {}; decide = Engine.decide\n"
    "def answer(self, transfer, as_of=None, **kw):\n"
    "    key = (id(self), transfer.id)\n"
    "    if key not in made:\n"
    "        made[key] = decide(self, transfer, as_of, **kw)\n"
    "    return made[key]\n"
    "Engine.decide = answer\n"
    "def batch():\n"
    "    for chunk in chunks(read_lines(io.BytesIO(data))):\n"
    "        job.work(chunk)\n"
    "def diff():\n"
    "    D._collect(D.DiffResult('a', 'b'), map(D._work, D._chunks(raws)), None)\n"
    "out = []\n"
    "for run in (batch, diff):\n"
    "    run()  # decides every transfer once, for the passes timed\n"
    "    best = float('inf')\n"
    "    for _ in range(5):\n"
    "        t = time.process_time(); run(); best = min(best, time.process_time() - t)\n"
    "    out.append(best / len(raws) * 1e6)\n"
    "print(*out)\n"
)


def around(tree: Path, corpus: Path, work: Path) -> tuple[float, float]:
    """(CPU µs per batch line, per diff transfer) spent around the decision (module docstring)."""
    old, new = _versions(tree, work)
    r = subprocess.run(
        [PY, "-c", AROUND, str(corpus), str(old), str(new)],
        capture_output=True,
        text=True,
        env={**_env(tree), "DATAFLOW_RULES_CACHE": "off"},
        cwd=work,  # not this checkout: see diff()
    )
    if r.returncode:
        raise SystemExit(f"around-the-decision harness failed in {tree}: {r.stderr[-2000:]}")
    got = r.stdout.split()
    return float(got[0]), float(got[1])


SCAN = (
    "import datetime as dt, sys\n"
    "from pathlib import Path\n"
    "try:\n"
    "    from dataflow_rules.render import scan_json as json_report\n"
    "except ImportError:  # a tree from before the writers moved to render/\n"
    "    from dataflow_rules.scan import json_report\n"
    "from dataflow_rules.scan import runner\n"
    "d = Path(sys.argv[1]); day = dt.date(2026, 12, 6)\n"
    "o = runner.ScanOptions(paths=[d], cwd=d, as_of=day, decided_on=day, cumulative=sys.argv[3] == '1')\n"
    "if hasattr(runner, 'scan_spooled'):  # the CLI's path: results spooled, the report streamed\n"
    "    with runner.scan_spooled(o) as r, open(sys.argv[2], 'w', encoding='utf-8') as out:\n"
    "        json_report.write(r, out)\n"
    "else:  # a tree from before the spool: every result in memory, the report one string\n"
    "    Path(sys.argv[2]).write_text(json_report.render(runner.scan(o)))\n"
)


def scan(tree: Path, directory: Path, work: Path, cumulative: bool) -> tuple[float, float, float]:
    """(seconds, peak MiB, CPU seconds) of one scan with its JSON report written, in a fresh process,
    as the CLI does it (``scan_spooled`` and the streaming writer, where the tree has them).

    ``cumulative`` False: each manifest decided alone (``ScanOptions.cumulative``), the
    scan's own cost; True: the run counted together (the CLI's default), which adds the
    ledger of every earlier transfer to each decision."""
    report = work / "scan.json"
    args = [PY, "-c", SCAN, str(directory), str(report), "1" if cumulative else "0"]
    took, cpu, peak, result = _measure(tree, args, directory)
    if result.returncode:
        raise SystemExit(f"scan failed in {tree} ({result.returncode}): {result.stderr[-2000:]}")
    report.unlink()
    return took, peak, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="an older source tree to measure side by side")
    parser.add_argument("--batch", type=int, default=100_000, help="lines for batch (0: skip)")
    parser.add_argument("--diff", type=int, default=1_000_000, help="transfers for diff (0: skip)")
    parser.add_argument(
        "--around", type=int, default=5000, help="lines for the around-the-decision figures (0: skip)"
    )
    parser.add_argument("--scan", default="1000,10000", help="manifest counts for scan ('': skip)")
    parser.add_argument(
        "--scan-cumulative",
        type=int,
        default=1000,
        help="also time scans up to this many manifests counted together (the CLI's default)",
    )
    args = parser.parse_args(argv)
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    load = os.getloadavg()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    print(
        f"# scale benchmarks  {time.strftime('%Y-%m-%d %H:%M')} UTC  {cpu}, nproc={os.cpu_count()}  "
        f"python {platform.python_version()}  load average at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}"
    )
    scans = [int(s) for s in args.scan.split(",") if s]
    rows: list[tuple[str, list[str], str]] = []
    with tempfile.TemporaryDirectory(prefix="dfr-scale-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus.jsonl"
        write_corpus(corpus, max([args.batch, args.diff, args.around, *scans]))
        if args.batch:
            part = head(corpus, work / "batch.jsonl", args.batch)
            got = [batch(tree, part, work, args.batch) for _, tree in trees]
            rows.append(
                (
                    f"batch, 2 workers, {args.batch:,} lines: wall",
                    [f"{g:,.0f} /s" for g, _ in got],
                    f">= {TARGETS['batch']:,.0f}/s: {'met' if got[0][0] >= TARGETS['batch'] else 'MISSED'}",
                )
            )
            # On an idle 2-core machine the run's CPU time is spread over both cores.
            idle = [args.batch / (c / 2) for _, c in got]
            rows.append(
                (
                    "  CPU seconds; lines/s an idle 2-core machine would give",
                    [f"{c:,.1f} s; {i:,.0f} /s" for (_, c), i in zip(got, idle, strict=True)],
                    f"{'met' if idle[0] >= TARGETS['batch'] else 'MISSED'} (idle estimate)",
                )
            )
        if args.diff:
            part = head(corpus, work / "diff.jsonl", args.diff)
            got_d = [diff(tree, part, work) for _, tree in trees]
            one = head(corpus, work / "diff-one.jsonl", 1)
            got_1 = [diff(tree, one, work) for _, tree in trees]
            scale = 1_000_000 / args.diff  # linear: each transfer alone
            rows.append(
                (
                    f"diff, 2 workers, {args.diff:,} transfers: wall; CPU",
                    [f"{s:,.1f} s; {c:,.1f} s" for s, c, _ in got_d],
                    "",
                )
            )
            extrapolated = "" if args.diff == 1_000_000 else " (extrapolated)"
            full = [s * scale for s, _, _ in got_d]
            idle = [c * scale / 2 for _, c, _ in got_d]
            rows.append(
                (
                    f"diff, 2 workers, 1,000,000 transfers{extrapolated}: wall",
                    [f"{s:,.0f} s" for s in full],
                    f"< {TARGETS['diff_s']:.0f} s: {'met' if full[0] < TARGETS['diff_s'] else 'MISSED'}",
                )
            )
            rows.append(
                (
                    f"  the same on an idle 2-core machine (CPU / 2){extrapolated}",
                    [f"{s:,.0f} s" for s in idle],
                    f"{'met' if idle[0] < TARGETS['diff_s'] else 'MISSED'} (idle estimate)",
                )
            )
            rows.append(("  (what it found)", [note for _, _, note in got_d], ""))
            rows.append(
                (
                    "diff of 1 transfer (start-up): wall; CPU",
                    [f"{s:,.2f} s; {c:,.2f} s" for s, c, _ in got_1],
                    "",
                )
            )
            per = [
                ((s - s1) / (args.diff - 1), (c - c1) / (args.diff - 1))
                for (s, c, _), (s1, c1, _) in zip(got_d, got_1, strict=True)
            ]
            rows.append(
                (
                    "  each further transfer: wall µs; CPU µs",
                    [f"{w * 1e6:,.0f} µs; {c * 1e6:,.0f} µs" for w, c in per],
                    "",
                )
            )
            start_plus = [s1 + w * (1_000_000 - 1) for (s1, _, _), (w, _) in zip(got_1, per, strict=True)]
            rows.append(
                (
                    "  1,000,000 as start-up + 999,999 further: wall",
                    [f"{s:,.0f} s" for s in start_plus],
                    f"< {TARGETS['diff_s']:.0f} s: {'met' if start_plus[0] < TARGETS['diff_s'] else 'MISSED'}",
                )
            )
        if args.around:
            part = head(corpus, work / "around.jsonl", args.around)
            got_a = [around(tree, part, work) for _, tree in trees]
            rows.append(
                (
                    f"around the decision, {args.around:,} lines: batch CPU µs/line",
                    [f"{b:,.1f} µs" for b, _ in got_a],
                    "",
                )
            )
            rows.append(("  the same, diff CPU µs/transfer", [f"{d:,.1f} µs" for _, d in got_a], ""))
        if scans:
            peaks: list[list[float]] = []
            together: list[list[float]] = []
            for count in scans:
                directory = work / f"scan-{count}"
                write_manifests(directory, corpus, count)
                got_s = [scan(tree, directory, work, False) for _, tree in trees]
                peaks.append([p for _, p, _ in got_s])
                rows.append(
                    (f"scan, {count:,} manifests: peak memory", [f"{p:,.0f} MiB" for _, p, _ in got_s], "")
                )
                rows.append(
                    (
                        f"scan, {count:,} manifests: time (CPU)",
                        [f"{t:,.1f} s ({c:,.1f} s)" for t, _, c in got_s],
                        "",
                    )
                )
                if count <= args.scan_cumulative:
                    got_c = [scan(tree, directory, work, True) for _, tree in trees]
                    together.append([p for _, p, _ in got_c])
                    rows.append(
                        (
                            f"scan, {count:,} manifests counted together: time (CPU), peak",
                            [f"{t:,.1f} s ({c:,.1f} s), {p:,.0f} MiB" for t, p, c in got_c],
                            "",
                        )
                    )
                shutil.rmtree(directory)
            for label, got in (("", peaks), (" counted together", together)):
                if len(got) >= 2:
                    ratio = [got[-1][i] / got[0][i] for i in range(len(trees))]
                    rows.append(
                        (
                            f"scan memory{label}, {scans[len(got) - 1]:,} / {scans[0]:,} manifests",
                            [f"{r:.2f}x" for r in ratio],
                            f"<= {TARGETS['scan_ratio']}x: {'met' if ratio[0] <= TARGETS['scan_ratio'] else 'MISSED'}",
                        )
                    )
    end = os.getloadavg()
    headers = ["figure", *[name for name, _ in trees], "target"]
    table = [headers, *[[label, *cells, target] for label, cells, target in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    print()
    for n, r in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"\nload average at end {end[0]:.2f}/{end[1]:.2f}/{end[2]:.2f}")


if __name__ == "__main__":
    main()
