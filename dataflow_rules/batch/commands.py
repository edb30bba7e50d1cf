"""The ``batch`` command: arguments in, :func:`.runner.run_batch`, a summary line and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..options import (
    AsOfOption,
    PoliciesOption,
    ProgressOption,
    UnlistedOption,
    fail,
    parse_date,
)


def register(app: typer.Typer) -> None:
    app.command(name="batch")(batch)


def batch(
    input_file: Annotated[
        Path, typer.Argument(metavar="IN.jsonl", help="One transfer (a JSON object) per line.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="OUT.jsonl", help="Where to write one record per line.")
    ],
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Worker processes, each with its own engine.")
    ] = 1,
    policies: PoliciesOption = None,
    as_of: AsOfOption = None,
    unlisted: UnlistedOption = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue an interrupted OUT.jsonl after its last complete record."),
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing OUT.jsonl.")] = False,
    progress: ProgressOption = None,
    cumulative: Annotated[
        bool,
        typer.Option(
            "--cumulative",
            help="Count the input's transfers together, as one exporter's flows, where the law"
            " counts across transfers (each with those dated on or before it; docs/batch.md).",
        ),
    ] = False,
) -> None:
    """Decide every line of IN.jsonl into OUT.jsonl, in order, streaming (docs/batch.md).

    Each output line is the input line number and the decision, or an error record for a
    line that could not be read or decided (never a verdict). Exit code: 0/3/4 for the
    strictest verdict, 5 if any line was an error record, 7 if the engine failed or a
    worker died (the output is then resumable with --resume), 6 for a bad catalogue.
    """
    import sys

    from ..catalogues import load_policies
    from ..errors import DataflowRulesError, InputError
    from ..models.decision import Verdict
    from .runner import run_batch

    day = parse_date(as_of)
    if resume and overwrite:
        raise fail(InputError("--resume and --overwrite contradict each other"))
    show = sys.stderr.isatty() if progress is None else progress
    try:
        loaded = load_policies(policies)
        summary = run_batch(
            input_file,
            output,
            loaded,
            workers=workers,
            as_of=day,
            unlisted=Verdict(unlisted.value) if unlisted else None,
            resume=resume,
            overwrite=overwrite,
            progress=sys.stderr if show else None,
            freeze_gc=True,
            cumulative=cumulative,
        )
    except DataflowRulesError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        typer.echo(
            f"error: interrupted; {output} holds every record written so far: run again with --resume",
            err=True,
        )
        raise typer.Exit(130) from None
    typer.echo(summary.line(str(output)), err=True)
    raise typer.Exit(summary.exit_code)
