"""The drafters' workbench commands: validate, lint, test, diff, explain, corpus.

Thin: each command parses its options, calls the workbench library, renders, and exits
with a documented code (docs/workbench.md). Heavy imports stay inside the commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from ..errors import DataflowRulesError, ExitCode, InputError, verdict_exit
from ..options import (
    PoliciesOption,
    ProgressOption,
    UnlistedOption,
    fail,
    format_option,
    parse_date,
)

DecideAsOf = Annotated[str | None, typer.Option("--as-of", help="Decide as of this date.")]
"""diff's and explain's ``--as-of`` (check's, with its default spelt out, is options.AsOfOption)."""


def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Policy directory (default: the shipped one).")
    ] = None,
    fmt: Annotated[str, format_option("validation")] = "text",
) -> None:
    """Report every schema and reference error in every catalogue at once (exit 6 if any)."""
    from ..render.formats import write
    from .validate import validate_directory

    problems = validate_directory(directory).problems
    typer.echo(write("validation", fmt, problems), nl=False)
    raise typer.Exit(ExitCode.CATALOGUE if problems else 0)


def lint(
    directory: Annotated[
        Path | None, typer.Argument(help="Policy directory (default: the shipped one).")
    ] = None,
    fmt: Annotated[str, format_option("lint")] = "text",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date for expiry checks (default: today).")
    ] = None,
) -> None:
    """Semantic problems a schema cannot see, each with a stable code (exit 6 errors, 10 warnings)."""
    from ..models.problems import Severity
    from ..render.formats import write
    from .lint import lint_directory

    problems = lint_directory(directory, parse_date(as_of))
    typer.echo(write("lint", fmt, problems), nl=False)
    if any(p.severity is Severity.ERROR for p in problems):
        raise typer.Exit(ExitCode.CATALOGUE)
    raise typer.Exit(ExitCode.LINT_WARNINGS if problems else 0)


def test(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PATH]",
            help="A suite file or a directory of *_test.yaml suites (default: ./policies-tests if there, else the suites installed with the shipped catalogues).",
        ),
    ] = None,
    policies: PoliciesOption = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Fail (exit 12) when coverage is below PCT percent.")
    ] = None,
    fmt: Annotated[str, format_option("suites")] = "text",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passing tests too.")] = False,
) -> None:
    """Run catalogue test suites; report failures with diffs, and coverage (exit 11 failed, 12 coverage low)."""
    from ..catalogues import load_policies
    from ..render.formats import write
    from .suites import default_suites, discover, run_suites

    try:
        loaded = load_policies(policies)
        run = run_suites(discover(path or default_suites()), loaded)
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(write("suites", fmt, run, threshold=threshold, verbose=verbose), nl=False)
    if run.failed:
        raise typer.Exit(ExitCode.TEST_FAILED)
    if threshold is not None and run.coverage.percent < threshold:
        raise typer.Exit(ExitCode.COVERAGE_LOW)


def diff(
    old: Annotated[
        str, typer.Argument(help="Old catalogues: a directory or a git revision, e.g. HEAD~1:policies.")
    ],
    new: Annotated[str, typer.Argument(help="New catalogues: a directory or a git revision.")],
    corpus: Annotated[
        Path,
        typer.Option(
            "--corpus",
            "-c",
            metavar="PATH",
            help="Transfers: a JSON-lines file, or a file or tree read as `scan` reads it.",
        ),
    ],
    fmt: Annotated[str, format_option("diff")] = "text",
    as_of: DecideAsOf = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=0, help="Worker processes (0, the default: one per core, at most 4)."
        ),
    ] = 0,
    progress: ProgressOption = None,
    fail_on_change: Annotated[
        bool, typer.Option("--fail-on-change", help="Exit 13 when any transfer changes.")
    ] = False,
    unlisted: UnlistedOption = None,
    cumulative: Annotated[
        bool,
        typer.Option(
            "--cumulative",
            help="Count the corpus's transfers together, as one exporter's flows, where the law"
            " counts across transfers (as batch --cumulative; docs/batch.md).",
        ),
    ] = False,
) -> None:
    """Decide a corpus under two catalogue versions; report every transfer whose verdict or reasons change."""
    from ..models.decision import Verdict
    from ..render.formats import write
    from .corpus import count_corpus
    from .diff import run_diff
    from .progress import Bar
    from .revisions import policy_directory

    day = parse_date(as_of)
    workers = jobs or min(4, os.cpu_count() or 1)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with policy_directory(old) as old_dir, policy_directory(new) as new_dir:
            total = count_corpus(corpus) if show else None
            bar = Bar(sys.stderr, total) if show else None
            result = run_diff(
                old_dir,
                new_dir,
                _corpus(corpus, old_dir),
                (old, new),
                day,
                workers,
                bar,
                Verdict(unlisted) if unlisted else None,
                cumulative=cumulative,
            )
            if bar:
                bar.close()
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(write("diff", fmt, result), nl=False)
    if result.errors:
        raise typer.Exit(InputError.exit_code)
    raise typer.Exit(ExitCode.DIFF_CHANGED if fail_on_change and result.changed else 0)


def _corpus(corpus: Path, old_dir: Path) -> Iterator[tuple[str, int, object] | str]:
    """JSON lines as they are (the fast form for large corpora); any other file or a tree
    read by scan's own reader, so diff sees what scan sees (Fides, ODCS, sidecars)."""
    if corpus.is_file() and corpus.suffix == ".jsonl":
        from .corpus import iter_corpus

        yield from iter_corpus(corpus)
        return
    from ..catalogues import load_policies
    from .scanned import iter_scanned

    yield from iter_scanned(corpus, load_policies(old_dir))


def explain(
    file: Annotated[Path, typer.Argument(help="A transfer description (YAML or JSON).")],
    policies: PoliciesOption = None,
    as_of: DecideAsOf = None,
    fmt: Annotated[str, format_option("trace")] = "text",
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list rules whose category does not match the data.")
    ] = False,
) -> None:
    """The full trace of a decision: every condition held, failed or unknown, and remediations."""
    from ..catalogues import load_policies
    from ..engine.engine import Engine
    from ..models.decision import Verdict
    from ..render.formats import write
    from ..transfers import read_transfers
    from .explain import trace
    from .remediate import with_remediations

    day = parse_date(as_of)
    try:
        loaded = load_policies(policies)
        located = read_transfers(file, loaded)
        engine = Engine(loaded)
        pairs = []
        for item in located:
            decision = with_remediations(engine, item.transfer, engine.decide(item.transfer, day))
            pairs.append((decision, trace(engine, item.transfer, decision.as_of)))
    except DataflowRulesError as error:
        raise fail(error) from None
    typer.echo(write("trace", fmt, pairs, show_all=show_all), nl=False)
    raise typer.Exit(verdict_exit(Verdict.strictest([d.verdict for d, _ in pairs])))


def corpus(
    output: Annotated[Path, typer.Argument(help="Where to write the JSON-lines corpus ('-' for stdout).")],
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=10_000_000)] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    policies: PoliciesOption = None,
) -> None:
    """Write COUNT realistic random transfers, reproducibly from SEED."""
    from ..catalogues import load_policies
    from .corpus import generate_corpus

    try:
        taxonomy = load_policies(policies).taxonomy
    except DataflowRulesError as error:
        raise fail(error) from None
    lines = generate_corpus(taxonomy, count, seed)
    if str(output) == "-":
        for line in lines:
            sys.stdout.write(line)
    else:
        with output.open("w", encoding="utf-8") as f:
            f.writelines(lines)


def register(app: typer.Typer) -> None:
    for command in (validate, lint, test, diff, explain, corpus):
        app.command(name=command.__name__)(command)
