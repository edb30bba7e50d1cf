"""Messages that cannot hurt a terminal, and YAML 1.1 booleans that say "quote it"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataflow_rules.safe_text import printable, printable_output

from ..conftest import EXAMPLES

GENOMIC = EXAMPLES / "us-cn-genomic-101.yaml"
OSC_TITLE = "\x1b]0;pwned\x07"
RLO = "\u202e"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataflow_rules.cli", *args], capture_output=True, text=True, timeout=60
    )


def transfer(**changes: object) -> dict[str, object]:
    value: dict[str, object] = yaml.safe_load(GENOMIC.read_text())
    value.update(changes)
    return value


def write(tmp_path: Path, value: object, name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value, default=str))
    return path


def assert_harmless(text: str) -> None:
    bad = [
        c
        for c in text
        if (ord(c) < 0x20 and c != "\n")
        or 0x7F <= ord(c) <= 0x9F
        or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    ]
    assert not bad, f"raw control or bidi characters {bad!r} in {text!r}"


def test_an_osc_sequence_in_a_category_is_shown_not_obeyed(tmp_path: Path) -> None:
    data = [{"category": f"personal.{OSC_TITLE}{RLO}x", "individuals": 5, "anonymised": False}]
    result = run("check", str(write(tmp_path, transfer(data=data))))
    assert result.returncode == 5
    assert_harmless(result.stderr)
    assert "personal.\\x1b]0;pwned\\x07\\u202ex" in result.stderr


def test_control_characters_in_a_file_name_are_escaped(tmp_path: Path) -> None:
    path = write(tmp_path, {"not": "a transfer"}, name=f"evil{OSC_TITLE}.json")
    result = run("check", str(path))
    assert result.returncode == 5
    assert_harmless(result.stderr)
    assert "evil\\x1b]0;pwned\\x07.json" in result.stderr


def test_the_text_report_escapes_user_text_but_keeps_its_own_colours() -> None:
    painted = "\x1b[1;31mRESTRICT\x1b[0m reference " + OSC_TITLE + " \x1b[2J"
    shown = printable_output(painted + "\nnext line")
    assert shown.startswith("\x1b[1;31mRESTRICT\x1b[0m reference \\x1b]0;pwned\\x07 \\x1b[2J\nnext line")
    assert printable("tab\there") == "tab\\x09here"
    assert printable("line\nbreak") == "line\\x0abreak"
    assert printable("plain text, ünïcödé, 中文") == "plain text, ünïcödé, 中文"


@pytest.mark.parametrize(
    ("field", "word"), [("origin", "NO"), ("destination", "no"), ("purpose", "on"), ("origin", "Yes")]
)
def test_a_yaml_11_boolean_where_a_string_belongs_says_quote_it(
    tmp_path: Path, field: str, word: str
) -> None:
    text = GENOMIC.read_text()
    lines = [f"{field}: {word}" if line.startswith(f"{field}:") else line for line in text.splitlines()]
    path = tmp_path / "t.yaml"
    path.write_text("\n".join(lines) + "\n")
    result = run("check", str(path))
    assert result.returncode == 5
    value = "false" if word.lower() in ("no", "off") else "true"
    assert result.stderr.strip().endswith(
        f"{field}: {word} is read by YAML as the boolean {value}; quote it: '{word}'"
    ), result.stderr


def test_quoted_no_is_norway(tmp_path: Path) -> None:
    text = GENOMIC.read_text().replace("origin: US", "origin: 'NO'")
    path = tmp_path / "t.yaml"
    path.write_text(text)
    result = run("check", str(path))
    assert "quote it" not in result.stderr
    assert result.returncode in (0, 3, 4), result.stderr


def test_a_boolean_mapping_key_says_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(GENOMIC.read_text().replace("context:", "context:\n  NO: 1", 1))
    result = run("check", str(path))
    assert result.returncode == 5
    assert "key NO is read by YAML as the boolean false; quote it: 'NO'" in result.stderr
