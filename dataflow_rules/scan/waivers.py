"""Waivers: a named person's time-limited acceptance of one finding, with reason and ticket.

A waiver names a transfer id and a rule id (a catalogue entry id or a synthetic id such as
``missing-fact/<entry>``), optionally a file, and must say who approved it, why, until
when (``expires``, the last day it holds) and under which ticket. A matching finding is
still reported in every format, marked waived, and does not fail the scan. An expired or
malformed waiver is an input error: the scan reports it and exits 5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ..errors import DataflowRulesError, InputError
from ..loading import Document, parse_one, read_text
from ..models.common import Date, Identifier, Strict, Text
from ..models.scan import Finding, Place, Problem, WaiverRef
from ..validation import all_errors

Short = Annotated[str, Field(min_length=1, max_length=200)]


class Waiver(Strict):
    id: Identifier | None = None
    transfer: Short
    entry: Short
    """The rule id of the finding: a catalogue entry id or a synthetic id."""
    file: Short | None = None
    """Only findings in this file (as the scan shows its path); default: any file."""
    approved_by: Text
    reason: Annotated[str, Field(min_length=10, max_length=2000)]
    expires: Date
    """The last day the waiver holds."""
    ticket: Short


class _WaiverFile(Strict):
    waivers: Annotated[list[Waiver], Field(max_length=10_000)]


@dataclass(frozen=True)
class LoadedWaiver:
    waiver: Waiver
    place: Place

    def ref(self) -> WaiverRef:
        """The waiver as a waived finding reports it: every field a WaiverRef has is the
        waiver's own, but where the waiver is written."""
        own = WaiverRef.model_fields.keys() - {"place"}
        return WaiverRef(**self.waiver.model_dump(include=own), place=self.place)

    def matches(self, file: str, transfer: str, finding: Finding) -> bool:
        w = self.waiver
        return w.transfer == transfer and w.entry == finding.rule_id and (w.file is None or w.file == file)


@dataclass
class Waivers:
    active: list[LoadedWaiver] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    files: dict[int, set[str]] = field(default_factory=dict)
    """The files each waiver naming no file met a finding in."""

    def apply(self, file: str, transfer: str, finding: Finding) -> Finding:
        for n, loaded in enumerate(self.active):
            if loaded.matches(file, transfer, finding):
                self.used.add(n)
                if loaded.waiver.file is None:
                    self.files.setdefault(n, set()).add(file)
                return finding.model_copy(update={"waiver": loaded.ref()})
        return finding

    def ambiguous(self) -> list[Problem]:
        """A problem for each waiver naming no file that met transfers of several files.

        Transfer ids are the manifests' own, and two files may hold transfers under one id:
        a waiver approved for 101 people's genomic data (no ``file``) waived a copy of the
        manifest under the same id with 900,000, and the gate passed. A waiver is one
        person's acceptance of one transfer's finding, so one that reaches two files is
        refused until it names its file (the scan fails, exit 5)."""
        problems = []
        for n, files in sorted(self.files.items()):
            if len(files) > 1:
                w = self.active[n].waiver
                problems.append(
                    Problem(
                        place=self.active[n].place,
                        message=f"waiver for transfer '{w.transfer}', entry '{w.entry}' names no file and meets"
                        f" transfers under that id in {', '.join(sorted(files))}: a waiver covers one"
                        " transfer; add `file:` naming the one it was approved for",
                    )
                )
        return problems

    def unused(self) -> list[Place]:
        return [w.place for n, w in enumerate(self.active) if n not in self.used]


def load_waivers(path: Path, display: str, today: dt.date) -> Waivers:
    """Every valid, unexpired waiver; every malformed or expired one as a problem."""
    out = Waivers()
    try:
        document = parse_one(read_text(path, InputError), display, InputError)
    except DataflowRulesError as error:
        out.problems.append(_problem(error))
        return out
    value = document.value
    if not isinstance(value, dict) or "waivers" not in value or not isinstance(value["waivers"], list):
        out.problems.append(
            Problem(
                place=Place.of(document.locate(())), message="a waiver file is a mapping 'waivers: [...]'"
            )
        )
        return out
    extra = sorted(set(value) - {"waivers"})
    if extra:
        out.problems.append(
            Problem(place=Place.of(document.locate((extra[0],))), message=f"unknown field '{extra[0]}'")
        )
    seen: dict[tuple[str, str, str | None], Place] = {}
    for i, item in enumerate(value["waivers"]):
        loaded = _one(document, i, item, out)
        if loaded is None:
            continue
        w = loaded.waiver
        if w.expires < today:
            out.problems.append(
                Problem(
                    place=Place.of(document.locate(("waivers", i, "expires"))),
                    message=f"waiver for transfer '{w.transfer}', entry '{w.entry}' expired on {w.expires.isoformat()}"
                    f" (approved by {w.approved_by}, ticket {w.ticket}): renew it or remove it",
                )
            )
            continue
        key = (w.transfer, w.entry, w.file)
        if key in seen:
            out.problems.append(
                Problem(
                    place=loaded.place,
                    message=f"a second waiver for transfer '{w.transfer}', entry '{w.entry}' (first at line {seen[key].line})",
                )
            )
            continue
        seen[key] = loaded.place
        out.active.append(loaded)
    return out


def _one(document: Document, i: int, item: object, out: Waivers) -> LoadedWaiver | None:
    from pydantic import ValidationError

    place = Place.of(document.locate(("waivers", i)))
    try:
        waiver = Waiver.model_validate(item)
    except ValidationError as exc:
        where, message = all_errors(exc, document, ("waivers", i))[0]
        out.problems.append(Problem(place=Place.of(where), message=f"malformed waiver: {message}"))
        return None
    return LoadedWaiver(waiver, place)


def _problem(error: DataflowRulesError) -> Problem:
    location = error.location
    place = Place.of(location) if location else Place(file="<waivers>")
    return Problem(place=place, message=error.message)
