"""The one result model of a scan, which every scan format (text, JSON, SARIF, JUnit,
GitHub annotations) renders. Its JSON form is documented in docs/scan.md.

A *finding* is one standing reason of a decision (an entry, localisation, missing-fact or
no-catalogue reason: verdict review or restrict) or one gap the adapters found (a label
with no category, a manifest with no categorised data). Exemptions, green lanes and
defaults explain a decision but are not findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ExitCode, Location, verdict_exit
from ..models.common import Citation
from ..models.decision import Decision, Verdict

SCHEMA_VERSION = 1

FINDING_KINDS = ("entry", "localisation", "missing_fact", "no_catalogue")
"""The reason kinds a scan reports as findings (the others explain, they do not find)."""


class FailOn(StrEnum):
    """Which open findings fail the scan."""

    restrict = "restrict"
    review = "review"
    never = "never"

    def fails(self, verdict: Verdict) -> bool:
        if self is FailOn.never:
            return False
        return verdict.rank >= Verdict(self.value).rank


EXIT_INPUT_ERROR = int(ExitCode.INPUT)
"""A file, sidecar, mapping, waiver or baseline could not be read: the scan is incomplete."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Place(_Frozen):
    """Where something is: file (as the scan shows it), 1-based line and column, field."""

    file: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    @classmethod
    def of(cls, location: Location) -> Place:
        return cls(file=location.file, line=location.line, column=location.column, field=location.field)

    def __str__(self) -> str:
        return str(Location(self.file, self.line, self.column, self.field))


class Problem(_Frozen):
    """An input error: the one-line message and where it is."""

    place: Place
    message: str

    def one_line(self) -> str:
        return " ".join(f"{self.place}: {self.message}".split())


class WaiverRef(_Frozen):
    """The waiver that turned a finding into a reported, non-failing one."""

    id: str | None = None
    approved_by: str
    reason: str
    expires: dt.date
    ticket: str
    place: Place


FindingKind = Literal[
    "entry",
    "localisation",
    "missing_fact",
    "no_catalogue",
    "unmapped_label",
    "no_data_categories",
    "fides_key_outside_taxonomy",
]


class Finding(_Frozen):
    rule_id: str
    """The catalogue entry id, or a synthetic id: ``missing-fact/<entry>``,
    ``no-catalogue/<CC>``, ``unmapped-label``, ``no-data-categories``,
    ``fides-key-outside-taxonomy``."""
    kind: FindingKind
    verdict: Verdict
    jurisdiction: str | None = None
    side: Literal["outbound", "inbound"] | None = None
    title: str | None = None
    requirement: str | None = None
    message: str
    categories: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    place: Place
    """The first data item the finding is about, else the transfer."""
    related: list[Place] = Field(default_factory=list)
    """Every other place the finding's data items come from."""
    fingerprint: str
    """Stable over edits that move lines: file, transfer id, rule, side, categories."""
    waiver: WaiverRef | None = None

    @property
    def waived(self) -> bool:
        return self.waiver is not None


SourceKind = Literal[
    "transfer",
    "fides_dataset",
    "fides_system",
    "odcs_contract",
    "dbt_model",
    "openlineage_run",
    "terraform_replication",
]


class TransferResult(_Frozen):
    id: str
    source: SourceKind
    name: str | None = None
    place: Place
    origin: str
    destination: str
    categories: list[str] = Field(default_factory=list)
    """The taxonomy categories of its data items, in item order."""
    verdict: Verdict
    """The strictest verdict of its decision and findings, waived or not."""
    decision: Decision | None = None
    """None when nothing could be decided (no categorised data)."""
    findings: list[Finding] = Field(default_factory=list)

    def failing(self, fail_on: FailOn) -> list[Finding]:
        return [f for f in self.findings if not f.waived and fail_on.fails(f.verdict)]


FileStatus = Literal["recognised", "skipped", "error"]
FileKind = Literal["transfer", "fides", "odcs", "dbt", "openlineage", "terraform", "sidecar"]


class FileResult(_Frozen):
    path: str
    status: FileStatus
    kind: FileKind | None = None
    reason: str | None = None
    """Why the file was skipped, or a note on a recognised file (e.g. no countries)."""
    error: Problem | None = None
    transfers: list[TransferResult] = Field(default_factory=list)


class Summary(_Frozen):
    files: int
    recognised: int
    """Manifests recognised (sidecars are counted apart)."""
    sidecars: int
    skipped: int
    errors: int
    transfers: int
    verdicts: dict[str, int]
    findings_open: int
    findings_failing: int
    findings_waived: int
    findings_baselined: int


class ScanTotals:
    """What the summary and the exit code need, added up one file at a time: counters,
    not results, so a scan of any size keeps only these (and its input errors) in memory
    while its files' results wait in a spool (scan/spool.py). A :class:`ScanResult` is
    summed through the same class, so the two cannot disagree."""

    def __init__(self, fail_on: FailOn) -> None:
        self.fail_on = fail_on
        self.files = 0
        self.recognised = 0
        self.sidecars = 0
        self.skipped = 0
        self.file_errors: list[Problem] = []
        self.transfers = 0
        self.verdicts = {v.value: 0 for v in _ORDER}
        self.findings_open = 0
        self.findings_failing = 0
        self.findings_waived = 0
        self.failing: list[Verdict] = []
        """The verdict of each failing finding's strictest kind, once each (exit code)."""

    def add(self, f: FileResult) -> None:
        self.files += 1
        if f.status == "recognised":
            if f.kind == "sidecar":
                self.sidecars += 1
            else:
                self.recognised += 1
        elif f.status == "skipped":
            self.skipped += 1
        if f.error is not None:
            self.file_errors.append(f.error)
        for t in f.transfers:
            self.transfers += 1
            self.verdicts[t.verdict.value] += 1
            for x in t.findings:
                if x.waived:
                    self.findings_waived += 1
                else:
                    self.findings_open += 1
                    if self.fail_on.fails(x.verdict):
                        self.findings_failing += 1
                        if x.verdict not in self.failing:
                            self.failing.append(x.verdict)

    def problems(self, errors: list[Problem]) -> list[Problem]:
        return self.file_errors + list(errors)

    def summary(self, errors: list[Problem], baselined: int) -> Summary:
        return Summary(
            files=self.files,
            recognised=self.recognised,
            sidecars=self.sidecars,
            skipped=self.skipped,
            errors=len(self.file_errors) + len(errors),
            transfers=self.transfers,
            verdicts=dict(self.verdicts),
            findings_open=self.findings_open,
            findings_failing=self.findings_failing,
            findings_waived=self.findings_waived,
            findings_baselined=baselined,
        )

    def exit_code(self, errors: list[Problem]) -> int:
        """5 on any input error; else 4 or 3 for failing restrict or review findings; else 0."""
        if self.file_errors or errors:
            return EXIT_INPUT_ERROR
        return int(verdict_exit(Verdict.strictest(self.failing))) if self.failing else 0


class ScanReport(Protocol):
    """What every scan writer reads: a :class:`ScanResult` in memory, or a spooled scan
    (scan/spool.py) whose files are read back one at a time, so a writer never needs
    every file's result at once."""

    schema_version: int
    tool: dict[str, str]
    fail_on: FailOn
    errors: list[Problem]
    unused_waivers: list[Place]
    baselined: int
    deselected: int

    def each_file(self) -> Iterator[FileResult]:
        """The files' results in report order (by path), one at a time."""
        ...

    def each_transfer(self) -> Iterator[TransferResult]: ...

    def problems(self) -> list[Problem]: ...

    def summary(self) -> Summary: ...

    def exit_code(self) -> int: ...


class ScanResult(_Frozen):
    schema_version: int = SCHEMA_VERSION
    tool: dict[str, str]
    fail_on: FailOn
    files: list[FileResult]
    errors: list[Problem] = Field(default_factory=list)
    """Input errors outside any scanned file: waivers, baseline, missing paths."""
    unused_waivers: list[Place] = Field(default_factory=list)
    baselined: int = 0
    """Findings left out because the baseline already holds them."""
    deselected: int = 0
    """Findings left out by ``--check``/``--skip-check``."""

    def transfers(self) -> list[TransferResult]:
        return [t for f in self.files for t in f.transfers]

    def each_file(self) -> Iterator[FileResult]:
        return iter(self.files)

    def each_transfer(self) -> Iterator[TransferResult]:
        return (t for f in self.files for t in f.transfers)

    def totals(self) -> ScanTotals:
        totals = ScanTotals(self.fail_on)
        for f in self.files:
            totals.add(f)
        return totals

    def problems(self) -> list[Problem]:
        return [f.error for f in self.files if f.error is not None] + list(self.errors)

    def summary(self) -> Summary:
        return self.totals().summary(self.errors, self.baselined)

    def exit_code(self) -> int:
        """5 on any input error; else 4 or 3 for failing restrict or review findings; else 0."""
        return self.totals().exit_code(self.errors)


def in_memory(report: ScanReport) -> ScanResult:
    """Every file's result of ``report`` in memory (a writer that needs them all at once,
    the HTML page; the scan API)."""
    if isinstance(report, ScanResult):
        return report
    return ScanResult(
        tool=report.tool,
        fail_on=report.fail_on,
        files=list(report.each_file()),
        errors=report.errors,
        unused_waivers=report.unused_waivers,
        baselined=report.baselined,
        deselected=report.deselected,
    )


_ORDER = (Verdict.RESTRICT, Verdict.REVIEW, Verdict.ALLOW)
