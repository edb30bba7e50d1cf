"""One status line on a terminal, redrawn in place while a long command works.

``scan``, ``diff`` and ``batch`` each show their own progress text; the mechanics are the
same for all three and live here: redraw at most every ``interval`` seconds (the last
update always shows), pad over a longer previous line, and clear or keep the line at the
end. The commands create one only when standard error is a terminal or ``--progress``
asks for it, so logs and captured output never carry it.
"""

from __future__ import annotations

import time
from typing import IO


class StatusLine:
    def __init__(self, stream: IO[str], interval: float = 0.1) -> None:
        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0
        self._width = 0

    def due(self, final: bool = False) -> bool:
        """Whether to redraw now: the final update always, others at most every interval."""
        now = time.monotonic()
        if not final and now - self._last < self.interval:
            return False
        self._last = now
        return True

    def rate(self, done: int) -> float:
        """Items per second since the line was created."""
        return done / max(time.monotonic() - self.started, 1e-9)

    def show(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def clear(self) -> None:
        """Remove the line, leaving the cursor where it began."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

    def keep(self) -> None:
        """End the line, leaving its last text on screen."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()


def bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}]"
