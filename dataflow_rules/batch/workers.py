"""Deciding chunks of lines, in this process or in a pool of worker processes.

A :class:`Job` is everything a process decides a run's lines with: the policies as the
driver shipped them (:func:`.records.ship`), the options, the ``--cumulative`` ledger.
Every process builds its engine from those same bytes, so every worker decides against
exactly what the driver loaded and checked.

Workers are started by ``fork`` where that is safe, else by ``spawn``:

- *fork* (Linux, a driver with no other thread running): the driver builds its engine
  first and each worker starts as a copy of it, so a worker costs neither an interpreter
  start, nor the imports, nor a compile (about 1.5 s of CPU each by ``spawn``). That is
  safe with durable-rules: its C core keeps no threads, no open files and no locks of its
  own (engine/durable.py drives the core directly, never ``durable.engine.Host`` and its
  timer threads); the core's rulesets are plain memory, which the copy owns as the driver
  owns its own. The one lock (durable.py's ``_LOCK``) is free at the fork because no other
  thread exists to hold it, which is also why a driver running other threads (a library
  caller's server, say) gets ``spawn``: a copy of a process is only sound when no thread
  could be inside a lock at the moment it is taken;
- *spawn* (elsewhere): a fresh interpreter per worker; the policies reach it through a
  file, not the start-up pipe (a worker that dies while starting must not leave the driver
  blocked writing megabytes to it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import multiprocessing
import signal
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from ..errors import Interrupted
from ..models.decision import Verdict
from .records import OUTCOMES, LineDecider, decider_for, fingerprint

Chunk = list[tuple[int, bytes | None]]
"""(line number, raw line, or None for a line over the length limit)."""

Result = tuple[bytes, dict[str, int], int]
"""A chunk's records (concatenated), their outcomes and the chunk's last line."""


@dataclass(frozen=True)
class Job:
    """What every process of a run decides its lines with (see the module docstring)."""

    source: str
    """The input file's name, as error records name it."""
    blob: bytes
    """The policies, shipped (:func:`.records.ship`)."""
    key: str
    """The blob's fingerprint: which engine of this process's cache decides."""
    unlisted: Verdict | None = None
    as_of: dt.date | None = None
    ledger: bytes | None = None
    """``--cumulative``: the corpus ledger's bytes (:class:`.cumulative.CorpusLedger`)."""
    ledger_key: str | None = None

    def __post_init__(self) -> None:
        if self.ledger is not None and self.ledger_key is None:
            object.__setattr__(self, "ledger_key", fingerprint(self.ledger))

    def decider(self, freeze: bool = False) -> LineDecider:
        """This process's decider for the job, built on first use (:func:`.records.decider_for`)."""
        return decider_for(
            self.blob,
            self.unlisted,
            self.as_of,
            self.key,
            freeze=freeze,
            ledger=self.ledger,
            ledger_key=self.ledger_key,
        )

    def work(self, chunk: Chunk) -> tuple[bytes, dict[str, int]]:
        """Records for one chunk, concatenated, and their outcomes."""
        decider = self.decider()
        out = bytearray()
        tally = dict.fromkeys(OUTCOMES, 0)
        for number, raw in chunk:
            record, outcome = decider.record(raw, self.source, number)
            out += record
            tally[outcome] += 1
        return bytes(out), tally


# -- in a worker process ----------------------------------------------------------------

_JOB: Job | None = None
"""The job of this worker process (set by its initialiser, or inherited by fork)."""


def _ignore_interrupts() -> None:
    """A pool worker ignores Ctrl-C: the driver handles it and shuts the pool down after
    the chunks in hand."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_forked() -> None:
    _ignore_interrupts()
    # The engine came with the copy: move it, and everything else inherited, out of the
    # collector's view (records.decider_for explains why a deciding process does).
    gc.freeze()


def _init_spawned(job: Job, policies: str, ledger: str | None) -> None:
    global _JOB
    _ignore_interrupts()
    _JOB = dataclasses.replace(
        job,
        blob=Path(policies).read_bytes(),
        ledger=Path(ledger).read_bytes() if ledger is not None else None,
    )
    with contextlib.suppress(Exception):  # a failure is reported by the first chunk
        _JOB.decider(freeze=True)


def work(chunk: Chunk) -> tuple[bytes, dict[str, int]]:
    """:meth:`Job.work` for this worker's job (what the pool runs)."""
    assert _JOB is not None, "worker not initialised"
    return _JOB.work(chunk)


# -- in the driver ------------------------------------------------------------------------


def start_method() -> str:
    """``fork`` where it is available and no other thread runs; else ``spawn``."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def results(job: Job, chunks: Iterator[Chunk], workers: int, freeze_gc: bool = False) -> Iterator[Result]:
    """(records, outcomes, last line) per chunk, in input order, by ``workers`` processes
    (1: this one; ``freeze_gc``: then freeze its collector after building the engine)."""
    if workers == 1:
        with contextlib.suppress(Exception):  # a failure is reported by the first chunk
            job.decider(freeze=freeze_gc)
        for chunk in chunks:
            yield (*job.work(chunk), chunk[-1][0])
        return
    method = start_method()
    if method == "fork":
        global _JOB
        _JOB = job
        with contextlib.suppress(Exception):  # built once here; each worker inherits it
            job.decider()
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_init_forked
        )
        try:
            yield from _pooled(pool, chunks, workers)
        finally:
            _JOB = None  # the workers hold their copies; the driver keeps no run's policies or ledger
        return
    with contextlib.ExitStack() as files:
        shipped = files.enter_context(
            tempfile.NamedTemporaryFile(prefix="dataflow-rules-policies-", suffix=".bin")
        )
        shipped.write(job.blob)
        shipped.flush()
        counted: str | None = None
        if job.ledger is not None:
            held = files.enter_context(
                tempfile.NamedTemporaryFile(prefix="dataflow-rules-ledger-", suffix=".bin")
            )
            held.write(job.ledger)
            held.flush()
            counted = held.name
        light = dataclasses.replace(job, blob=b"", ledger=None)  # the bytes go by file
        pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_spawned,
            initargs=(light, shipped.name, counted),
        )
        yield from _pooled(pool, chunks, workers)


def _pooled(pool: ProcessPoolExecutor, chunks: Iterator[Chunk], workers: int) -> Iterator[Result]:
    """At most two chunks per worker in flight; results in the order submitted.

    A worker that dies breaks the pool, and the break surfaces wherever the driver next
    touches it: a result it waits for, or the next chunk it submits (``submit`` raises
    once the pool knows). Either way the run stops as :class:`Interrupted`, never with a
    traceback."""
    pending: deque[tuple[Future[tuple[bytes, dict[str, int]]], int]] = deque()
    try:
        for chunk in chunks:
            try:
                future = pool.submit(work, chunk)
            except BrokenProcessPool:
                raise Interrupted(_DIED) from None
            pending.append((future, chunk[-1][0]))
            while len(pending) >= 2 * workers:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())
    finally:
        for future, _ in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(future: Future[tuple[bytes, dict[str, int]]], last_line: int) -> Result:
    try:
        data, tally = future.result()
    except BrokenProcessPool:
        raise Interrupted(_DIED) from None
    return data, tally, last_line


_DIED = (
    "a worker process died; the output holds every record before it: "
    "run again with --resume to continue (from Python, a script that starts workers "
    "must guard its entry point with if __name__ == '__main__')"
)
