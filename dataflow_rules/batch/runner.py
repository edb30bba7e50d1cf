"""Streaming batch evaluation: JSON lines in, one record per line out, in input order.

Memory stays constant whatever the input's size: lines are read in chunks (bounded by
line count and bytes), at most two chunks per worker are in flight, and each chunk's
records are written, in order, as soon as every earlier chunk's are. With ``workers`` >
1 each worker is a separate process with its own engine (durable-rules is not
thread-safe, and a process per core is how it scales).

Resuming (docs/batch.md): every non-blank input line yields exactly one record, records
are written in input order and each names its line, so the last complete record of an
interrupted output says where to go on. A trailing partial record (a process killed
mid-write) is cut off; the last complete record is recomputed and must match byte for
byte, which refuses to extend an output made from other input, catalogues or options,
and ``OUT.resume`` beside an unfinished output records the catalogues and options it was
started with.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from .. import __version__
from ..errors import DataflowRulesError, InputError, Location
from ..errors import Interrupted as Interrupted
from ..models.decision import Verdict
from ..models.policies import Policies
from ..secure_files import PRIVATE_FILE
from .cumulative import CorpusLedger, line_key
from .progress import Progress
from .records import (
    MAX_LINE_BYTES,
    OUTCOMES,
    exit_code,
    fingerprint,
    read_line,
    ship,
    tally_records,
)
from .vocabulary import Vocabulary
from .workers import Chunk, Job, results

CHUNK_LINES = 256
"""Lines per unit of work sent to a worker."""
CHUNK_BYTES = 4 * 1024 * 1024
"""Bytes per unit of work: with at most two units per worker in flight, the bound on memory."""


@dataclass
class Summary:
    """What a batch run did: outcomes over the whole output, resumed part included."""

    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    resumed_after: int = 0
    """Input line of the last record already in the output when the run started (0: none)."""
    last_line: int = 0

    @property
    def records(self) -> int:
        return sum(self.tally.values())

    @property
    def exit_code(self) -> int:
        return exit_code(self.tally)

    def line(self, output: str) -> str:
        t = self.tally
        errors = t["input_error"] + t["engine_error"] + t["crash"]
        resumed = f" (resumed after line {self.resumed_after})" if self.resumed_after else ""
        return (
            f"batch: {self.records:,} records{resumed}: {t['allow']:,} allow, {t['review']:,} review, "
            f"{t['restrict']:,} restrict, {errors:,} not decided -> {output}"
        )


# -- reading -----------------------------------------------------------------------------


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for every non-blank line; None for a line over the limit.

    An overlong line is skipped in bounded pieces, never held whole in memory.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1024 * 1024)
            yield number, None
            continue
        if raw.strip():
            yield number, raw.rstrip(b"\r\n")


def chunks(lines: Iterator[tuple[int, bytes | None]]) -> Iterator[Chunk]:
    chunk: Chunk = []
    size = 0
    for number, raw in lines:
        chunk.append((number, raw))
        size += len(raw) if raw is not None else 0
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def count_lines(path: Path) -> int:
    """Lines in a file (for the progress bar), read in blocks."""
    n = 0
    last = b"\n"
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


# -- resuming ------------------------------------------------------------------------------


def _rfind_newline(f: BinaryIO, before: int) -> int:
    """Offset of the last newline before offset ``before``, or -1; reads backwards in blocks."""
    pos = before
    while pos > 0:
        step = min(1 << 16, pos)
        pos -= step
        f.seek(pos)
        cut = f.read(step).rfind(b"\n")
        if cut >= 0:
            return pos + cut
    return -1


def _last_complete_line(f: BinaryIO) -> tuple[int, bytes]:
    """(offset just past the last newline, the last complete line) of an output file.

    Bytes after the last newline are a record cut off mid-write; the caller truncates them.
    """
    end = _rfind_newline(f, f.seek(0, os.SEEK_END))
    if end < 0:
        return 0, b""
    start = _rfind_newline(f, end) + 1
    f.seek(start)
    return end + 1, f.read(end - start)


def _complete_lines(f: BinaryIO, end: int) -> Iterator[bytes]:
    """The lines of ``f`` from where it stands up to offset ``end``."""
    while f.tell() < end and (raw := f.readline()):
        yield raw


def _record_line(raw: bytes, output: str, offset: int) -> int:
    try:
        record = json.loads(raw)
        line = record["line"] if isinstance(record, dict) else None
    except (ValueError, KeyError):
        line = None
    if not isinstance(line, int) or isinstance(line, bool) or line < 1:
        raise InputError(
            "the last complete line is not a batch record; cannot resume this output",
            Location(output, None, None, f"byte {offset}"),
        )
    return line


# -- the run -------------------------------------------------------------------------------


def run_batch(
    input_path: Path,
    output_path: Path,
    policies: Policies,
    *,
    workers: int = 1,
    as_of: dt.date | None = None,
    unlisted: Verdict | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: IO[str] | None = None,
    on_chunk: Callable[[int], None] | None = None,
    freeze_gc: bool = False,
    cumulative: bool = False,
) -> Summary:
    """Decide every line of ``input_path`` into ``output_path``; see the module docstring.

    Raises :class:`InputError` for an unreadable input or an output that cannot be
    resumed, :class:`Interrupted` if a worker died (the output is then a resumable
    prefix). ``on_chunk`` is called with the last line written after each chunk.
    ``freeze_gc``: with one worker, let the calling process freeze its garbage collector
    after building the engine (see :func:`.records.decider_for`); for command-line use.
    ``cumulative``: count the input's transfers together where the law counts across
    transfers (:mod:`.cumulative`); the input is read twice, and its transfers are held.
    """
    if workers < 1:
        raise InputError(f"--workers must be at least 1 (got {workers})")
    source = str(input_path)
    try:
        stream = input_path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", Location(source)) from None
    mode = os.fstat(stream.fileno()).st_mode
    if not stat.S_ISREG(mode):  # /dev/zero never ends; a FIFO cannot be resumed or counted
        stream.close()
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a character device"
            if stat.S_ISCHR(mode)
            else "a special file"
        )
        raise InputError(f"cannot read file: it is {kind}, not a regular file", Location(source))
    blob = ship(policies)
    summary = Summary()
    settings = _settings(policies, as_of, unlisted)
    if cumulative:  # only when set: states written before the option still match without it
        settings["cumulative"] = True
    state = state_path(output_path)
    with stream:
        ledger = _corpus_ledger(stream, source, policies, as_of) if cumulative else None
        job = Job(source, blob, fingerprint(blob), unlisted, as_of, ledger)
        out = _open_output(output_path, resume, overwrite)
        where = Location(str(output_path))
        with _writing(out, where):
            lines = read_lines(stream)
            keep = 0
            if resume:
                _check_settings(state, settings)
                keep, last = _last_complete_line(out)
                if keep:
                    summary.resumed_after = _record_line(last, str(output_path), keep - len(last) - 1)
                    _skip_to(lines, summary.resumed_after, last, job)
                    out.seek(0)
                    summary.tally = tally_records(_complete_lines(out, keep))
            if stat.S_ISREG(os.fstat(out.fileno()).st_mode):  # a device or pipe has no end to cut
                out.seek(keep)
                out.truncate()  # a record cut off mid-write, if any
            _put(out, b"", where)  # nothing buffered when workers are forked
            _write_settings(state, settings)
            summary.last_line = summary.resumed_after
            total = count_lines(input_path) if progress is not None else 0
            bar = Progress(progress, total, summary.resumed_after)
            try:
                for data, tally, last_line in results(job, chunks(lines), workers, freeze_gc):
                    _put(out, data, where)
                    for k, v in tally.items():
                        summary.tally[k] += v
                    summary.last_line = last_line
                    bar.update(last_line)
                    if on_chunk is not None:
                        on_chunk(last_line)
            except Interrupted as exc:
                raise Interrupted(
                    f"{exc.message}; the last record written is for line {summary.last_line}"
                ) from None
            finally:
                bar.close()
    state.unlink(missing_ok=True)  # complete: nothing left to resume
    return summary


def _corpus_ledger(stream: BinaryIO, source: str, policies: Policies, as_of: dt.date | None) -> bytes:
    """A first pass over the input: every line that reads as a transfer, in one ledger
    (a line that does not read is an error record in the second pass and counts nothing).
    The stream is left at its start."""
    entries = []
    vocabulary = Vocabulary.of(policies)
    for number, raw in read_lines(stream):
        if raw is None:
            continue
        try:
            transfer = read_line(raw, source, number, policies, vocabulary)
        except DataflowRulesError:
            continue
        entries.append((line_key(number), f"{transfer.id} (line {number})", transfer))
    stream.seek(0)
    return CorpusLedger.build(entries, as_of or dt.date.today()).dumps()


def state_path(output: Path) -> Path:
    """The file beside an unfinished output that records what it was made with."""
    return output.with_name(output.name + ".resume")


def _settings(policies: Policies, as_of: dt.date | None, unlisted: Verdict | None) -> dict[str, object]:
    return {
        "tool": __version__,
        "taxonomy": policies.taxonomy_digest,
        "catalogues": {code: lc.digest for code, lc in policies.catalogues.items()},
        "as_of": as_of.isoformat() if as_of else None,
        "unlisted": unlisted.value if unlisted else None,
    }


def _check_settings(state: Path, settings: dict[str, object]) -> None:
    """An unfinished output may only be continued with what it was started with."""
    try:
        stored = json.loads(state.read_bytes())
    except FileNotFoundError:
        return  # made by a run that kept no state: the last-record check still applies
    except (OSError, ValueError):
        raise InputError(
            "cannot read the resume state; write to a new output", Location(str(state))
        ) from None
    if not isinstance(stored, dict):
        raise InputError("the resume state is not a JSON object", Location(str(state)))
    differs = sorted(k for k in settings if stored.get(k) != settings[k])
    if differs:
        raise InputError(
            f"this output was started with different {', '.join(differs)}; "
            "resume with the same catalogues and options, or write to a new output",
            Location(str(state)),
        )


def _write_settings(state: Path, settings: dict[str, object]) -> None:
    tmp = state.with_name(state.name + ".tmp")
    try:
        tmp.write_text(json.dumps(settings, sort_keys=True) + "\n")
        os.replace(tmp, state)
    except OSError as exc:
        raise InputError(f"cannot write the resume state: {exc.strerror}", Location(str(state))) from None


def _open_output(path: Path, resume: bool, overwrite: bool) -> BinaryIO:
    """The output, opened for reading and writing. A file this run creates or starts again is
    0600 whatever the umask: it holds every transfer's decision (ids, categories, counts,
    reasons), which other local users have no business reading."""
    where = Location(str(path))
    try:
        if path.exists() and not resume and path.stat().st_size and not overwrite:
            raise InputError(
                "output file exists; pass --resume to continue it or --overwrite to start again", where
            )
        flags = os.O_RDWR | os.O_CREAT | (0 if resume else os.O_TRUNC)
        fd = os.open(path, flags, PRIVATE_FILE)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and not resume:
                os.fchmod(fd, PRIVATE_FILE)
            return os.fdopen(fd, "r+b")
        except BaseException:
            os.close(fd)
            raise
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", where) from None


@contextlib.contextmanager
def _writing(out: BinaryIO, where: Location) -> Iterator[BinaryIO]:
    """``out`` for the run, closed at the end whatever happens; the records written before
    a failure stay, a resumable output (the module docstring)."""
    try:
        yield out
    except BaseException:
        with contextlib.suppress(OSError):
            out.close()  # a failed flush fails again on the same buffer; the first error is said
        raise
    try:
        out.close()
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", where) from None


def _put(out: BinaryIO, data: bytes, where: Location) -> None:
    """Write ``data`` through to the output (nothing is left buffered when workers fork or
    a run is interrupted); a write the system refuses is one line naming the output."""
    try:
        out.write(data)
        out.flush()
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", where) from None


def _skip_to(lines: Iterator[tuple[int, bytes | None]], target: int, stored: bytes, job: Job) -> None:
    """Read past input line ``target``, checking that its record is the one stored."""
    source = job.source
    for number, raw in lines:
        if number < target:
            continue
        if number == target:
            record, _ = job.decider().record(raw, source, number)
            if record.rstrip(b"\n") != stored:
                raise InputError(
                    f"the output's last record (line {target}) is not what this run computes for it: "
                    "the input, the catalogues or --as-of/--unlisted differ; write to a new output",
                    Location(source, target),
                )
            return
        break
    raise InputError(
        f"the output has a record for line {target} but the input has no such non-blank line",
        Location(source),
    )
