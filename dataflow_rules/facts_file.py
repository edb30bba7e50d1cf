"""Reading the facts file: ``--facts FILE``, else the ``facts:`` section of a
``dataflow-rules.yaml`` found in the working directory or a parent, up to the repository
root (the directory holding ``.git``).

A file given with ``--facts`` may be a whole ``dataflow-rules.yaml`` (its ``facts:``
section is read, the rest belongs to other readers) or just the facts mapping. The
file is read with the project's safe loader, so a mistake is one located error (exit 5).
"""

import difflib
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from .errors import InputError, InputErrors
from .loading import Document, parse_one, read_text
from .suggest import unknown_context_fact
from .validation import all_errors

if TYPE_CHECKING:  # the model is imported where a file is validated: a run without one never builds it
    from .models.facts import Facts

CONFIG_NAME = "dataflow-rules.yaml"

FactsOption = Annotated[
    Path | None,
    typer.Option(
        "--facts",
        metavar="FILE",
        help="Exporter facts stated once for every transfer (default: the 'facts:' of a "
        "dataflow-rules.yaml in this directory or a parent, up to the repository root; outside "
        "a repository, this directory's only).",
    ),
]


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``dataflow-rules.yaml`` from ``start`` up to the repository root; outside
    a repository, only ``start``'s own. Parents are searched only inside a repository: a
    file planted in a shared directory above (``/tmp/dataflow-rules.yaml``) must not state
    facts for every run below it."""
    here = (start or Path.cwd()).resolve()
    found: Path | None = None
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if found is None and candidate.is_file():
            found = candidate
        if (directory / ".git").exists():
            return found
    own = here / CONFIG_NAME
    return own if own.is_file() else None


def read_facts(
    path: Path | None,
    start: Path | None = None,
    config: Path | None = None,
    categories: Collection[str] | None = None,
    context_facts: Collection[str] | None = None,
) -> "Facts | None":
    """The facts of ``path`` (a facts file, or a config file with ``facts:``), else of
    ``config`` (a config file named with ``--config``) or of the discovered config file;
    None when there are none.

    ``categories``: the taxonomy's categories, when the caller has loaded it: a ``volume``
    line naming none of them is an error (a misspelt line would otherwise cap nothing,
    silently). ``context_facts``: the context facts the loaded catalogues declare, when the
    caller has loaded them: a ``context`` key naming none of them is an error, as it is in a
    transfer (a misspelt one would otherwise be listed as an assumption that nothing reads).
    Every error of the file is reported at once, each on its line."""
    explicit = path is not None
    source = path if explicit else (config or find_config(start))
    if source is None:
        return None
    document = parse_one(read_text(source, InputError), str(source), InputError)
    value = document.value
    prefix: tuple[str, ...] = ()
    if isinstance(value, dict) and "facts" in value:
        value, prefix = value["facts"], ("facts",)
    elif not explicit:
        return None  # a config file without facts
    if value is None:
        return None
    facts = _validate(document, value, prefix, categories, context_facts)
    return facts.model_copy(update={"source": str(path if explicit else source.name)})


def _validate(
    document: Document,
    value: Any,
    prefix: tuple[str, ...],
    categories: Collection[str] | None,
    context_facts: Collection[str] | None,
) -> "Facts":
    from .models.facts import Facts

    problems, value = _claims(document, value, prefix)
    facts: Facts | None = None
    try:
        facts = Facts.model_validate(value)
    except ValidationError as exc:
        problems += all_errors(exc, document, prefix, Facts)
    volume = value.get("volume") if isinstance(value, dict) else None
    if categories is not None and isinstance(volume, dict):
        for line in volume:
            if isinstance(line, str) and line not in categories:
                where = document.locate((*prefix, "volume", line))
                near = difflib.get_close_matches(line, list(categories), n=1, cutoff=0.7)
                hint = f" (did you mean '{near[0]}'?)" if near else " (not a category of the taxonomy)"
                problems.append((where, f"unknown category '{line}'{hint}"))
    context = value.get("context") if isinstance(value, dict) else None
    if context_facts is not None and isinstance(context, dict):
        for key in context:
            if isinstance(key, str) and key not in context_facts:
                where = document.locate((*prefix, "context", key))
                problems.append((where, unknown_context_fact(key, context_facts)))
    if problems:
        problems.sort(key=lambda pair: (pair[0].line or 0, pair[0].column or 0, pair[1]))
        raise InputErrors([InputError(message, where) for where, message in problems])
    assert facts is not None
    return facts


def _claims(document: Document, value: Any, prefix: tuple[str, ...]) -> tuple[list[tuple[Any, str]], Any]:
    """Each party claim the file states that a facts file may not (models.facts.CLAIMS:
    ``recipient.us_person``, one recipient's own status), on its own line with why; and
    ``value`` without them, so that the rest of the file is checked as it would be."""
    from .models.facts import CLAIMS

    if not isinstance(value, dict):
        return [], value
    problems: list[tuple[Any, str]] = []
    out = dict(value)
    for (section, key), message in sorted(CLAIMS.items()):
        part = out.get(section)
        if isinstance(part, dict) and key in part:
            problems.append((document.locate((*prefix, section, key)), message))
            out[section] = {k: v for k, v in part.items() if k != key}
    return problems, out
