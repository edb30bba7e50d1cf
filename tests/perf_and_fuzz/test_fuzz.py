"""Hostile input, fuzzed: catalogues, transfer files and JSON lines, in-process and through
the real command line.

Every case must end in a clear error (one line naming the file, and for the CLI the
documented exit code: 5 for a transfer, 6 for a catalogue) or in a decision; never an
uncaught exception, never a hang, and never a verdict for a description that could not
be fully read. Cases are bounded by count (``max_examples``), not by time, and drawn
deterministically (``derandomize``) so CI runs the same cases every time; set
DFR_FUZZ_EXAMPLES to draw more locally.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflow_rules import DataflowRulesError, Engine, InputError, Policies, parse_transfers
from dataflow_rules.batch.records import LineDecider, LineError
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.errors import CatalogueError
from dataflow_rules.loading import MAX_BYTES, parse_documents

from ..conftest import EXAMPLES
from .jsonl import EXE, example_values, records, run

# Slow lane (hypothesis fuzzing, in-process and through the CLI): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow

N = int(os.environ.get("DFR_FUZZ_EXAMPLES", "0"))


def fuzz(default: int) -> Any:
    return settings(
        max_examples=N or default,
        deadline=None,
        derandomize=not N,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def to_yaml(value: Any) -> bytes:
    return yaml.dump(value, Dumper=_NoAliases, sort_keys=False, allow_unicode=True).encode()


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@pytest.fixture(scope="module")
def values(policies: Policies) -> list[dict[str, Any]]:
    return example_values(policies)


# -- mutations that make a transfer unreadable -----------------------------------------
# Each takes a valid transfer (as written) and the hypothesis data object, and returns
# (YAML bytes, JSON line bytes or None). Every one must give an input error, never a verdict.

Mutation = Callable[[dict[str, Any], st.DataObject], tuple[bytes, bytes | None]]

NEAR_MISS_KEYS = [
    "individual",
    "anonymized",
    "Category",
    "purposes",
    "controlled by",
    "ciio ",
    "recipient_type",
    "notes",
]


def _item(value: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    items: list[dict[str, Any]] = value["data"]
    i: int = data.draw(st.integers(0, len(items) - 1), label="item")
    return items[i]


def unknown_key(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    where = data.draw(st.sampled_from(["top", "recipient", "exporter", "item"]), label="where")
    key = data.draw(st.sampled_from(NEAR_MISS_KEYS), label="key")
    target = (
        _item(value, data) if where == "item" else value if where == "top" else value.setdefault(where, {})
    )
    target[key] = data.draw(st.sampled_from([True, 1, "x", None]), label="value")
    return to_yaml(value), to_json(value)


def bad_count(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    field = data.draw(st.sampled_from(["individuals", "records", "devices"]), label="field")
    bad = data.draw(
        st.sampled_from([-1, -(10**6), 10**11, 10**30, 1.5, "many", "", [], {}, [1, 2]]), label="bad"
    )
    _item(value, data)[field] = bad
    return to_yaml(value), to_json(value)


def bad_date(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    bad = data.draw(
        st.sampled_from(["2026-02-30", "0000-01-01", "10000-01-01", "2026-13-01", "tomorrow", "2026-1-1x"])
    )
    value["date"] = bad
    return to_yaml(value), to_json(value)


def bad_country(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    side = data.draw(st.sampled_from(["origin", "destination"]))
    value[side] = data.draw(st.sampled_from(["XX", "usa", "", "C N", 12, None, ["CN"]]))
    return to_yaml(value), to_json(value)


def bad_category(
    value: dict[str, Any], data: st.DataObject, known: frozenset[str] = frozenset()
) -> tuple[bytes, bytes | None]:
    from dataflow_rules.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_policy_dir() / "taxonomy.yaml")
    word = data.draw(
        st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz._-é 1"), min_size=0, max_size=30).filter(
            lambda w: w.strip() not in taxonomy.categories
        ),
        label="category",
    )
    _item(value, data)["category"] = word
    return to_yaml(value), to_json(value)


def missing_required(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    del value[data.draw(st.sampled_from(["id", "origin", "destination", "data"]))]
    return to_yaml(value), to_json(value)


def too_many_items(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    value["data"] = (value["data"] * 1001)[:1001]
    return to_yaml(value), to_json(value)


def deep(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    depth = data.draw(st.integers(70, 3000), label="depth")
    field = data.draw(st.sampled_from(["data", "recipient", "purpose", "context"]))
    value[field] = "[" * depth + "]" * depth  # placeholder, replaced in the text
    marker = json.dumps(value[field])
    nested = ("[" * depth + "]" * depth).encode()
    return to_yaml(value).replace(marker.encode(), nested).replace(value[field].encode(), nested), to_json(
        value
    ).replace(marker.encode(), nested)


def wrong_shape(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    choice = data.draw(
        st.sampled_from(["data-mapping", "recipient-text", "data-empty", "item-text", "context-list"])
    )
    if choice == "data-mapping":
        value["data"] = value["data"][0]
    elif choice == "recipient-text":
        value["recipient"] = "Acme"
    elif choice == "data-empty":
        value["data"] = []
    elif choice == "item-text":
        value["data"] = ["personal.contact"]
    else:
        value["context"] = ["flag"]
    return to_yaml(value), to_json(value)


def unknown_word(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    choice = data.draw(st.sampled_from(["purpose", "transaction", "type", "context"]))
    if choice == "type":
        value.setdefault("recipient", {})["type"] = "alien_overlord"
    elif choice == "context":
        value["context"] = {"undeclared_fact": True}
    else:
        value[choice] = "world_domination"
    return to_yaml(value), to_json(value)


def duplicate_key(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    key = data.draw(st.sampled_from(["id", "origin", "destination", "data"]))
    text = to_yaml(value) + f"{key}: {json.dumps(value[key])}\n".encode()
    line = to_json(value)[:-1] + f', "{key}": {json.dumps(value[key])}}}'.encode()
    return text, line


def alias(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    item = json.dumps(value["data"][0])
    rest = {k: v for k, v in value.items() if k != "data"}
    bomb = data.draw(st.booleans(), label="bomb")
    if bomb:  # a billion laughs: nine levels of ten aliases each
        lines = ["lol0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
        return ("\n".join(lines) + "\n").encode() + to_yaml(value), None
    return to_yaml(rest) + f"data:\n  - &first {item}\n  - *first\n".encode(), None


def tab_indent(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    text = to_yaml(value).decode().splitlines()
    indented = [i for i, line in enumerate(text) if line.startswith("  ")]
    i = data.draw(st.sampled_from(indented), label="line")
    text[i] = "\t" + text[i].lstrip(" ")
    return ("\n".join(text) + "\n").encode(), None


def bad_bytes(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    byte = bytes(
        [data.draw(st.sampled_from([*range(0x80, 0xC0), 0xC0, 0xC1, *range(0xF5, 0x100)]), label="byte")]
    )
    text, line = to_yaml(value), to_json(value)
    at = data.draw(st.integers(0, len(text)), label="at")
    at_line = data.draw(st.integers(0, len(line)), label="at_line")
    return text[:at] + byte + text[at:], line[:at_line] + byte + line[at_line:]


def not_finite(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    yaml_word, json_word = data.draw(
        st.sampled_from([(".nan", "NaN"), (".inf", "Infinity"), ("-.inf", "-Infinity"), ("1e999", "1e999")])
    )
    _item(value, data)["individuals"] = 123456789
    return (
        to_yaml(value).replace(b"123456789", yaml_word.encode()),
        to_json(value).replace(b"123456789", json_word.encode()),
    )


def huge_number(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    digits = "9" * data.draw(st.integers(12, 6000), label="digits")
    _item(value, data)["individuals"] = 123456789
    return to_yaml(value).replace(b"123456789", digits.encode()), to_json(value).replace(
        b"123456789", digits.encode()
    )


def control_character(value: dict[str, Any], data: st.DataObject) -> tuple[bytes, bytes | None]:
    char = data.draw(st.sampled_from(["\x00", "\x07", "\x1b", "\x7f"]))
    value["id"] = "id"
    return to_yaml(value).replace(b"id: id", f"id: i{char}d".encode()), to_json(value).replace(
        b'"id"', f'"i{char}d"'.encode(), 1
    ).replace(b'"id": "id"', b'"id": "id"')


MUTATIONS: list[Mutation] = [
    unknown_key,
    bad_count,
    bad_date,
    bad_country,
    bad_category,
    missing_required,
    too_many_items,
    deep,
    wrong_shape,
    unknown_word,
    duplicate_key,
    alias,
    tab_indent,
    bad_bytes,
    not_finite,
    huge_number,
]


def _yaml_result(text: bytes, policies: Policies, engine: Engine) -> str:
    """'error' or the verdict, by the path ``check`` takes (decode, parse, check, decide)."""
    from dataflow_rules.loading import decode

    try:
        located = parse_transfers(decode(text, "t.yaml", InputError), "t.yaml", policies)
    except InputError as exc:
        message = exc.one_line()
        assert "\n" not in message and message.startswith("t.yaml"), message
        return "error"
    return engine.decide(located[0].transfer).verdict.value


def _line_result(line: bytes, engine: Engine) -> str:
    result = LineDecider(engine).decide(line, "in.jsonl", 7)
    if isinstance(result, LineError):
        assert result.exit_code == 5, result
        assert result.message.startswith("in.jsonl:7"), result.message
        return "error"
    return result.verdict.value


@fuzz(400)
@given(data=st.data())
def test_unreadable_transfers_are_errors_never_verdicts(
    data: st.DataObject, values: list[dict[str, Any]], policies: Policies, engine: Engine
) -> None:
    value = copy.deepcopy(data.draw(st.sampled_from(values), label="example"))
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    text, line = mutation(value, data)
    assert _yaml_result(text, policies, engine) == "error"
    if line is not None:
        assert _line_result(line, engine) == "error"


@fuzz(300)
@given(data=st.data())
def test_random_damage_gives_an_error_or_a_decision(
    data: st.DataObject, values: list[dict[str, Any]], policies: Policies, engine: Engine
) -> None:
    """Bytes inserted, deleted or flipped anywhere: whatever comes out is an error or a
    decision, and a decision only for text that still reads as a whole transfer."""
    value = data.draw(st.sampled_from(values), label="example")
    for render in (to_yaml, to_json):
        raw = bytearray(render(value))
        for _ in range(data.draw(st.integers(1, 4), label="edits")):
            at = data.draw(st.integers(0, len(raw)), label="at")
            op = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="op")
            byte = data.draw(
                st.sampled_from(list(b"\x00\t\n\r :-[]{}&*!|>'\"#%@`,?x9\xff\xc3")), label="byte"
            )
            if op == "insert":
                raw.insert(at, byte)
            elif at < len(raw):
                if op == "delete":
                    del raw[at]
                else:
                    raw[at] = byte
        _yaml_result(bytes(raw), policies, engine)
        if render is to_json and b"\n" not in raw:
            _line_result(bytes(raw), engine)


@fuzz(200)
@given(
    text=st.text(st.characters(codec="utf-8"), max_size=300)
    | st.text(":-[]{}&*!|>'\"#%@`,? \t\nabc019.", max_size=300)
)
def test_the_yaml_loader_is_total(text: str) -> None:
    try:
        documents = list(parse_documents(text, "t.yaml", InputError))
    except InputError as exc:
        assert "\n" not in exc.one_line() and exc.one_line().startswith("t.yaml")
        return
    for doc in documents:
        json.dumps(doc.value, default=str)  # plain values only, no shared (aliased) nodes


def test_a_yes_no_where_a_count_belongs_is_an_input_error(
    values: list[dict[str, Any]], policies: Policies, engine: Engine
) -> None:
    value = copy.deepcopy(values[0])
    value["data"][0]["individuals"] = True
    assert _yaml_result(to_yaml(value), policies, engine) == "error"


# -- through the real command line --------------------------------------------------------


@fuzz(8)
@given(data=st.data())
def test_the_cli_refuses_unreadable_transfers(
    data: st.DataObject, values: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("cli")
    value = copy.deepcopy(data.draw(st.sampled_from(values), label="example"))
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    text, line = mutation(value, data)
    path = tmp / "transfer.yaml"
    path.write_bytes(text)
    result = run("check", "--format", "json", str(path))
    assert result.returncode == 5, result.stderr
    # No decision: the JSON output is the error document, one entry per stderr line.
    document = json.loads(result.stdout)
    assert set(document) == {"schema_version", "error", "exit_code", "errors"} and document["exit_code"] == 5
    lines = result.stderr.decode().splitlines()
    assert lines and all(line.startswith(f"error: {path}") for line in lines), lines
    assert len(document["errors"]) == len(lines)
    if line is not None:
        src, out = tmp / "in.jsonl", tmp / "out.jsonl"
        src.write_bytes(line + b"\n")
        result = run("batch", str(src), "-o", str(out))
        assert result.returncode == 5, result.stderr
        (record,) = records(out)
        assert set(record) == {"line", "error"} and record["error"]["exit_code"] == 5


def _billion_laughs() -> bytes:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


GOOD = (EXAMPLES / "cn-us-pi-100000.yaml").read_bytes()

HOSTILE_TRANSFERS: dict[str, bytes | None] = {
    "alias bomb": _billion_laughs() + GOOD,
    "deep nesting": b"id: x\ndata: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "deep block nesting": b"".join(b"  " * i + b"k:\n" for i in range(2000)),
    "100 MB file": None,  # written sparse below
    "non-UTF-8": GOOD.replace(b"Example Retailer", b"Example \xff Retailer"),
    "UTF-16": GOOD.decode().encode("utf-16"),
    "tab indentation": GOOD.replace(b"    individuals", b"\tindividuals"),
    "NaN count": GOOD.replace(b"100000\n", b".nan\n"),
    "infinite count": GOOD.replace(b"100000\n", b".inf\n"),
    "negative count": GOOD.replace(b"100000\n", b"-100000\n"),
    "count over ten billion": GOOD.replace(b"100000\n", b"100000000000\n"),
    "date out of range": GOOD.replace(b"2026-03-02", b"2026-02-30"),
    "year 0": GOOD.replace(b"2026-03-02", b"0000-03-02"),
    "duplicate key": GOOD + b"origin: US\n",
    "huge list of data items": GOOD.replace(
        b"data:\n", b"data:\n" + b"  - {category: personal.contact}\n" * 1500
    ),
    "more transfers than a file may hold": b"- {}\n" * 100_001,
    "NUL byte": GOOD.replace(b"marketing", b"market\x00ing"),
    "python tag": GOOD.replace(b"marketing", b"!!python/object/apply:os.system [echo]"),
    "empty file": b"",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_TRANSFERS))
def test_hostile_transfer_file_exit_5(case: str, tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    content = HOSTILE_TRANSFERS[case]
    if content is None:
        with path.open("wb") as f:
            f.truncate(100 * 1024 * 1024)
    else:
        path.write_bytes(content)
    result = run("check", str(path))
    assert result.returncode == 5, (case, result.stderr[-500:])
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.startswith(f"error: {path}"), err[:500]


HOSTILE_CATALOGUE_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "alias bomb": lambda t: _billion_laughs() + t,
    "100 MB file": lambda t: t,  # replaced by a sparse file below
    "duplicate key": lambda t: t + b"\njurisdiction: CN\n",
    "non-UTF-8": lambda t: t.replace(b"title:", b"title: \xc3\x28", 1),
    "NaN threshold": lambda t: t.replace(b"at_least: 100000", b"at_least: .nan", 1),
    "negative threshold": lambda t: t.replace(b"at_least: 100000", b"at_least: -1", 1),
    "deep nesting": lambda t: t + b"\nextra: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "tab indentation": lambda t: t.replace(b"\n  - id:", b"\n\t- id:", 1),
    "date out of range": lambda t: t.replace(b"effective: 20", b"effective: 99999-", 1),
    "huge list": lambda t: t.replace(b"entries:\n", b"entries:\n" + b"  - {}\n" * 200_000, 1),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CATALOGUE_EDITS))
def test_hostile_catalogue_exit_6(case: str, tmp_path: Path) -> None:
    policy = tmp_path / "policies"
    shutil.copytree(default_policy_dir(), policy)
    cn = policy / "cn.yaml"
    original = cn.read_bytes()
    edited = HOSTILE_CATALOGUE_EDITS[case](original)
    if case == "100 MB file":
        with cn.open("wb") as f:
            f.truncate(100 * 1024 * 1024)
    else:
        assert edited != original, f"the edit for {case!r} no longer applies to cn.yaml"
        cn.write_bytes(edited)
    result = run("check", "--policies", str(policy), str(EXAMPLES / "cn-us-pi-100000.yaml"))
    assert result.returncode == 6, (case, result.stderr[-500:])
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.startswith(f"error: {cn}"), err[:500]


@fuzz(60)
@given(data=st.data())
def test_damaged_catalogues_load_or_fail_cleanly(data: st.DataObject, policies: Policies) -> None:
    """Random edits to the shipped China catalogue: a CatalogueError, or a catalogue that
    loads, compiles and decides."""
    text = bytearray((default_policy_dir() / "cn.yaml").read_bytes())
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(text) - 1), label="at")
        byte = data.draw(st.sampled_from(list(b"\x00\t\n :-[]{}&*!|'\"#x9\xff")), label="byte")
        if data.draw(st.booleans(), label="insert"):
            text.insert(at, byte)
        else:
            text[at] = byte
    try:
        from dataflow_rules.loading import decode

        loaded = build_policies(
            policies.taxonomy, [("cn.yaml", decode(bytes(text), "cn.yaml", CatalogueError))]
        )
    except CatalogueError as exc:
        assert "\n" not in exc.one_line() and exc.one_line().startswith("cn.yaml")
        return
    engine = Engine(loaded)
    try:
        for value in example_values(policies)[:5]:
            from dataflow_rules.models.transfer import Transfer

            engine.decide(Transfer.model_validate(value))
    except DataflowRulesError as exc:
        assert exc.exit_code == 7
    finally:
        engine.close()


def test_a_100_mb_line_in_batch_is_one_error_record_in_bounded_memory(
    tmp_path: Path, values: list[dict[str, Any]]
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    with src.open("wb") as f:
        f.write(b'{"id": "huge", "description": "')
        block = b"x" * (1 << 20)
        for _ in range(100):
            f.write(block)
        f.write(b'"}\n')
        f.write(to_json(values[0]) + b"\n")
    # A fresh parent whose only child is the command, so its peak is the command's own.
    probe = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, EXE, "batch", str(src), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    code, peak_kib = map(int, result.stdout.split())
    assert code == 5
    first, second = records(out)
    assert first["line"] == 1 and "longer than" in first["error"]["message"] and "verdict" not in first
    assert second["line"] == 2 and "verdict" in second
    # The 100 MB line is skipped in pieces, never held whole: the process stays small.
    assert peak_kib / 1024 < 250, f"batch peaked at {peak_kib / 1024:.0f} MiB"


def test_the_value_limit_stops_a_huge_list_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is checked per parser event: a list far over it is refused at the limit,
    before the rest is built (the real limit, MAX_NODES, works the same, only later)."""
    from dataflow_rules import loading

    monkeypatch.setattr(loading, "MAX_NODES", 10_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match=r"t.yaml:10000:3: \[9999\]: document has more than 10000 values"):
        list(parse_documents("- 1\n" * 1_000_000, "t.yaml", InputError))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB


def test_the_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    from dataflow_rules.loading import read_text

    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match="limit"):
        read_text(big, InputError)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 8 * 1024  # KiB: nothing read


@pytest.mark.parametrize("case", sorted(HOSTILE_TRANSFERS))
def test_hostile_waiver_files_are_problems_not_crashes(case: str, tmp_path: Path) -> None:
    """Waiver files (``scan``) go through the same loader: each hostile file is reported
    as a problem, and nothing in it becomes a waiver."""
    import datetime as dt

    waivers = pytest.importorskip("dataflow_rules.scan.waivers")
    path = tmp_path / "waivers.yaml"
    content = HOSTILE_TRANSFERS[case]
    if content is None:
        with path.open("wb") as f:
            f.truncate(100 * 1024 * 1024)
    else:
        path.write_bytes(content)
    loaded = waivers.load_waivers(path, "waivers.yaml", dt.date(2026, 3, 1))
    assert loaded.problems, case
    assert loaded.active == [], case


@fuzz(300)
@given(
    raw=st.binary(max_size=400)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=30,
    ).map(lambda v: json.dumps({"id": "t", "origin": "CN", "destination": "US", "data": v}).encode())
)
def test_every_line_gets_one_well_formed_record(raw: bytes, engine: Engine) -> None:
    """Whatever a line holds, ``batch`` writes exactly one JSON record for it, naming the
    line, and it is an error unless the line reads as a whole transfer."""
    record, outcome = LineDecider(engine).record(raw, "in.jsonl", 3)
    assert record.endswith(b"\n") and record.count(b"\n") == 1
    parsed = json.loads(record)
    assert parsed["line"] == 3
    assert ("verdict" in parsed) == (outcome in ("allow", "review", "restrict"))
    if "error" in parsed:
        assert "verdict" not in parsed and parsed["error"]["exit_code"] in (1, 5, 7)
