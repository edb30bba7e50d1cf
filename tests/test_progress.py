"""The shared progress line (dataflow_rules/progress.py) on rich: redrawn in place on a
terminal, plain lines without control codes elsewhere, NO_COLOR honoured, rate-limited."""

from __future__ import annotations

import io
import os
import sys

import pytest

from dataflow_rules.progress import StatusLine
from dataflow_rules.workbench.progress import Bar

from .conftest import ROOT
from .terminal import on_a_terminal


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_plain_lines_off_a_terminal() -> None:
    out = io.StringIO()
    line = StatusLine(out, interval=0.0)
    line.show("scanning 1/2 files  a.yaml")
    line.show("scanning 2/2 files  b.yaml")
    line.clear()
    assert out.getvalue() == "scanning 1/2 files  a.yaml\nscanning 2/2 files  b.yaml\n"


def test_updates_are_rate_limited_but_the_last_always_shows() -> None:
    out = io.StringIO()
    bar = Bar(out, 1000, interval=3600.0)
    for done in range(1, 1001):
        bar(done)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first (interval since creation not yet begun) and the last
    assert lines[-1].startswith("1,000/1,000 transfers  ")


def _four_on_a_terminal() -> str:
    """What the diff's bar draws for four transfers on a terminal, closed at the end."""
    out = Terminal()
    bar = Bar(out, 4, interval=0.0)
    for done in range(1, 5):
        bar(done)
    bar.close()
    return out.getvalue()


def test_redrawn_in_place_and_cleared_on_a_terminal(terminal_env: None) -> None:
    drawn = _four_on_a_terminal()
    assert "4/4 transfers" in drawn and "━" in drawn  # the bar is rich's
    assert drawn.count("\r\x1b[2K") >= 4  # each redraw erases the line it replaces
    assert drawn.count("\n") == 1 and drawn.endswith("\x1b[1A\x1b[2K")  # then cleared away
    assert "\x1b[38;5;" in drawn  # coloured: a terminal, NO_COLOR unset


def test_no_colour_under_no_color(terminal_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    drawn = _four_on_a_terminal()
    assert "4/4 transfers" in drawn and "━" in drawn
    assert "\x1b[38" not in drawn and "\x1b[3" not in drawn


def test_keep_leaves_the_last_text(terminal_env: None) -> None:
    out = Terminal()
    line = StatusLine(out, interval=0.0)
    line.show("100/100 lines")
    line.keep()
    drawn = out.getvalue()
    assert drawn.endswith("100/100 lines\n\x1b[?25h")  # the line ended, the cursor shown again
    assert "\x1b[1A" not in drawn  # and not erased


def test_a_command_that_fails_mid_line_gives_the_cursor_back() -> None:
    """rich hides the cursor while it draws: a run that exits before closing its line (an
    error, Ctrl-C) must not leave the user's terminal without one."""
    script = (
        "import sys\n"
        "from dataflow_rules.workbench.progress import Bar\n"
        "bar = Bar(sys.stderr, 10, interval=0.0)\n"
        "bar(3)\n"
        "raise SystemExit(5)\n"
    )
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    code, seen = on_a_terminal([sys.executable, "-c", script], env=env)
    assert code == 5
    assert b"3/10 transfers" in seen and b"\x1b[?25l" in seen  # drawn, cursor hidden
    assert seen.rindex(b"\x1b[?25h") > seen.rindex(b"\x1b[?25l")  # and shown again at exit
