"""Text from users, made harmless to print on a terminal.

A category, a transfer id or a file name can hold control characters: an OSC sequence
(``ESC ] 0 ; title BEL``) retitled the terminal that printed an error, and bidirectional
overrides (U+202E) make a line read differently from the bytes in it. Every message the
tool prints passes through :func:`printable`: C0 and C1 controls, DEL, and the bidi
embedding, override, isolate and mark characters are written as visible escapes
(``\\x1b``, ``\\u202e``), so what is shown is exactly what is there, and nothing acts.
"""

from __future__ import annotations

import re

_UNSAFE = "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_RE = re.compile(f"[{_UNSAFE}\n]")
_UNSAFE_KEEP_NL = re.compile(f"[{_UNSAFE}]")
_OUR_COLOURS = re.compile(r"\x1b\[(?:1;3[123]|0)m")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control and bidi character escaped (newlines kept if asked)."""
    return (_UNSAFE_KEEP_NL if newlines else _UNSAFE_RE).sub(_escape, text)


def printable_output(text: str) -> str:
    """A rendered report: lines kept, and the renderer's own colour codes (bold red,
    yellow, green, reset) left working; any other escape is shown, not obeyed."""
    parts = _OUR_COLOURS.split(text)
    codes = _OUR_COLOURS.findall(text)
    out = [printable(parts[0], newlines=True)]
    for code, part in zip(codes, parts[1:], strict=True):
        out += [code, printable(part, newlines=True)]
    return "".join(out)
