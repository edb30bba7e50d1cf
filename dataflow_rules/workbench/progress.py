"""A one-line progress bar on standard error for long diffs; redrawn at most ten times a second."""

from __future__ import annotations

import time
from typing import TextIO


class Bar:
    def __init__(self, stream: TextIO, total: int | None, interval: float = 0.1) -> None:
        self.stream = stream
        self.total = total
        self.interval = interval
        self.start = time.monotonic()
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last < self.interval and done != self.total:
            return
        self._last = now
        rate = done / max(now - self.start, 1e-9)
        if self.total:
            filled = int(30 * done / self.total)
            line = f"[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{self.total:,} transfers  {rate:,.0f}/s"
        else:
            line = f"{done:,} transfers  {rate:,.0f}/s"
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def close(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
