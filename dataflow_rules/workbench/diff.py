"""``diff``: what a catalogue change does to real transfers.

Every transfer of a corpus is decided under the old and the new catalogues; a transfer
*changes* when its verdict or its reasons change. A reason is compared by what it
decides (jurisdiction, side, kind, catalogue id, verdict, items, missing facts, what it
cleared), not by its wording, so retitling an entry changes nothing. The catalogue ids
whose reasons appear or disappear are the entries *responsible*; changes are grouped by
them, with counts per transition (allow -> restrict, ...).

A transfer is decided twice only when the change can reach it (reach.py: a plan it reads
differs, and in a way that can meet its items); every other transfer is decided once and
is unchanged. Large corpora are decided in worker processes, each with its own pair of
engines (forked from this process where that is safe, as batch's workers are).
"""

from __future__ import annotations

import datetime as dt
import gc
import tempfile
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..batch.cumulative import CorpusLedger, line_key
from ..batch.jsonline import loads_unique, transfer_from_json
from ..batch.vocabulary import Vocabulary
from ..batch.workers import start_method
from ..catalogues import load_policies
from ..engine.counting import PriorItem
from ..engine.engine import Engine
from ..errors import DataflowRulesError, InputError
from ..loading import Document
from ..models.decision import Decision, Reason, Verdict
from ..models.policies import Policies
from ..models.transfer import Transfer
from ..validation import all_errors
from .corpus import Raw
from .reach import Reach

CHUNK = 500

ReasonKey = tuple[str, str, str, str, str, tuple[int, ...], tuple[str, ...], tuple[str, ...]]


def reason_key(r: Reason) -> ReasonKey:
    return (
        r.jurisdiction,
        r.side,
        r.kind,
        r.entry_id or "",
        r.verdict.value,
        tuple(r.items),
        tuple(sorted(r.missing)),
        tuple(r.cleared),
    )


def responsible(old: Decision, new: Decision) -> tuple[str, ...]:
    """The catalogue ids (or ``CN default``, ``CN catalogue``) whose reasons differ."""
    a = {reason_key(r) for r in old.reasons}
    b = {reason_key(r) for r in new.reasons}
    out = set()
    for key in a ^ b:
        code, _, kind, ident = key[0], key[1], key[2], key[3]
        if ident:
            out.add(f"{code} {ident}")
        elif kind in ("default", "no_catalogue"):
            # A default reason comes and goes with the findings of the side: named only
            # when nothing else on the side explains the change.
            out.add(f"{code} ({kind})")
    named = {o.split(" ", 1)[0] for o in out if not o.endswith(")")}
    return tuple(sorted(o for o in out if not (o.endswith(")") and o.split(" ", 1)[0] in named)))


@dataclass(frozen=True)
class Changed:
    transfer_id: str
    source: str
    line: int
    old: str
    new: str
    responsible: tuple[str, ...]
    removed: tuple[ReasonKey, ...]
    added: tuple[ReasonKey, ...]
    origin: str = ""
    destination: str = ""


@dataclass
class DiffResult:
    old_label: str
    new_label: str
    total: int = 0
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(old verdict, new verdict) -> transfers, over every transfer decided."""
    changed: list[Changed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    catalogue_changes: list[str] = field(default_factory=list)
    flows: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    """(origin, destination, old verdict, new verdict) -> transfers: the diagrams of the HTML report."""

    def groups(self) -> list[tuple[tuple[str, ...], list[Changed]]]:
        by: dict[tuple[str, ...], list[Changed]] = defaultdict(list)
        for c in self.changed:
            by[c.responsible].append(c)
        return sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    def changed_transitions(self) -> Counter[tuple[str, str]]:
        return Counter((c.old, c.new) for c in self.changed)


# -- deciding, in whichever process does it -----------------------------------------------


@dataclass
class _Pair:
    """One process's engines for both versions, and what it needs to know of their difference."""

    old: Policies
    new: Policies
    old_engine: Engine
    new_engine: Engine
    as_of: dt.date | None
    same_vocabulary: bool
    """Both versions check a transfer's references alike: one parse serves both."""
    reach: Reach
    """Which transfers the change can reach; the others are decided once (reach.py)."""
    old_words: Vocabulary
    new_words: Vocabulary
    """Each version's words, for the reference check of every transfer (batch/vocabulary.py)."""
    ledger: CorpusLedger | None = None


_PAIR: _Pair | None = None


def _init(
    old_dir: str,
    new_dir: str,
    as_of: dt.date | None,
    unlisted: str = "",
    ledger: str | None = None,
    loaded: tuple[Policies, Policies] | None = None,
) -> None:
    """Build this process's pair; ``loaded``: both versions as the caller already loaded
    them from those directories (the driver, before it forks), else they are loaded here."""
    global _PAIR
    old, new = loaded or (load_policies(Path(old_dir)), load_policies(Path(new_dir)))
    corpus = CorpusLedger.loads(Path(ledger).read_bytes()) if ledger is not None else None
    _PAIR = _Pair(
        old,
        new,
        Engine(old, Verdict(unlisted) if unlisted else None),  # "": the default
        Engine(new, Verdict(unlisted) if unlisted else None),
        as_of,
        _same_vocabulary(old, new),
        Reach(old, new, counted_together=corpus is not None),
        Vocabulary.of(old),
        Vocabulary.of(new),
        corpus,
    )


def _same_vocabulary(old: Policies, new: Policies) -> bool:
    """Whether :func:`check_references` reads a transfer alike under both (it reads the
    taxonomy, which catalogue covers a country, the zone layers and the context facts)."""
    return (
        old.taxonomy_digest == new.taxonomy_digest
        and old.covered == new.covered
        and old.catalogues.keys() == new.catalogues.keys()
        and old.layers.keys() == new.layers.keys()
        and old.context_facts() == new.context_facts()
    )


def _names_only_its_hop(transfer: Transfer, decision: Decision, policies: Policies) -> bool:
    """Belt and braces for :meth:`Reach.reaches`: the decision names no catalogue but
    those of the transfer's own hop (a decision reads no other: engine.Engine._leg)."""
    if transfer.onward:
        return True  # Reach already read every plan
    hop = {policies.jurisdiction_of(transfer.origin), policies.jurisdiction_of(transfer.destination)}
    return all(
        r.jurisdiction in hop or r.jurisdiction not in policies.catalogues for r in decision.reasons
    ) and all(c.jurisdiction in hop for c in decision.catalogues)


def _parse(raw: Raw, words: Vocabulary) -> Transfer:
    source, line, payload = raw
    text = isinstance(payload, bytes | str)
    # pydantic's JSON parser first (batch/jsonline.py); None: the strict reading below
    fast = transfer_from_json(payload) if text else None
    value = None if fast is not None else loads_unique(payload) if text else payload

    def document() -> Document:  # made only to place a fault
        return Document(source, value, {(): (line, 1)})

    if fast is not None:
        transfer = fast
    else:
        try:
            transfer = Transfer.model_validate(value)
        except ValidationError as exc:
            where, message = all_errors(exc, document())[0]
            raise InputError(message, where) from None
    words.check(transfer, document)  # check_references, cheaply for a clean transfer
    return transfer


Pair = tuple[str, str, Changed | None, str, str]
"""(old verdict, new verdict, the change if any, origin, destination)."""


def decide_pair(raw: Raw | str) -> Pair | str:
    """The transfer's verdicts under both versions, or an error line (a corpus file that
    could not be read arrives as its error line)."""
    if isinstance(raw, str):
        return raw
    pair = _PAIR
    assert pair is not None, "worker not initialised"
    try:
        transfer = _parse(raw, pair.old_words)
        if not pair.same_vocabulary:
            _parse(raw, pair.new_words)
    except DataflowRulesError as exc:
        return exc.one_line()
    except ValueError as exc:  # malformed JSON
        return f"{raw[0]}:{raw[1]}: not a JSON transfer: {exc}"
    prior: Sequence[PriorItem] = ()
    if pair.ledger is not None:
        prior = pair.ledger.prior(transfer, line_key(raw[1], raw[0]))
    # notes=False: a diff compares verdicts and reasons, never assumptions or warnings
    a = pair.old_engine.decide(transfer, pair.as_of, prior=prior, notes=False)
    if not pair.reach.reaches(transfer) and _names_only_its_hop(transfer, a, pair.old):
        # Nothing it reads differs between the versions: the same decision, unchanged.
        return a.verdict.value, a.verdict.value, None, transfer.origin, transfer.destination
    b = pair.new_engine.decide(transfer, pair.as_of, prior=prior, notes=False)
    ka, kb = {reason_key(r) for r in a.reasons}, {reason_key(r) for r in b.reasons}
    change = None
    if a.verdict is not b.verdict or ka != kb:
        change = Changed(
            transfer.id,
            raw[0],
            raw[1],
            a.verdict.value,
            b.verdict.value,
            responsible(a, b),
            tuple(sorted(ka - kb)),
            tuple(sorted(kb - ka)),
            transfer.origin,
            transfer.destination,
        )
    return a.verdict.value, b.verdict.value, change, transfer.origin, transfer.destination


def _work(chunk: list[Raw | str]) -> list[Pair | str]:
    return [decide_pair(raw) for raw in chunk]


def _chunks(raws: Iterable[Raw | str]) -> Iterator[list[Raw | str]]:
    chunk: list[Raw | str] = []
    for raw in raws:
        chunk.append(raw)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_diff(
    old_dir: Path,
    new_dir: Path,
    corpus: Iterable[Raw | str],
    labels: tuple[str, str],
    as_of: dt.date | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    unlisted: Verdict | None = None,
    cumulative: bool = False,
) -> DiffResult:
    """Decide every transfer of ``corpus`` under both versions (both directories must load).

    ``cumulative``: count the corpus's transfers together where the law counts across
    transfers, as ``batch --cumulative`` does (batch/cumulative.py); the corpus is then
    read into memory first."""
    old, new = load_policies(old_dir), load_policies(new_dir)
    result = DiffResult(*labels, catalogue_changes=catalogue_changes(old, new))
    with tempfile.TemporaryDirectory(prefix="dataflow-rules-diff-") as tmp:
        ledger: str | None = None
        if cumulative:
            corpus = list(corpus)
            ledger = str(Path(tmp) / "ledger.bin")
            Path(ledger).write_bytes(_corpus_ledger(corpus, old, as_of).dumps())
        if jobs <= 1:
            _init(str(old_dir), str(new_dir), as_of, unlisted.value if unlisted else "", ledger, (old, new))
            outputs: Iterable[list[Pair | str]] = map(_work, _chunks(corpus))
            _collect(result, outputs, progress)
            return result
        args = (str(old_dir), str(new_dir), as_of, unlisted.value if unlisted else "", ledger)
        if start_method() == "fork":  # as batch's workers (batch/workers.py explains when)
            _init(*args, (old, new))  # compiled once, here; each worker starts as a copy
            # Each worker moves what it inherited (both engines) out of the collector's
            # view, as batch's workers do (batch/records.py decider_for says why).
            pool = ProcessPoolExecutor(jobs, mp_context=get_context("fork"), initializer=gc.freeze)
        else:
            pool = ProcessPoolExecutor(
                jobs, mp_context=get_context("spawn"), initializer=_init, initargs=args
            )
        with pool:
            _collect(result, _in_order(pool, _chunks(corpus), jobs), progress)
    return result


def _in_order(
    pool: ProcessPoolExecutor, chunks: Iterator[list[Raw | str]], jobs: int
) -> Iterator[list[Pair | str]]:
    """Each chunk's results in corpus order, with at most two chunks per worker in flight
    (``pool.map`` would read the whole corpus into the pool's queue first)."""
    pending: deque[Future[list[Pair | str]]] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(_work, chunk))
            while len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def _corpus_ledger(corpus: Iterable[Raw | str], policies: Policies, as_of: dt.date | None) -> CorpusLedger:
    """Every transfer of the corpus that reads (one that does not counts nothing and is
    reported as not decided)."""
    entries = []
    words = Vocabulary.of(policies)
    for raw in corpus:
        if isinstance(raw, str):
            continue
        try:
            transfer = _parse(raw, words)
        except (DataflowRulesError, ValueError):
            continue
        entries.append((line_key(raw[1], raw[0]), f"{transfer.id} ({raw[0]}:{raw[1]})", transfer))
    return CorpusLedger.build(entries, as_of or dt.date.today())


def _collect(
    result: DiffResult,
    outputs: Iterable[list[Pair | str]],
    progress: Callable[[int], None] | None,
) -> None:
    for chunk in outputs:
        for out in chunk:
            if isinstance(out, str):
                result.errors.append(out)
                continue
            result.total += 1
            result.transitions[(out[0], out[1])] += 1
            result.flows[(out[3], out[4], out[0], out[1])] += 1
            if out[2] is not None:
                result.changed.append(out[2])
        if progress:
            progress(result.total + len(result.errors))


# -- what changed in the catalogues themselves ------------------------------------------------


def catalogue_changes(old: Policies, new: Policies) -> list[str]:
    """One line per added, removed or modified catalogue, entry, lane, exemption or group."""
    out = []
    for code in sorted(set(old.catalogues) | set(new.catalogues)):
        a, b = old.catalogues.get(code), new.catalogues.get(code)
        if a is None or b is None:
            out.append(f"{code}: catalogue {'added' if a is None else 'removed'}")
            continue
        ca, cb = a.catalogue, b.catalogue
        if ca.default != cb.default:
            out.append(f"{code}: default {ca.default} -> {cb.default}")
        sections: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
            ("entry", {e.id: e for e in ca.entries}, {e.id: e for e in cb.entries}),
            ("localisation entry", {e.id: e for e in ca.localisation}, {e.id: e for e in cb.localisation}),
            ("green lane", {e.id: e for e in ca.green_lanes}, {e.id: e for e in cb.green_lanes}),
            ("exemption", {e.id: e for e in ca.exemptions}, {e.id: e for e in cb.exemptions}),
            ("group", dict(ca.groups), dict(cb.groups)),
        ]
        for what, xa, xb in sections:
            for ident in sorted(set(xa) | set(xb)):
                if ident not in xa:
                    out.append(f"{code}: {what} {ident} added")
                elif ident not in xb:
                    out.append(f"{code}: {what} {ident} removed")
                elif xa[ident] != xb[ident]:
                    fields = sorted(
                        k
                        for k in type(xa[ident]).model_fields
                        if getattr(xa[ident], k) != getattr(xb[ident], k)
                    )
                    out.append(f"{code}: {what} {ident} modified ({', '.join(fields)})")
    return out
