"""The scan's progress line: files done of the total, and the file being read."""

from __future__ import annotations

from typing import TextIO

from ..progress import StatusLine


class Progress:
    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.line = StatusLine(stream, interval)

    def __call__(self, done: int, total: int, path: str) -> None:
        if not self.line.due(final=done >= total):
            return
        text = f"scanning {done}/{total} files  {path}"
        self.line.show(text if len(text) <= 100 else text[:97] + "...")

    def close(self) -> None:
        self.line.clear()
