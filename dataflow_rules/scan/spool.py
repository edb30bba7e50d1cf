"""The scan's results on disk while the scan runs, read back file by file by the writers.

A file's result is some 16 KB of Python objects per one-transfer manifest (its decision,
reasons, findings); holding every one until the writers ran made a 10,000-file scan take
five times the memory of a 1,000-file one (issue 14). The runner writes each file's result
here as it is decided and keeps only counters (:class:`~dataflow_rules.models.scan.ScanTotals`);
each writer then reads the files back one at a time, in report order.

The spool is one file of consecutive pickles in a private directory made for it
(``mkdtemp``: mode 0700), created 0600 and exclusively: results can quote what a manifest
says about personal data, so no other user may read them, and no file an attacker placed
there can be read back as ours. It is removed when the scan is closed (a context manager)
or, failing that, when the object is collected or the process exits.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from ..models.scan import (
    SCHEMA_VERSION,
    FailOn,
    FileResult,
    Place,
    Problem,
    ScanResult,
    ScanTotals,
    Summary,
    TransferResult,
    in_memory,
)


class Spool:
    """Consecutive pickles of one kind of value in a private temporary file."""

    def __init__(self, name: str = "results") -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="dataflow-rules-scan-"))
        self.path = self.directory / f"{name}.pickle"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._out: IO[bytes] | None = os.fdopen(fd, "wb")
        self.count = 0
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.directory, True)

    def add(self, value: object) -> None:
        if self._out is None:
            raise RuntimeError("the spool is closed for writing")
        pickle.dump(value, self._out, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def finish(self) -> None:
        """Stop writing; the values can then be read back, as often as a writer needs."""
        if self._out is not None:
            self._out.close()
            self._out = None

    def __iter__(self) -> Iterator[object]:
        self.finish()
        with self.path.open("rb") as f:
            for _ in range(self.count):
                yield pickle.load(f)  # our own 0600 file in our own 0700 directory

    def close(self) -> None:
        self.finish()
        self._cleanup()


class SpooledScan:
    """A finished scan whose files' results are in a :class:`Spool`: what the writers read
    (:class:`~dataflow_rules.models.scan.ScanReport`), without every result in memory."""

    schema_version: int = SCHEMA_VERSION

    def __init__(
        self,
        tool: dict[str, str],
        fail_on: FailOn,
        spool: Spool,
        totals: ScanTotals,
        errors: list[Problem],
        unused_waivers: list[Place],
        baselined: int,
        deselected: int,
    ) -> None:
        self.tool, self.fail_on, self._spool, self.totals = tool, fail_on, spool, totals
        self.errors, self.unused_waivers = errors, unused_waivers
        self.baselined, self.deselected = baselined, deselected

    def each_file(self) -> Iterator[FileResult]:
        for value in self._spool:
            assert isinstance(value, FileResult)
            yield value

    def each_transfer(self) -> Iterator[TransferResult]:
        return (t for f in self.each_file() for t in f.transfers)

    def problems(self) -> list[Problem]:
        return self.totals.problems(self.errors)

    def summary(self) -> Summary:
        return self.totals.summary(self.errors, self.baselined)

    def exit_code(self) -> int:
        return self.totals.exit_code(self.errors)

    def load(self) -> ScanResult:
        """Every file's result in memory: the scan API's :class:`ScanResult`."""
        return in_memory(self)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> SpooledScan:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
