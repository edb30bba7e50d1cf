"""A one-line progress display on standard error, for large scans on a terminal.

Off unless standard error is a terminal (or ``--progress`` forces it), so CI logs and
captured output never carry it. Redrawn at most ten times a second, and cleared when done.
"""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.interval = interval
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int, path: str) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        line = f"scanning {done}/{total} files  {path}"
        if len(line) > 100:
            line = line[:97] + "..."
        self.stream.write("\r" + line.ljust(self._width))
        self._width = len(line)
        self.stream.flush()

    def close(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
