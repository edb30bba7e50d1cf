"""A worker that dies breaks the pool, and the break surfaces wherever the driver next
touches it (batch/workers.py ``_pooled``): a result it waits for, or the next chunk it
submits. CI once saw the second: ``submit`` raised ``BrokenProcessPool`` and the command
ended in a traceback (exit 1) instead of its "worker process died ... --resume" error
(exit 7). Both paths are driven here with a pool that reports the break, no timing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pytest

from dataflow_rules.batch import workers
from dataflow_rules.errors import Interrupted


class _Pool:
    """Submits are answered at once; from the ``broken_at``-th submit the pool is broken,
    either when submitting (``on_submit``) or in the result of that chunk."""

    def __init__(self, broken_at: int, on_submit: bool) -> None:
        self.broken_at, self.on_submit, self.submitted, self.shut = broken_at, on_submit, 0, False

    def submit(self, fn: Any, chunk: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        if self.submitted >= self.broken_at:
            if self.on_submit:
                raise BrokenProcessPool("A child process terminated abruptly")
            future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
        else:
            future.set_result((b"record\n", {"allow": 1}))
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.shut = True


def _chunks(n: int) -> Iterator[Any]:
    for i in range(1, n + 1):
        yield [(i, b"{}")]


@pytest.mark.parametrize("on_submit", [True, False], ids=["break seen on submit", "break seen in a result"])
def test_a_broken_pool_stops_the_run_as_interrupted(on_submit: bool) -> None:
    pool = _Pool(broken_at=6, on_submit=on_submit)
    got = []
    with pytest.raises(Interrupted, match=r"worker process died.*--resume"):
        for result in workers._pooled(pool, _chunks(20), workers=2):  # type: ignore[arg-type]
            got.append(result)
    # Every result before the break was handed on, in order, and the pool was shut down.
    assert [last for _, _, last in got] == list(range(1, len(got) + 1))
    assert 0 < len(got) < 6 and pool.shut
