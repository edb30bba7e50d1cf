"""Safe YAML reading: duplicate keys, aliases, tags, limits, bad bytes, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataflow_rules.errors import InputError
from dataflow_rules.loading import MAX_BYTES, MAX_DEPTH, decode, parse_documents, parse_one, read_text


def one(text: str):
    return parse_one(text, "t.yaml", InputError)


def test_values_and_marks() -> None:
    doc = one("a: 1\nb:\n  - x\n  - {c: 2024-03-22}\n")
    assert doc.value["a"] == 1
    assert str(doc.value["b"][1]["c"]) == "2024-03-22"
    assert doc.locate(("b", 1, "c")).line == 4
    assert doc.locate(("b", 0)).line == 3
    # An unknown deeper path falls back to its deepest known prefix.
    assert doc.locate(("b", 1, "c", "nope")).line == 4


def test_duplicate_key_is_rejected_with_both_lines() -> None:
    with pytest.raises(InputError) as info:
        one("id: a\norigin: CN\nid: b\n")
    msg = info.value.one_line()
    assert "t.yaml:3" in msg and "duplicate key 'id'" in msg and "line 1" in msg


def test_nested_duplicate_key() -> None:
    with pytest.raises(InputError, match=r"t.yaml:4:3: data\[0\].category: duplicate key 'category'"):
        one("data:\n- category: a\n  individuals: 3\n  category: b\n")


def test_alias_bomb_is_rejected_before_expansion() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    for n in range(1, 9):
        bomb += f"{chr(97 + n)}: &{chr(97 + n)} [*{chr(96 + n)}, *{chr(96 + n)}, *{chr(96 + n)}]\n"
    with pytest.raises(InputError, match="aliases"):
        one(bomb)


def test_merge_keys_and_custom_tags_are_rejected() -> None:
    with pytest.raises(InputError, match=r"alias|merge"):
        one("base: &b {x: 1}\nother:\n  <<: *b\n")
    with pytest.raises(InputError, match="tag"):
        one("a: !!python/object:os.system echo\n")
    with pytest.raises(InputError, match="tag"):
        one("a: !custom 3\n")


def test_non_finite_numbers_are_rejected() -> None:
    for text in ("n: .nan\n", "n: .inf\n", "n: -.inf\n"):
        with pytest.raises(InputError, match="not finite"):
            one(text)


def test_malformed_yaml_names_line() -> None:
    with pytest.raises(InputError, match=r"t.yaml:2:\d+: invalid YAML"):
        one("a: [1, 2\nb: c: d\n")


def test_tabs_are_a_yaml_error() -> None:
    with pytest.raises(InputError, match="invalid YAML"):
        one("a:\n\tb: 1\n")


def test_deep_nesting_is_bounded() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(InputError, match="nests deeper"):
        one(deep)


def test_non_utf8_names_line() -> None:
    with pytest.raises(InputError, match=r"<stdin>:2: not valid UTF-8 \(byte 0xff"):
        decode(b"a: 1\nb: \xff\n", "<stdin>", InputError)


def test_oversized_file_is_refused_without_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(InputError, match="limit"):
        read_text(big, InputError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        read_text(tmp_path / "nope.yaml", InputError)


def test_multiple_documents() -> None:
    docs = list(parse_documents("a: 1\n---\na: 2\n---\n", "t.yaml", InputError))
    assert [d.value["a"] for d in docs] == [1, 2]
    with pytest.raises(InputError, match="expected one YAML document"):
        one("a: 1\n---\na: 2\n")


def test_invalid_date_is_an_error() -> None:
    with pytest.raises(InputError, match="invalid value"):
        one("d: 2024-13-45\n")


def test_json_surrogate_pair_escapes_are_one_character() -> None:
    """json.dumps writes a character beyond the BMP as a \\uD83E\\uDDEC pair; libyaml
    refuses such escapes, so the reader must still take them (found by fuzzing the API)."""
    import json

    text = json.dumps({"id": "t", "description": "genomes 🧬 and 𝔘"})
    assert "\\ud83e\\uddec" in text
    (doc,) = parse_documents(text, "t.json", InputError)
    assert doc.value == {"id": "t", "description": "genomes 🧬 and 𝔘"}
    assert doc.locate(("description",)).line == 1


def test_a_lone_surrogate_escape_is_refused_with_its_place() -> None:
    with pytest.raises(InputError, match=r"t.json:2:7: x: a \\u escape is half of a UTF-16 surrogate pair"):
        list(parse_documents('{"ok": 1,\n "x": "\\ud83e!"}', "t.json", InputError))
