"""``test``: catalogue test suites (like ``opa test``) and their coverage.

A suite is a YAML file named ``*_test.yaml`` holding test cases: a transfer (inline, or
a reference to a file of transfers, ``path`` or ``path#transfer-id``, relative to the
suite), an optional as-of date, and the expected verdict and, optionally, the exact set
of catalogue ids among the decision's reasons. Coverage is read off the engine's trace of
every case (Engine.trace): which entries applied, which green lanes and exemptions fired, and which
side of every count threshold some test put a matching item on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ..engine.engine import Engine
from ..errors import InputError, Location
from ..loading import Document, parse_one, read_text
from ..models.catalogue import COUNTS
from ..models.common import Identifier, Strict, Text
from ..models.decision import Decision, Verdict
from ..models.policies import Policies
from ..models.transfer import Transfer
from ..shipped import shipped_dir
from ..transfers import Located, check_references, read_transfers
from ..validation import validate
from .explain import Trace, trace

SUITE_PATTERNS = ("*_test.yaml", "*_test.yml")
MAX_CASES = 10_000


class Expect(Strict):
    verdict: Verdict
    entries: list[Identifier] | None = None
    """Exactly the catalogue ids named by the decision's reasons (entries, localisation,
    exemptions, green lanes), in any order; omit to check the verdict only."""


class Case(Strict):
    name: Text
    transfer: dict[str, Any] | Annotated[str, Field(min_length=1, max_length=1000)]
    as_of: dt.date | None = None
    expect: Expect


class SuiteFile(Strict):
    suite: Text
    tests: Annotated[list[Case], Field(min_length=1, max_length=MAX_CASES)]


@dataclass(frozen=True)
class CaseResult:
    suite: str
    name: str
    location: Location
    expect: Expect
    decision: Decision

    @property
    def actual_entries(self) -> list[str]:
        return sorted({r.entry_id for r in self.decision.reasons if r.entry_id})

    @property
    def passed(self) -> bool:
        if self.decision.verdict is not self.expect.verdict:
            return False
        return self.expect.entries is None or sorted(set(self.expect.entries)) == self.actual_entries


@dataclass(frozen=True)
class Target:
    """Something a suite should exercise: an entry, lane, exemption or threshold branch."""

    jurisdiction: str
    kind: str
    """entry, localisation, green_lane, exemption or threshold."""
    id: str
    branch: str = ""
    """For thresholds: e.g. ``individuals below 100,000``."""

    def label(self) -> str:
        tail = f" ({self.branch})" if self.branch else ""
        return f"{self.jurisdiction} {self.kind} {self.id}{tail}"


@dataclass
class Coverage:
    targets: list[Target]
    covered: set[Target] = field(default_factory=set)

    @property
    def percent(self) -> float:
        return (
            100.0 if not self.targets else 100.0 * len(self.covered & set(self.targets)) / len(self.targets)
        )

    def missed(self) -> list[Target]:
        return [t for t in self.targets if t not in self.covered]


@dataclass
class SuiteRun:
    results: list[CaseResult]
    coverage: Coverage

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]


def default_suites(cwd: Path | None = None) -> Path:
    """``policies-tests`` in the working directory (a policy repository's own suites),
    else the suites installed with the package, so ``dataflow-rules test`` runs anywhere."""
    here = Path(cwd or ".") / "policies-tests"
    if here.is_dir():
        return here
    return shipped_dir("policies-tests")


def discover(path: Path) -> list[Path]:
    """The suite files at ``path``: the file itself, or every ``*_test.yaml`` beneath it."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError("no such file or directory", Location(str(path)))
    found = sorted({p for pattern in SUITE_PATTERNS for p in path.rglob(pattern)})
    if not found:
        raise InputError(f"no suite files ({', '.join(SUITE_PATTERNS)}) found", Location(str(path)))
    return found


def load_cases(path: Path, policies: Policies) -> Iterator[tuple[str, Case, Location, Transfer]]:
    """Every case of one suite file with its transfer, checked before anything runs."""
    document = parse_one(read_text(path, InputError), str(path), InputError)
    suite = validate(SuiteFile, document, InputError)
    for i, case in enumerate(suite.tests):
        where = document.locate(("tests", i, "name"))
        yield suite.suite, case, where, _transfer(path, document, i, case, policies)


def _transfer(path: Path, document: Document, i: int, case: Case, policies: Policies) -> Transfer:
    if isinstance(case.transfer, dict):
        at: tuple[str | int, ...] = ("tests", i, "transfer")
        transfer = validate(Transfer, document, InputError, case.transfer, at)
        check_references(Located(transfer, document, at), policies)
        return transfer
    ref, _, ident = case.transfer.partition("#")
    target = (path.parent / ref).resolve()
    if not target.is_file():
        raise InputError(
            f"referenced transfer file '{ref}' not found", document.locate(("tests", i, "transfer"))
        )
    located = read_transfers(target, policies)
    if ident:
        chosen = [x for x in located if x.transfer.id == ident]
        if not chosen:
            raise InputError(f"no transfer '{ident}' in {ref}", document.locate(("tests", i, "transfer")))
        return chosen[0].transfer
    if len(located) != 1:
        raise InputError(
            f"{ref} holds {len(located)} transfers; name one as '{ref}#ID'",
            document.locate(("tests", i, "transfer")),
        )
    return located[0].transfer


def run_suites(paths: list[Path], policies: Policies) -> SuiteRun:
    """Load every case of every suite (all are checked first), then decide and trace them."""
    cases = [c for p in paths for c in load_cases(p, policies)]
    engine = Engine(policies)
    coverage = Coverage(targets(policies))
    results = []
    for suite, case, where, transfer in cases:
        decision = engine.decide(transfer, case.as_of)
        results.append(CaseResult(suite, case.name, where, case.expect, decision))
        coverage.covered |= exercised(trace(engine, transfer, decision.as_of))
    return SuiteRun(results, coverage)


# -- coverage -------------------------------------------------------------------------


def _branches(name: str, lower: int | None, upper: int | None) -> list[str]:
    out = []
    if lower is not None:
        out += [f"{name} below {lower:,}", f"{name} at least {lower:,}"]
    if upper is not None:
        out += [f"{name} at most {upper:,}", f"{name} above {upper:,}"]
    return out


def targets(policies: Policies) -> list[Target]:
    """Everything the suites should exercise, in catalogue order."""
    out: list[Target] = []
    for code, loaded in policies.catalogues.items():
        cat = loaded.catalogue
        for kind, rules in (("entry", cat.entries), ("localisation", cat.localisation)):
            for entry in rules:
                out.append(Target(code, kind, entry.id))
                for name in COUNTS:
                    count = getattr(entry.when, name)
                    if count is not None:
                        out += [
                            Target(code, "threshold", entry.id, b)
                            for b in _branches(name, count.lower(), count.upper())
                        ]
        out += [Target(code, "green_lane", lane.id) for lane in cat.green_lanes]
        out += [Target(code, "exemption", x.id) for x in cat.exemptions]
    return out


def exercised(t: Trace) -> set[Target]:
    """What one case exercised, read off the engine's trace: the entries that applied, the
    lanes and exemptions that fired, and which side of each count bound the total a rule
    compared fell on (only for items within the entry's category: a threshold is exercised
    only by data the entry is about)."""
    out: set[Target] = set()
    for side in t.sides:
        code = side.jurisdiction
        out |= {Target(code, f.kind, f.id) for f in side.findings}
        out |= {Target(code, "green_lane", lane) for lane in side.lanes_fired}
        out |= {Target(code, "exemption", x) for x in side.exemptions_fired}
        for a in side.attempts:
            if a.kind not in ("entry", "localisation") or a.checks[0].status != "held":
                continue
            for th in a.thresholds:
                lo, hi = th.lower, th.upper
                if lo is not None and (th.least >= lo or th.most < lo):
                    word = "at least" if th.least >= lo else "below"
                    out.add(Target(code, "threshold", a.id, f"{th.unit} {word} {lo:,}"))
                if hi is not None and (th.most <= hi or th.least > hi):
                    word = "at most" if th.most <= hi else "above"
                    out.add(Target(code, "threshold", a.id, f"{th.unit} {word} {hi:,}"))
    return out
