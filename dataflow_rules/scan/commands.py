"""The ``scan`` and ``schema`` commands: parse options, call the scan API, write the formats.

Everything heavy is imported inside the command bodies, so registering these commands
costs ``dataflow-rules check`` nothing at start-up. Exit codes: docs/scan.md.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, cast

import typer

from ..errors import Location
from ..facts_file import FactsOption, read_facts
from ..options import (
    AsOfOption,
    ColourOption,
    PoliciesOption,
    ProgressOption,
    UnlistedOption,
    parse_date,
    say_error,
)
from ..render.formats import TextStyle, UnknownFormat, names, write_scan
from ..render.formats import check as check_format
from .walk import display_path

if TYPE_CHECKING:
    from ..models.scan import ScanReport


class FailOnOption(StrEnum):
    restrict = "restrict"
    review = "review"
    never = "never"


class SchemaKind(StrEnum):
    transfer = "transfer"
    catalogue = "catalogue"
    sidecar = "sidecar"
    waivers = "waivers"


def outputs(formats: list[str], output: str | None) -> list[tuple[str, Path | None]]:
    """Pair each format with its file (None: standard output); usage errors as BadParameter."""
    parsed: list[tuple[str, Path | None]] = []
    for value in formats or ["text"]:
        name, _, file = value.partition(":")
        try:
            check_format("scan", name)
        except UnknownFormat as unknown:
            raise typer.BadParameter(
                f"unknown format '{name}'; choose from {', '.join(unknown.choices)} (FORMAT or FORMAT:FILE)",
                param_hint="--format",
            ) from None
        parsed.append((name, Path(file) if file else None))
    if output is not None:
        unassigned = [i for i, (_, f) in enumerate(parsed) if f is None]
        if not unassigned:
            raise typer.BadParameter("every format already names its file", param_hint="--output")
        last = unassigned[-1]
        parsed[last] = (parsed[last][0], Path(output))
    if sum(1 for _, f in parsed if f is None) > 1:
        raise typer.BadParameter(
            "only one format can go to standard output; write the others as FORMAT:FILE",
            param_hint="--format",
        )
    files = [str(f) for _, f in parsed if f is not None]
    if len(files) != len(set(files)):
        raise typer.BadParameter("two formats name the same file", param_hint="--format")
    return parsed


def register(app: typer.Typer) -> None:
    @app.command()
    def scan(
        ctx: typer.Context,
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="Files and directories to scan (default: the current directory)."),
        ] = None,
        fmt: Annotated[
            list[str] | None,
            typer.Option(
                "--format",
                "-f",
                help=f"Output format, repeatable: {', '.join(names())}; FORMAT:FILE writes to a file.",
            ),
        ] = None,
        output: Annotated[
            str | None, typer.Option("--output", "-o", help="File for the last format given without :FILE.")
        ] = None,
        fail_on: Annotated[
            FailOnOption, typer.Option("--fail-on", help="Which open findings fail the scan.")
        ] = FailOnOption.restrict,
        include: Annotated[
            list[str] | None,
            typer.Option(
                "--include", help="Gitignore-style pattern of files to read in directories (repeatable)."
            ),
        ] = None,
        exclude: Annotated[
            list[str] | None,
            typer.Option(
                "--exclude", help="Gitignore-style pattern of files or directories to leave out (repeatable)."
            ),
        ] = None,
        gitignore: Annotated[
            bool, typer.Option("--gitignore/--no-gitignore", help="Honour .gitignore files while walking.")
        ] = True,
        origin: Annotated[
            str | None,
            typer.Option("--origin", help="Origin country for Fides/ODCS manifests that state none."),
        ] = None,
        destination: Annotated[
            list[str] | None,
            typer.Option(
                "--destination", help="Destination country for manifests that state none (repeatable)."
            ),
        ] = None,
        waivers: Annotated[Path | None, typer.Option("--waivers", help="Waiver file (docs/scan.md).")] = None,
        baseline: Annotated[
            Path | None, typer.Option("--baseline", help="Report only findings not in this baseline.")
        ] = None,
        create_baseline: Annotated[
            Path | None,
            typer.Option("--create-baseline", help="Write every unwaived finding to this baseline file."),
        ] = None,
        fides_map: Annotated[
            Path | None,
            typer.Option("--fides-map", help="Fideslang mapping file (default: the shipped one)."),
        ] = None,
        odcs_map: Annotated[
            Path | None,
            typer.Option("--odcs-map", help="ODCS label mapping file (default: the shipped one)."),
        ] = None,
        check: Annotated[
            list[str] | None,
            typer.Option(
                "--check", help="Report only findings whose rule id matches (id or glob; repeatable)."
            ),
        ] = None,
        skip_check: Annotated[
            list[str] | None,
            typer.Option(
                "--skip-check", help="Leave out findings whose rule id matches (id or glob; repeatable)."
            ),
        ] = None,
        compact: Annotated[
            bool, typer.Option("--compact", help="Text: a line a transfer, by verdict, capped.")
        ] = False,
        quiet: Annotated[bool, typer.Option("--quiet", help="Text: failures and errors only.")] = False,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config", help="Config file (default: dataflow-rules.yaml at the repository root)."
            ),
        ] = None,
        show_config: Annotated[
            bool, typer.Option("--show-config", help="Print the merged options and where each came from.")
        ] = False,
        create_config: Annotated[
            Path | None,
            typer.Option("--create-config", help="Write a config file of the flags given, then stop."),
        ] = None,
        policies: PoliciesOption = None,
        as_of: AsOfOption = None,
        unlisted: UnlistedOption = None,
        colour: ColourOption = None,
        progress: ProgressOption = None,
        facts_file: FactsOption = None,
    ) -> None:
        """Find and decide every transfer in PATHS (transfer manifests, Fides, ODCS), for CI.

        Reports in text, JSON, SARIF, JUnit or GitHub annotations; exit codes in docs/scan.md.
        Options may also come from dataflow-rules.yaml (docs/scan.md, "Config file").
        """

        from ..errors import DataflowRulesError, InputError
        from ..models.decision import Verdict
        from ..models.scan import FailOn
        from ..render.style import wants_colour
        from . import config as cfg
        from .flows import Defaults, country
        from .progress import Progress
        from .runner import ScanOptions, scan_spooled

        cwd = Path.cwd()
        given = dict(ctx.params)
        command_line = {name for name in given if _from_command_line(ctx, name)}
        if create_config is not None:
            if create_config.exists():
                raise typer.BadParameter(
                    f"{create_config} exists; not overwritten", param_hint="--create-config"
                )
            _write(create_config, cfg.create(given, command_line - {"create_config"}, cwd))
            typer.echo(f"config written to {create_config}", err=True)
            raise typer.Exit(0)
        try:
            found = config if config is not None else cfg.find_config(cwd)
            loaded = cfg.load_config(found, display_path(found, cwd)) if found is not None else None
        except cfg.ConfigErrors as errors:
            for line in errors.lines:
                say_error(f"{line}")
            raise typer.Exit(errors.exit_code) from None
        merged = cfg.merge(given, loaded, command_line)
        if show_config:
            typer.echo(cfg.show(merged, loaded, cwd), nl=False)
            raise typer.Exit(0)
        value = {key: setting.value for key, setting in merged.items()}
        targets = outputs(list(value["format"] or []), output)
        if value["baseline"] is not None and create_baseline is not None:
            raise typer.BadParameter(
                "give --baseline or --create-baseline, not both", param_hint="--baseline"
            )
        day = parse_date(as_of)
        show = sys.stderr.isatty() if progress is None else progress
        bar = Progress(sys.stderr) if show else None
        origin_value = value["origin"]
        try:
            defaults = Defaults(
                country(origin_value, _option("--origin")) if origin_value else None,
                tuple(country(d, _option("--destination")) for d in value["destination"] or ()),
            )
            stated = read_facts(facts_file, start=cwd, config=found)
            loaded_policies = None
            if stated is not None and (stated.context or stated.volume):
                # checked against the catalogues as check does (a misspelt context fact or
                # volume line is an error, not a silent no-op): loaded once, for the scan too
                from ..catalogues import load_policies

                loaded_policies = load_policies(value["policies"])
                stated = read_facts(
                    facts_file,
                    start=cwd,
                    config=found,
                    categories=loaded_policies.taxonomy.categories,
                    context_facts=loaded_policies.context_facts(),
                )
            result = scan_spooled(
                ScanOptions(
                    paths=[Path(p) for p in value["paths"] or ["."]],
                    include=list(value["include"]),
                    exclude=list(value["exclude"] or ()),
                    gitignore=bool(value["gitignore"]),
                    policies=value["policies"],
                    as_of=day,
                    unlisted=Verdict(_text(value["unlisted"])) if value["unlisted"] else None,
                    defaults=defaults,
                    fides_map=value["fides-map"],
                    odcs_map=value["odcs-map"],
                    waivers=value["waivers"],
                    baseline=value["baseline"],
                    fail_on=FailOn(_text(value["fail-on"])),
                    checks=tuple(value["check"] or ()),
                    skip_checks=tuple(value["skip-check"] or ()),
                    config=found,
                    facts=stated,
                    loaded=loaded_policies,
                ),
                bar,
            )
        except DataflowRulesError as error:
            if bar is not None:
                bar.close()
            say_error(f"{error.one_line()}")
            raise typer.Exit(error.exit_code) from None
        if bar is not None:
            bar.close()
        style = TextStyle(compact=bool(value["compact"]), quiet=bool(value["quiet"]))
        with result:  # the spool of the files' results is removed when the writers are done
            _not_an_input(result, cwd, [file for _, file in targets if file is not None])
            for name, file in targets:
                use_colour = wants_colour(colour, sys.stdout) if file is None else bool(colour)
                links = _links(file)  # read by the writers that link manifests (HTML)
                if file is None:
                    # click strips colour off a pipe otherwise
                    write_scan(name, result, cast(TextIO, _Echo(use_colour)), use_colour, style, links)
                else:
                    _write_with(
                        file, functools.partial(_write_format, name, result, use_colour, style, links)
                    )
            code = result.exit_code()
            if create_baseline is not None:
                from .baseline import render_baseline

                _write(
                    create_baseline,
                    render_baseline(
                        (f.path, t.id, x) for f in result.each_file() for t in f.transfers for x in t.findings
                    ),
                )
                typer.echo(f"baseline written to {create_baseline}", err=True)
                code = code if code == InputError.exit_code else 0
        raise typer.Exit(code)

    @app.command()
    def schema(
        kind: Annotated[
            SchemaKind, typer.Argument(help="Which file's schema: transfer, catalogue, sidecar, waivers.")
        ],
        policies: Annotated[
            Path | None,
            typer.Option("--policies", "-p", help="Policy directory whose vocabularies the schema lists."),
        ] = None,
        output: Annotated[str | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    ) -> None:
        """Print the JSON Schema of a file people write, for editors to validate and complete."""
        import json

        from ..catalogues import load_policies
        from ..errors import DataflowRulesError
        from .schemas import schema_for

        try:
            loaded = load_policies(policies)
        except DataflowRulesError as error:
            say_error(f"{error.one_line()}")
            raise typer.Exit(error.exit_code) from None
        text = json.dumps(schema_for(kind.value, loaded), indent=2, ensure_ascii=False) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            _write(Path(output), text)


def _option(name: str) -> Location:
    return Location("<command line>", field=name)


def _from_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether a parameter was given (flag or environment), not left at its default."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _text(value: object) -> str:
    """An option's plain string, whether it came as an enum (command line) or text (file)."""
    return str(getattr(value, "value", value))


def _links(file: Path | None) -> str:
    """The prefix that makes manifest links relative to where the HTML report is written."""
    import os

    where = os.path.relpath(Path.cwd(), (file or Path("x")).absolute().parent)
    return "" if where == "." else Path(where).as_posix() + "/"


class _Echo:
    """Standard output as the writers' stream: each piece through click, which strips the
    colour codes off a pipe unless colour was asked for."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def write(self, text: str) -> int:
        typer.echo(text, nl=False, color=self.colour)
        return len(text)


def _write_format(
    name: str, result: ScanReport, colour: bool, style: TextStyle, links: str, out: TextIO
) -> None:
    write_scan(name, result, out, colour, style, links)


def _not_an_input(result: ScanReport, cwd: Path, outputs: list[Path]) -> None:
    """Refuse (exit 2, nothing written) a report that would replace a file the scan read:
    ``--format json:flow.json`` turned a restricted transfer into a report, which the next
    scan skips as no manifest, and that gate passed."""
    if not outputs:
        return
    read = {os.path.realpath(os.path.join(cwd, f.path)) for f in result.each_file()}
    for path in outputs:
        if os.path.realpath(path) in read:
            say_error(f"cannot write {path}: it is one of the files scanned")
            raise typer.Exit(2)


def _write_with(path: Path, writer: Callable[[TextIO], None]) -> None:
    """Write a report to ``path`` as the writer makes it (not held whole in memory)."""
    from ..secure_files import private_output

    try:
        with private_output(path) as out:  # 0600, whole or not at all: it names transfers
            writer(out)
    except OSError as exc:
        say_error(f"cannot write {path}: {exc.strerror}")
        raise typer.Exit(2) from None


def _write(path: Path, text: str) -> None:
    from ..secure_files import private_output

    try:
        with private_output(path) as out:
            out.write(text)
    except OSError as exc:
        say_error(f"cannot write {path}: {exc.strerror}")
        raise typer.Exit(2) from None
