"""The diff's progress line: transfers decided of the corpus (a bar when counted), and the rate."""

from __future__ import annotations

from typing import TextIO

from ..progress import StatusLine


class Bar:
    def __init__(self, stream: TextIO, total: int | None, interval: float = 0.1) -> None:
        self.line = StatusLine(stream, interval, total=total)
        self.total = total

    def __call__(self, done: int) -> None:
        if not self.line.due(final=done == self.total):
            return
        rate = self.line.rate(done)
        if self.total:
            self.line.show(f"{done:,}/{self.total:,} transfers  {rate:,.0f}/s", completed=done)
        else:
            self.line.show(f"{done:,} transfers  {rate:,.0f}/s")

    def close(self) -> None:
        self.line.clear()
