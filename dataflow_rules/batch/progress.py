"""batch's progress line: lines written of the input, the rate and the time left, on the
shared status line (dataflow_rules/progress.py: rich on a terminal, NO_COLOR honoured,
plain lines elsewhere), left on screen at the end."""

from __future__ import annotations

from typing import IO

from ..progress import StatusLine


class Progress:
    """Silent without a stream; the commands pass one only on a terminal or ``--progress``."""

    def __init__(self, stream: IO[str] | None, total: int, start: int) -> None:
        self.line = StatusLine(stream, interval=0.2, total=total) if stream is not None else None
        self.total, self.start, self.done = total, start, start

    def update(self, line: int, force: bool = False) -> None:
        self.done = line
        if self.line is None or not self.line.due(final=force):
            return
        rate = self.line.rate(line - self.start)
        eta = (self.total - line) / rate if rate > 0 else 0.0
        self.line.show(
            f"{line:,}/{self.total:,} lines  {rate:,.0f}/s  ETA {int(eta) // 60}m{int(eta) % 60:02d}s",
            completed=line,
        )

    def close(self) -> None:
        if self.line is not None:
            self.update(self.done, force=True)
            self.line.keep()
