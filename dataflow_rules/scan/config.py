"""The repository's ``dataflow-rules.yaml``: scan options stated once, beside the code.

A CI pipeline, a pre-commit hook and a person at a terminal should get the same scan
without copying flags between them (issue 15). The file sits at the repository root (the
nearest directory above the working directory holding ``.git``; else the working
directory) or is named with ``--config``. Each key is a scan option's long name without
``--`` (``fail-on: review``, ``skip-check: [us.dsp.*]``); a flag given on the command line
wins over the file, the file over the built-in default. Relative paths in the file are
relative to the file's directory. Unknown keys are errors naming file and line, all of a
file's errors at once (exit 5).

A top-level ``facts:`` mapping (exporter facts: CIIO status, data-broker status, zone,
default recipient facts) is kept raw with its place, :attr:`ScanConfig.facts`; the decision
model's facts file (``dataflow_rules/facts.py``) validates and uses it, not this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigErrors as ConfigErrors
from ..errors import InputError, Location
from ..loading import Document, parse_one, read_text
from ..validation import all_errors

CONFIG_NAME = "dataflow-rules.yaml"

OptionKind = Literal["list", "text", "path", "paths", "bool", "choice"]


@dataclass(frozen=True)
class Option:
    """One scan option as the file, the command line and ``--show-config`` know it."""

    key: str
    """Its name in the file: the long flag without ``--``."""
    param: str
    """The command's parameter name."""
    kind: OptionKind
    default: Any


OPTIONS: tuple[Option, ...] = (
    Option("paths", "paths", "paths", ["."]),
    Option("include", "include", "list", ["*.yaml", "*.yml", "*.json", "*.ndjson", "*.jsonl"]),
    Option("exclude", "exclude", "list", []),
    Option("gitignore", "gitignore", "bool", True),
    Option("format", "fmt", "list", ["text"]),
    Option("fail-on", "fail_on", "choice", "restrict"),
    Option("waivers", "waivers", "path", None),
    Option("baseline", "baseline", "path", None),
    Option("fides-map", "fides_map", "path", None),
    Option("odcs-map", "odcs_map", "path", None),
    Option("policies", "policies", "path", None),
    Option("origin", "origin", "text", None),
    Option("destination", "destination", "list", []),
    Option("unlisted", "unlisted", "choice", None),
    Option("check", "check", "list", []),
    Option("skip-check", "skip_check", "list", []),
    Option("compact", "compact", "bool", False),
    Option("quiet", "quiet", "bool", False),
)
BY_KEY = {o.key: o for o in OPTIONS}
BY_PARAM = {o.param: o for o in OPTIONS}

_Text = Field(min_length=1, max_length=1000)
_List = list[str] | str


class _ConfigFile(BaseModel):
    """The file's shape; hyphenated keys as the flags are spelt."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)

    paths: _List | None = None
    include: _List | None = None
    exclude: _List | None = None
    gitignore: bool | None = None
    format: _List | None = None
    fail_on: Literal["restrict", "review", "never"] | None = Field(None, alias="fail-on")
    waivers: str | None = Field(None, min_length=1)
    baseline: str | None = Field(None, min_length=1)
    fides_map: str | None = Field(None, alias="fides-map", min_length=1)
    odcs_map: str | None = Field(None, alias="odcs-map", min_length=1)
    policies: str | None = Field(None, min_length=1)
    origin: str | None = Field(None, min_length=2, max_length=3)
    destination: _List | None = None
    unlisted: Literal["review", "allow"] | None = None
    check: _List | None = None
    skip_check: _List | None = Field(None, alias="skip-check")
    compact: bool | None = None
    quiet: bool | None = None
    facts: dict[str, Any] | None = None


@dataclass(frozen=True)
class Setting:
    """A merged value and where it came from: ``default``, ``command line`` or file:line."""

    value: Any
    source: str


@dataclass(frozen=True)
class ScanConfig:
    """What a config file states, each value with its place."""

    path: Path
    display: str
    values: dict[str, tuple[Any, Location]] = field(default_factory=dict)
    facts: dict[str, Any] | None = None
    """The raw ``facts:`` mapping, not validated here (dataflow_rules/facts.py does)."""
    facts_location: Location | None = None


def find_config(cwd: Path) -> Path | None:
    """``dataflow-rules.yaml`` at the repository root above ``cwd`` (else in ``cwd``)."""
    here = cwd.resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            candidate = directory / CONFIG_NAME
            return candidate if candidate.is_file() else None
    candidate = here / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: Path, display: str) -> ScanConfig:
    """Read and check a config file; raise :class:`ConfigErrors` with every error."""
    try:
        text = read_text(path, InputError)
        if not text.strip():
            return ScanConfig(path, display)  # an empty file states nothing
        doc = parse_one(text, display, InputError)
    except InputError as error:
        raise ConfigErrors([error.one_line()]) from None
    if doc.value is None:
        return ScanConfig(path, display)
    if not isinstance(doc.value, dict):
        raise ConfigErrors([f"{doc.locate(())}: a config file is a mapping of option names to values"])
    try:
        _ConfigFile.model_validate(doc.value)
    except ValidationError as exc:
        raise ConfigErrors([_line(loc, msg, doc) for loc, msg in all_errors(exc, doc)]) from None
    base = path.resolve().parent
    values: dict[str, tuple[Any, Location]] = {}
    for key, raw in doc.value.items():
        if key == "facts":
            continue
        option = BY_KEY[key]
        values[key] = (_convert(option, raw, base), doc.locate((key,)))
    facts = doc.value.get("facts")
    return ScanConfig(
        path,
        display,
        values,
        facts if isinstance(facts, dict) else None,
        doc.locate(("facts",)) if "facts" in doc.value else None,
    )


def _line(location: Location, message: str, doc: Document) -> str:
    if message.startswith("unknown field '"):
        name = message.split("'")[1]
        message = f"unknown option '{name}' (known: {', '.join(['facts', *BY_KEY])})"
    return " ".join(f"{location}: {message}".split())


def _convert(option: Option, raw: Any, base: Path) -> Any:
    if option.kind in ("list", "paths") and isinstance(raw, str):
        raw = [raw]
    if option.kind == "path" and raw is not None:
        return _relative(base, raw)
    if option.kind == "paths":
        return [_relative(base, p) for p in raw]
    if option.key == "format":
        return [_format_file(base, f) for f in raw]
    return list(raw) if isinstance(raw, list) else raw


def _relative(base: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else base / path


def _format_file(base: Path, value: str) -> str:
    name, sep, file = value.partition(":")
    return f"{name}:{_relative(base, file)}" if sep and file else value


def merge(given: Mapping[str, Any], config: ScanConfig | None, command_line: set[str]) -> dict[str, Setting]:
    """Each option's value: the command line's if given there, else the file's, else the default."""
    merged: dict[str, Setting] = {}
    for option in OPTIONS:
        if option.param in command_line:
            merged[option.key] = Setting(given[option.param], "command line")
        elif config is not None and option.key in config.values:
            value, where = config.values[option.key]
            merged[option.key] = Setting(value, f"{where.file}:{where.line}")
        else:
            merged[option.key] = Setting(option.default, "default")
    return merged


def _plain(value: Any, cwd: Path) -> Any:
    if isinstance(value, Path):
        try:
            return value.resolve().relative_to(cwd.resolve()).as_posix() or "."
        except ValueError:
            return value.as_posix()
    if isinstance(value, list):
        return [_plain(v, cwd) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _plain_format(value: str, cwd: Path) -> str:
    name, sep, file = value.partition(":")
    return f"{name}:{_plain(Path(file), cwd)}" if sep and file else value


def show(merged: Mapping[str, Setting], config: ScanConfig | None, cwd: Path) -> str:
    """The merged options as a config file, each line saying where its value came from."""
    import yaml

    head = f"# config file: {config.display}" if config is not None else "# config file: none found"
    lines = [head]
    for option in OPTIONS:
        setting = merged[option.key]
        value = _plain(setting.value, cwd)
        if option.key == "format":
            value = [_plain_format(v, cwd) for v in value]
        text = yaml.safe_dump(
            {option.key: value}, default_flow_style=True, sort_keys=False, width=10_000
        ).strip()
        lines.append(f"{text.strip('{}')}  # {setting.source}")
    if config is not None and config.facts_location is not None:
        where = config.facts_location
        lines.append(
            f"# facts: {len(config.facts or {})} keys at {where.file}:{where.line} (read by the decision)"
        )
    return "\n".join(lines) + "\n"


def create(given: Mapping[str, Any], command_line: set[str], cwd: Path) -> str:
    """A config file stating the options given on the command line (``--create-config``)."""
    import yaml

    body = {
        o.key: _plain(given[o.param], cwd)
        for o in OPTIONS
        if o.param in command_line and given[o.param] is not None
    }
    text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return (
        '# dataflow-rules scan options (docs/scan.md, "Config file"); flags on the command line win.\n' + text
    )
