"""One status line on standard error while a long command works, drawn by rich.progress.

``scan``, ``diff`` and ``batch`` each show their own progress text; the mechanics are the
same for all three and live here: redraw at most every ``interval`` seconds (the last
update always shows), and clear or keep the line at the end. The commands create one only
when standard error is a terminal or ``--progress`` asks for it, so logs and captured
output never carry it unasked.

On a terminal rich redraws the line in place (and honours NO_COLOR for the bar's colour);
on anything else (a pipe, a file, a dumb terminal: ``--progress`` forced) each update due
is one plain line, with no control codes, so a log shows the same text a terminal would.
rich is imported only when a line is made, so a run without progress does not pay for it.
"""

from __future__ import annotations

import atexit
import math
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class StatusLine:
    """A line of text (with a bar when ``total`` is given) that callers redraw as work goes."""

    def __init__(self, stream: IO[str], interval: float = 0.1, *, total: int | None = None) -> None:
        from rich.console import Console

        self.stream = stream
        self.interval = interval
        self.started = time.monotonic()
        # Not 0.0: time.monotonic() counts from boot on Linux, so on a machine up for less
        # than one interval the first update would be held back as if one had just been drawn.
        self._last = -math.inf
        self._console = Console(file=stream, highlight=False, soft_wrap=False)
        self._live = self._console.is_terminal and not self._console.is_dumb_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._total = total
        self._shown = False

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

    def show(self, text: str, completed: int | None = None) -> None:
        """Draw ``text`` (and, with a total, the bar at ``completed``) in place of the last."""
        self._shown = True
        if not self._live:
            self.stream.write(text + "\n")
            self.stream.flush()
            return
        if self._progress is None:
            self._start()
        assert self._progress is not None and self._task is not None
        self._progress.update(self._task, description=text, completed=completed or 0)
        self._progress.refresh()

    def _start(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn

        columns = (BarColumn(bar_width=30),) if self._total else ()
        self._progress = Progress(
            *columns,
            TextColumn("{task.description}", markup=False),
            console=self._console,
            auto_refresh=False,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=self._total)
        # A command that fails before it closes the line must not leave the terminal's
        # cursor hidden (rich hides it while drawing): the line is cleared at exit.
        atexit.register(self.clear)

    def _stop(self, transient: bool) -> None:
        if self._progress is not None:
            atexit.unregister(self.clear)
            self._progress.live.transient = transient
            self._progress.stop()
            self._progress = None

    def clear(self) -> None:
        """Remove the line from a terminal (a plain line already written stays)."""
        self._stop(transient=True)

    def keep(self) -> None:
        """End the line, leaving its last text on screen."""
        self._stop(transient=False)
