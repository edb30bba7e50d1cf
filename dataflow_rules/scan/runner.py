"""The scan: find the files, recognise each, adapt and decide every transfer, apply waivers
and the baseline, and gather one :class:`ScanResult`.

A file that cannot be read or does not fit its format is an error for that file (with
its line), reported with every other file's results; nothing from that file is decided.
Catalogue and engine failures stop the scan (exit 6 and 7), as in ``check``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import heapq
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..catalogues import load_policies
from ..engine.counting import Ledger, PriorItem
from ..engine.engine import Engine
from ..engine.presume import apply_facts
from ..errors import DataflowRulesError, InputError, Location
from ..loading import Document, parse_documents, read_text
from ..models.decision import Decision, Reason, Verdict
from ..models.facts import Facts
from ..models.policies import Policies
from ..models.scan import (
    FINDING_KINDS,
    FailOn,
    FileKind,
    FileResult,
    Finding,
    Place,
    Problem,
    ScanResult,
    ScanTotals,
    TransferResult,
)
from ..transfers import parse_transfers
from . import dbt, fides, gate, odcs, openlineage, terraform
from .adapted import AdaptedTransfer, Gap
from .baseline import fingerprint, load_baseline
from .flows import Defaults, Reading
from .mapping import FidesMap, OdcsMap, load_fides_map, load_odcs_map
from .sidecar import LoadedSidecar, is_sidecar, manifests_for, parse_sidecar, sidecars_for
from .sniff import could_be_manifest
from .spool import Spool, SpooledScan
from .waivers import Waivers, load_waivers
from .walk import DEFAULT_INCLUDE, Candidate, Walker, display_path

Progress = Callable[[int, int, str], None]
ADAPTERS = {
    "fides": fides.adapt,
    "odcs": odcs.adapt,
    "dbt": dbt.adapt,
    "openlineage": openlineage.adapt,
    "terraform": terraform.adapt,
}
"""Each manifest kind's adapter: ``adapt(documents, reading) -> (transfers, without)``."""
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
"""Read one JSON value a line (OpenLineage events are often logged so)."""


@dataclass(frozen=True)
class ScanOptions:
    paths: Sequence[Path] = (Path("."),)
    include: Sequence[str] = DEFAULT_INCLUDE
    exclude: Sequence[str] = ()
    gitignore: bool = True
    policies: Path | None = None
    as_of: dt.date | None = None
    unlisted: Verdict | None = None
    defaults: Defaults = field(default_factory=Defaults)
    fides_map: Path | None = None
    odcs_map: Path | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    fail_on: FailOn = FailOn.restrict
    today: dt.date | None = None
    """The day waivers are judged on (default: today)."""
    cwd: Path | None = None
    checks: Sequence[str] = ()
    """Report only findings whose rule id (or the entry it concerns) matches one (id or glob)."""
    skip_checks: Sequence[str] = ()
    """Leave out findings whose rule id (or the entry it concerns) matches one."""
    config: Path | None = None
    """The config file the options came from: reported as the scan's own file, not scanned."""
    facts: Facts | None = None
    """Facts stated once for the repository's exporter (the config's ``facts:``)."""
    decided_on: dt.date | None = None
    """The day the scan runs (default: the clock): decisions are as of it unless ``as_of``
    says otherwise, and an ``as_of`` before it (retrospective) or after it fails the gate."""
    loaded: Policies | None = None
    """The policies of ``policies``, when the caller has loaded them already (to check the
    facts file's context facts against the catalogues): not loaded a second time."""
    cumulative: bool = True
    """Count the run's transfers together, per exporter and counterparty, where the law
    counts across transfers: the manifests of one repository are one exporter's flows."""


def scan(options: ScanOptions, progress: Progress | None = None) -> ScanResult:
    """Scan ``options.paths``, every file's result in memory (the API; the CLI writes its
    reports from :func:`scan_spooled`). Raises only for catalogue/engine failures and bad maps."""
    with scan_spooled(options, progress) as spooled:
        return spooled.load()


def scan_spooled(options: ScanOptions, progress: Progress | None = None) -> SpooledScan:
    """Scan ``options.paths`` with each file's result written to a private spool as it is
    decided, keeping only counters in memory: the writers read the files back one at a
    time, so a scan's memory does not grow with the number of files (issue 14). Close the
    result (``with``) to remove the spool. Raises only for catalogue/engine failures and
    bad maps."""
    cwd = Path(options.cwd or Path.cwd()).resolve()
    policies = options.loaded or load_policies(options.policies)
    fmap = load_fides_map(policies, options.fides_map)
    omap = load_odcs_map(policies, options.odcs_map)
    engine = Engine(policies, options.unlisted)
    errors: list[Problem] = []
    waivers = Waivers()
    if options.waivers is not None:
        waivers = load_waivers(
            options.waivers, display_path(options.waivers, cwd), options.today or dt.date.today()
        )
        errors += waivers.problems
    known: set[str] = set()
    if options.baseline is not None:
        try:
            known = load_baseline(options.baseline, display_path(options.baseline, cwd))
        except DataflowRulesError as error:
            errors.append(_problem(error, display_path(options.baseline, cwd)))
    walk = Walker(options.include, options.exclude, options.gitignore, cwd).walk(list(options.paths))
    errors += [Problem(place=Place(file=m), message="no such file or directory") for m in walk.missing]
    candidates = _Candidates(_with_manifests(walk.files, cwd), cwd)
    walked_skipped = walk.skipped
    del walk  # its Candidates (a Path each) are held as text from here
    config = {
        display_path(p, cwd) for p in (options.waivers, options.baseline, options.config) if p is not None
    }
    today = options.decided_on or dt.date.today()
    if options.as_of is not None and options.as_of < today:
        # A gate decides today's transfers by today's law: a back-dated scan never passes.
        errors.append(
            Problem(
                place=Place(file="<command line>"),
                message=f"--as-of {options.as_of} is before today ({today}): a retrospective scan "
                "describes the law then and cannot pass a gate",
            )
        )
    elif options.as_of is not None and options.as_of > today:
        # Nor a forward-dated one: a later day's law (a grace period ended, an exemption in
        # force from then) is not the law today's transfers leave under.
        errors.append(
            Problem(
                place=Place(file="<command line>"),
                message=f"--as-of {options.as_of} is after today ({today}): a scan as of a later "
                "day describes the law then and cannot pass a gate",
            )
        )
    scanner = _Scanner(policies, engine, fmap, omap, options, waivers, known)
    # Each file is read and adapted once. Counting the run together needs every transfer
    # before the first decision: then the files' adapted transfers (not their text or
    # documents) wait in a spool of their own between reading and deciding, and only the
    # ledger's items stay in memory; otherwise each file is decided as read.
    reads: Spool | None = None
    if options.cumulative:
        reads = Spool("read")
        try:
            ledger = Ledger()
            for c in candidates:
                if c.display not in config:
                    read = scanner.read(c)
                    scanner.add_to_ledger(ledger, read, options.as_of or today)
                    reads.add(read)
            scanner.ledger = ledger
        except BaseException:
            reads.close()
            raise
    spool = Spool()
    totals = ScanTotals(options.fail_on)
    try:

        def decided() -> Iterator[FileResult]:
            held = iter(reads) if reads is not None else None
            for n, candidate in enumerate(candidates, 1):
                if candidate.display in config:
                    yield FileResult(
                        path=candidate.display,
                        status="skipped",
                        reason="the scan's own config, waiver or baseline file",
                    )
                else:
                    read = next(held) if held is not None else scanner.read(candidate)
                    assert isinstance(read, FileResult | _Read)
                    yield scanner.finish(read)
                if progress is not None:
                    progress(n, len(candidates), candidate.display)

        skipped = [FileResult(path=s.display, status="skipped", reason=s.reason) for s in walked_skipped]
        skipped.sort(key=lambda f: f.path)
        # Candidates come sorted by path: merged with the skipped files (first on a tie, as
        # the stable sort of one list put them), the report's order is the paths' order.
        for result in heapq.merge(skipped, decided(), key=lambda f: f.path):
            spool.add(result)
            totals.add(result)
        spool.finish()
    except BaseException:
        spool.close()
        raise
    finally:
        if reads is not None:
            reads.close()
    errors += waivers.ambiguous()
    return SpooledScan(
        tool={"name": "dataflow-rules", "version": __version__},
        fail_on=options.fail_on,
        spool=spool,
        totals=totals,
        errors=errors,
        unused_waivers=waivers.unused() if not waivers.problems else [],
        baselined=scanner.baselined,
        deselected=scanner.deselected,
    )


class _Candidates(Sequence[Candidate]):
    """The files to read, held as text (display, path where it is not ``cwd/display``,
    explicit), each made a :class:`Candidate` again when read: a ``Path`` object per file,
    held for the whole scan, was some 5 MiB of a 10,000-file scan's growth (issue 14)."""

    def __init__(self, candidates: list[Candidate], cwd: Path) -> None:
        below = f"{cwd}{os.sep}"
        self._displays = [c.display for c in candidates]
        self._paths: list[str | None] = []
        for c in candidates:
            text = str(c.path)
            # Path(text) is c.path again (a path's text is its normal form).
            self._paths.append(None if text == below + c.display else text)
        self._explicit = bytearray(c.explicit for c in candidates)
        self._below = below

    def __len__(self) -> int:
        return len(self._displays)

    def __getitem__(self, n):  # type: ignore[no-untyped-def]
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        display, text = self._displays[n], self._paths[n]
        return Candidate(
            Path(self._below + display if text is None else text), display, bool(self._explicit[n])
        )

    def __iter__(self) -> Iterator[Candidate]:
        return (self[n] for n in range(len(self)))


def _with_manifests(candidates: list[Candidate], cwd: Path) -> list[Candidate]:
    """A sidecar named on the command line brings its manifest into the scan."""
    seen = {c.display for c in candidates}
    out = list(candidates)
    for c in candidates:
        if c.explicit and is_sidecar(c.path):
            for manifest in manifests_for(c.path):
                display = display_path(manifest, cwd)
                if display not in seen:
                    seen.add(display)
                    out.append(Candidate(manifest, display, True))
    return sorted(out, key=lambda c: c.display)


def selected(rule_id: str, checks: Sequence[str], skip_checks: Sequence[str]) -> bool:
    """Whether ``--check``/``--skip-check`` keep a finding: each pattern is an id or a glob
    (``us.dsp.*``) matched against the rule id and, for ``missing-fact/<entry>``, the entry."""
    names = {rule_id, rule_id.split("/", 1)[1]} if rule_id.startswith("missing-fact/") else {rule_id}

    def hit(patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)

    return (not checks or hit(checks)) and not hit(skip_checks)


def _problem(error: DataflowRulesError, file: str) -> Problem:
    place = Place.of(error.location) if error.location else Place(file=file)
    return Problem(place=place, message=error.message)


def _is_suite(value: object) -> bool:
    """A catalogue test suite file (workbench/suites.py): ``suite`` and a list of ``tests``."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("suite"), str)
        and isinstance(value.get("tests"), list)
    )


def _is_transfer(value: object) -> bool:
    if isinstance(value, list):
        # Any element, not only the first: `[1, {transfer}]` must not hide the transfer.
        return any(isinstance(v, dict) and _is_transfer(v) for v in value)
    if not isinstance(value, dict):
        return False
    if set(value) == {"transfers"}:
        return True
    return "data" in value and bool({"origin", "destination"} & set(value))


def _kind(value: object) -> FileKind | None:
    if _is_transfer(value):
        return "transfer"
    if odcs.is_odcs(value):  # before Fides: a v2 contract's `dataset:` is a list too
        return "odcs"
    if dbt.is_dbt(value):
        return "dbt"
    if openlineage.is_openlineage(value):
        return "openlineage"
    if terraform.is_plan(value):
        return "terraform"
    if fides.is_fides(value):
        return "fides"
    return None


def _no_transfer_in(documents: Sequence[Document]) -> None:
    """Raise when a file that is about to be skipped shows a transfer's fields anywhere."""
    found = gate.find_in_documents(documents)
    if found is not None:
        doc, where = found
        raise InputError(
            "a transfer's fields (origin or destination, and data) in a file that is not"
            " a manifest this tool reads: nothing in it was decided, so it cannot be skipped",
            doc.locate(where),
        )


@dataclass
class _Read:
    """A recognised file, read and adapted, not yet decided."""

    display: str
    kind: FileKind
    note: str | None
    adapted: list[AdaptedTransfer]


class _Scanner:
    def __init__(
        self,
        policies: Policies,
        engine: Engine,
        fmap: FidesMap,
        omap: OdcsMap,
        options: ScanOptions,
        waivers: Waivers,
        baseline: set[str],
    ) -> None:
        self.policies, self.engine, self.fmap, self.omap = policies, engine, fmap, omap
        self.options, self.waivers, self.baseline = options, waivers, baseline
        self.baselined = 0
        self.deselected = 0
        self.ledger: Ledger | None = None

    def file(self, candidate: Candidate) -> FileResult:
        """Read, adapt and decide one file."""
        return self.finish(self.read(candidate))

    def finish(self, read: FileResult | _Read) -> FileResult:
        """Decide a file's transfers (a file already reported as skipped or an error is
        passed through)."""
        if isinstance(read, FileResult):
            return read
        try:
            transfers = [self._decide(read.display, a) for a in read.adapted]
        except DataflowRulesError as error:
            if error.exit_code != InputError.exit_code:
                raise
            return FileResult(path=read.display, status="error", error=_problem(error, read.display))
        return FileResult(
            path=read.display, status="recognised", kind=read.kind, reason=read.note, transfers=transfers
        )

    def read(self, candidate: Candidate) -> FileResult | _Read:
        """One file read, recognised and adapted: its transfers, or what it is instead (a
        skipped file, an error for the file)."""
        display = candidate.display
        try:
            if is_sidecar(candidate.path):
                return self._sidecar(candidate)
            text = read_text(candidate.path, InputError)
            try:
                if candidate.path.suffix.lower() in NDJSON_SUFFIXES:
                    documents = openlineage.ndjson_documents(text, display, InputError)
                else:
                    documents = list(parse_documents(text, display, InputError))
            except InputError as refused:
                if could_be_manifest(text, _kind) or openlineage.has_event_line(text):
                    raise
                line = gate.composed_line(text)
                if line is not None:
                    # Fail closed: unreadable, but its text shows a transfer (issue 19, item 7).
                    raise InputError(
                        f"{refused.message} (the text shows a transfer's fields, origin or"
                        f" destination and data, at line {line}: it cannot be skipped)",
                        refused.location or Location(display, line),
                    ) from None
                # Valid for its own tool (a CloudFormation tag, a Helm template), not ours.
                return FileResult(
                    path=display,
                    status="skipped",
                    reason=f"not a transfer manifest, Fides manifest or ODCS contract ({refused.message})",
                )
            kinds = [_kind(d.value) for d in documents]
            first = next((k for k in kinds if k is not None), None)
            if first is None and documents and all(_is_suite(d.value) for d in documents):
                # Catalogue test cases (dataflow-rules test): hypothetical transfers, run by
                # `dataflow-rules test`, not flows of this repository.
                return FileResult(
                    path=display,
                    status="skipped",
                    reason="a catalogue test suite (run by `dataflow-rules test`)",
                )
            unread_odcs = first == "odcs" and not all(odcs.is_readable(d.value) for d in documents)
            if first is None or unread_odcs:
                # A file about to be skipped (no kind, or a contract of a version not read)
                # must not hold a transfer: an ODCS v1 contract followed by a transfer
                # document was skipped whole, and that gate passed (s10 attack).
                _no_transfer_in(documents)
            if first is None:
                reason = next(
                    (r for r in (odcs.skip_reason(d.value) for d in documents) if r),
                    "empty" if not documents else "not a transfer manifest, Fides manifest or ODCS contract",
                )
                return FileResult(path=display, status="skipped", reason=reason)
            if unread_odcs:
                old = next(d for d in documents if not odcs.is_readable(d.value))
                version = old.value.get("apiVersion")
                return FileResult(
                    path=display,
                    status="skipped",
                    kind="odcs",
                    reason=f"ODCS {version}: only v2 and v3 contracts are read",
                )
            for doc, kind in zip(documents, kinds, strict=True):
                if kind != first and first != "transfer":
                    raise InputError(
                        f"this document is not a {first} document like the file's first", doc.locate(())
                    )
            adapted, note = self._adapt(first, candidate, text, documents)
        except DataflowRulesError as error:
            if error.exit_code != InputError.exit_code:
                raise
            return FileResult(path=display, status="error", error=_problem(error, display))
        return _Read(display, first, note, adapted)

    def _sidecar(self, candidate: Candidate) -> FileResult:
        manifests = manifests_for(candidate.path)
        if not manifests:
            stem = candidate.path.name.split(".dataflow.")[0]
            raise InputError(
                f"sidecar without a manifest: no {stem}.yaml, {stem}.yml, {stem}.json or {stem}.ndjson beside it",
                Location(candidate.display),
            )
        # Read and check it here too, so a broken sidecar is reported on its own line.
        parse_sidecar(read_text(candidate.path, InputError), candidate.display, self.policies)
        names = ", ".join(m.name for m in manifests)
        return FileResult(
            path=candidate.display, status="recognised", kind="sidecar", reason=f"sidecar of {names}"
        )

    def _load_sidecar(self, candidate: Candidate) -> LoadedSidecar | None:
        found = sidecars_for(candidate.path)
        if not found:
            return None
        if len(found) > 1:
            raise InputError(
                f"more than one sidecar: {', '.join(p.name for p in found)}", Location(candidate.display)
            )
        display = display_path(found[0], Path(self.options.cwd or Path.cwd()).resolve())
        return parse_sidecar(read_text(found[0], InputError), display, self.policies)

    def _adapt(
        self, kind: FileKind, candidate: Candidate, text: str, documents: list[Document]
    ) -> tuple[list[AdaptedTransfer], str | None]:
        if kind == "transfer":
            located = parse_transfers(text, candidate.display, self.policies)
            return [
                AdaptedTransfer(
                    item.transfer,
                    item.transfer.id,
                    "transfer",
                    None,
                    item.locate("id"),
                    item.transfer.origin,
                    item.transfer.destination,
                    tuple((item.locate("data", i),) for i in range(len(item.transfer.data))),
                )
                for item in located
            ], None
        sidecar = self._load_sidecar(candidate)
        reading = Reading(sidecar, self.options.defaults, self.policies, self.omap, self.fmap)
        adapted, without = ADAPTERS.get(kind, odcs.adapt)(documents, reading)
        note = None
        if without:
            stem = (
                candidate.path.name[: -len(candidate.path.suffix)]
                if candidate.path.suffix
                else candidate.path.name
            )
            note = (
                f"no transfer for {', '.join(without)}: no origin or destination stated"
                f" (state them in {stem}.dataflow.yaml or with --origin/--destination)"
            )
        return adapted, note

    def add_to_ledger(self, ledger: Ledger, read: FileResult | _Read, day: dt.date) -> None:
        """Add a file's transfers, as read, to the ledger each decision of the run counts (a
        file that cannot be read adds nothing here and is reported as an error).

        ``day`` is the day the run decides as of, and each transfer counts on it, not on its
        own ``date`` (audit.ledger.counted_on): a manifest dated next year is let go by this
        run, so it must be in this year's count of every other transfer of the run, or two
        halves of one export would each pass a threshold their sum crosses."""
        if isinstance(read, FileResult):
            return
        from ..audit.ledger import counted_on  # only a cumulative scan counts (no store opened)

        for adapted in read.adapted:
            if adapted.transfer is not None:
                transfer = counted_on(apply_facts(adapted.transfer, self.options.facts)[0], day)
                ledger.add_transfer(
                    transfer,
                    f"{read.display} {adapted.id}",
                    day,
                    f"{read.display}#{adapted.id}",
                )

    def _decide(self, file: str, adapted: AdaptedTransfer) -> TransferResult:
        decision: Decision | None = None
        findings: list[Finding] = []
        if adapted.transfer is not None:
            transfer = adapted.transfer
            day = self.options.as_of or self.options.decided_on or dt.date.today()
            prior: Sequence[PriorItem] = ()
            if self.ledger is not None:
                key = f"{file}#{adapted.id}"
                prior = self.ledger.prior(apply_facts(transfer, self.options.facts)[0], key)
            decision = self.engine.decide(transfer, day, prior=prior, facts=self.options.facts)
            findings += [
                self._from_reason(file, adapted, r)
                for r in decision.reasons
                if r.kind in FINDING_KINDS and r.verdict is not Verdict.ALLOW
            ]
        findings += [self._from_gap(file, adapted, g) for g in adapted.gaps]
        verdicts = [f.verdict for f in findings] + ([decision.verdict] if decision else [])
        kept = []
        for finding in findings:
            if not selected(finding.rule_id, self.options.checks, self.options.skip_checks):
                self.deselected += 1
                continue
            if finding.fingerprint in self.baseline:
                self.baselined += 1
                continue
            kept.append(self.waivers.apply(file, adapted.id, finding))
        return self._result(adapted, Verdict.strictest(verdicts), decision, kept)

    def _result(
        self, adapted: AdaptedTransfer, verdict: Verdict, decision: Decision | None, findings: list[Finding]
    ) -> TransferResult:
        return TransferResult(
            id=adapted.id,
            source=adapted.source,
            name=adapted.name,
            place=Place.of(adapted.place),
            origin=adapted.origin,
            destination=adapted.destination,
            categories=[i.category for i in adapted.transfer.data] if adapted.transfer else [],
            verdict=verdict,
            decision=decision,
            findings=findings,
        )

    def _from_reason(self, file: str, adapted: AdaptedTransfer, r: Reason) -> Finding:
        if r.kind == "missing_fact":
            rule = f"missing-fact/{r.entry_id}"
        elif r.kind == "no_catalogue":
            rule = f"no-catalogue/{r.jurisdiction}"
        else:
            rule = r.entry_id or r.kind
        places = [p for i in r.items if i < len(adapted.item_places) for p in adapted.item_places[i]]
        if not places:
            places = [adapted.place]
        return Finding(
            rule_id=rule,
            kind=r.kind,  # narrowed by FINDING_KINDS
            verdict=r.verdict,
            jurisdiction=r.jurisdiction,
            side=r.side,
            title=r.title,
            requirement=r.requirement,
            message=r.sentence,
            categories=list(r.categories),
            missing=list(r.missing),
            citations=list(r.citations),
            place=Place.of(places[0]),
            related=[Place.of(p) for p in places[1:]],
            fingerprint=fingerprint(
                file, adapted.id, rule, (r.jurisdiction, r.side, ",".join(r.categories), ",".join(r.missing))
            ),
        )

    def _from_gap(self, file: str, adapted: AdaptedTransfer, gap: Gap) -> Finding:
        return Finding(
            rule_id=gap.rule_id,
            kind=gap.kind,
            verdict=gap.verdict,
            message=gap.message,
            place=Place.of(gap.place),
            fingerprint=fingerprint(file, adapted.id, gap.rule_id, (gap.place.field or "",)),
        )
