"""``dataflow-rules batch``: same decisions as ``check``, order, error records, resuming.

Resuming is tested by cutting a finished output at every kind of byte offset, and by
killing real processes mid-run: a worker (the run stops with exit 7 and a resumable
prefix) and the whole command (SIGKILL, no chance to clean up).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dataflow_rules import Engine, InputError, Policies, Verdict
from dataflow_rules.batch import run_batch
from dataflow_rules.batch.records import MAX_LINE_BYTES, LineDecider, decision_record, dumps

from ..conftest import EXAMPLES
from .jsonl import EXE, example_values, jsonl, records, run


@pytest.fixture(scope="module")
def values(policies: Policies) -> list[dict[str, Any]]:
    return example_values(policies)


@pytest.fixture(scope="module")
def reference(values: list[dict[str, Any]], engine: Engine) -> list[dict[str, Any]]:
    """The decision of each example, straight from the engine (no batch code involved)."""
    from dataflow_rules.models.transfer import Transfer

    return [engine.decide(Transfer.model_validate(v)).model_dump(mode="json") for v in values]


def expected_record(line: int, reference: list[dict[str, Any]], copies: bool = True) -> dict[str, Any]:
    decision = reference[(line - 1) % len(reference)]
    n = (line - 1) // len(reference)
    tid = f"{decision['transfer_id']}-{n}" if copies else decision["transfer_id"]
    return {"line": line, **decision, "transfer_id": tid}


def test_batch_gives_the_decisions_check_gives(tmp_path: Path, values: list[dict[str, Any]]) -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    checked = run("check", "--format", "json", *files)
    assert checked.returncode == 4, checked.stderr
    decisions = json.loads(checked.stdout)["decisions"]
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(values))
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        result = run("batch", str(src), "--output", str(out), "--workers", workers)
        assert result.returncode == 4, result.stderr  # the strictest verdict, as check
        got = records(out)
        assert [r.pop("line") for r in got] == list(range(1, len(values) + 1))
        assert got == decisions
        summary = result.stderr.decode()
        assert summary.count("\n") == 1 and f"{len(values)} records" in summary
    assert (tmp_path / "out1.jsonl").read_bytes() == (tmp_path / "out2.jsonl").read_bytes()


def test_record_serialisation_is_the_documented_one(values: list[dict[str, Any]], engine: Engine) -> None:
    from dataflow_rules.models.transfer import Transfer

    for n, value in enumerate(values, 1):
        decision = engine.decide(Transfer.model_validate(value))
        fast = decision_record(n, decision)
        assert fast == dumps({"line": n, **decision.model_dump(mode="json")})
        assert decision_record(None, decision) == dumps(decision.model_dump(mode="json"))
        assert fast.count(b"\n") == 1 and fast.endswith(b"\n")


def test_bad_lines_are_error_records_never_verdicts(tmp_path: Path, values: list[dict[str, Any]]) -> None:
    good = json.dumps(values[0]).encode()
    unknown_category = json.dumps(
        {**values[0], "data": [{"category": "personal.contcat", "individuals": 5}]}
    ).encode()
    lines = [
        good,  # 1
        b"",  # 2: blank, skipped
        b"not json",  # 3
        b'{"id": "a", "id": "b", "origin": "CN", "destination": "US", "data": []}',  # 4
        good.replace(b'"id"', b'"idd"', 1),  # 5: unknown field
        b"[" * 5000 + b"]" * 5000,  # 6: deep nesting
        b'{"id": "n", "origin": "CN", "destination": "US", "data": [{"category": "personal.contact", "individuals": NaN}]}',  # 7
        b'{"id": "n", "origin": "CN", "destination": "US", "data": [{"category": "personal.contact", "individuals": 1e400}]}',  # 8
        b'{"id": "n", "origin": "CN", "destination": "US", "data": [{"category": "personal.contact", "individuals": -1}]}',  # 9
        b'{"id": "n\xff", "origin": "CN"}',  # 10: not UTF-8
        b"x" * (MAX_LINE_BYTES + 10),  # 11: too long
        unknown_category,  # 12
        b'{"id": "d", "origin": "CN", "destination": "US", "date": "2026-02-30", "data": [{"category": "personal.contact"}]}',  # 13
        b'{"id": "t",\t"origin": "CN", "destination": "US", "data": [{"category": "research.climate"}]}',  # 14: tab is JSON whitespace
        good,  # 15
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    result = run("batch", str(src), "-o", str(out))
    assert result.returncode == 5, result.stderr
    got = {r["line"]: r for r in records(out)}
    assert sorted(got) == [1, *range(3, 16)]
    decided = {n for n, r in got.items() if "verdict" in r}
    assert decided == {1, 14, 15}
    for n, r in got.items():
        if n in decided:
            assert "error" not in r
            continue
        assert set(r) == {"line", "error"}, r
        assert r["error"]["exit_code"] == 5
        assert r["error"]["message"].startswith(f"{src}:{n}:")
    assert "unknown category 'personal.contcat'" in got[12]["error"]["message"]
    assert "data[0].category" in got[12]["error"]["message"]
    assert "duplicate key 'id'" in got[4]["error"]["message"]
    assert "not finite" in got[7]["error"]["message"] and "not finite" in got[8]["error"]["message"]
    assert "longer than" in got[11]["error"]["message"]
    assert "UTF-8" in got[10]["error"]["message"]


def test_output_is_not_overwritten_by_accident(tmp_path: Path, values: list[dict[str, Any]]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(values))
    out.write_text("precious\n")
    result = run("batch", str(src), "-o", str(out))
    assert result.returncode == 5 and b"--resume" in result.stderr
    assert out.read_text() == "precious\n"
    assert run("batch", str(src), "-o", str(out), "--overwrite").returncode == 4


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path: Path, values: list[dict[str, Any]]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(values))
    quiet = run("batch", str(src), "-o", str(tmp_path / "a.jsonl"))
    assert b"\r" not in quiet.stderr
    loud = run("batch", str(src), "-o", str(tmp_path / "b.jsonl"), "--progress")
    assert f"{len(values)}/{len(values)} lines".encode() in loud.stderr


@pytest.mark.parametrize("where", ["start", "mid-record", "after-newline", "last-byte", "end"])
def test_resume_after_a_cut_at_any_offset(
    tmp_path: Path, policies: Policies, values: list[dict[str, Any]], where: str
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(values, copies=30))
    run_batch(src, out, policies)
    full = out.read_bytes()
    newlines = [i for i, b in enumerate(full) if b == 0x0A]
    cut = {
        "start": 0,
        "mid-record": newlines[300] + 40,
        "after-newline": newlines[300] + 1,
        "last-byte": len(full) - 1,
        "end": len(full),
    }[where]
    out.write_bytes(full[:cut])
    summary = run_batch(src, out, policies, resume=True)
    assert out.read_bytes() == full
    assert summary.records == len(values) * 30  # the tally covers the whole output
    assert summary.exit_code == 4


def test_resume_refuses_an_output_of_other_input(
    tmp_path: Path, policies: Policies, values: list[dict[str, Any]]
) -> None:
    src, other, out = tmp_path / "in.jsonl", tmp_path / "other.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(values, copies=3))
    other.write_bytes(jsonl(list(reversed(values)), copies=3))
    run_batch(src, out, policies)
    full = out.read_bytes()
    out.write_bytes(full[: full.index(b"\n", len(full) // 2) + 1])
    with pytest.raises(InputError, match="not what this run computes"):
        run_batch(other, out, policies, resume=True)
    # The state file beside an unfinished output names what it was made with.
    state = out.with_name(out.name + ".resume")
    state.write_text(json.dumps({"unlisted": "review", "as_of": None}))
    with pytest.raises(InputError, match=r"started with different .*unlisted"):
        run_batch(src, out, policies, resume=True, unlisted=Verdict.ALLOW)
    state.unlink()
    short = tmp_path / "short.jsonl"
    short.write_bytes(jsonl(values[:3]))
    with pytest.raises(InputError, match="no such non-blank line"):
        run_batch(short, out, policies, resume=True)
    (tmp_path / "junk.jsonl").write_bytes(b"hello\n")
    with pytest.raises(InputError, match="not a batch record"):
        run_batch(src, tmp_path / "junk.jsonl", policies, resume=True)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _workers(pid: int) -> list[int]:
    """The batch command's worker processes: its children, spawned or forked (a spawned
    pool also starts multiprocessing's resource tracker, which is not a worker)."""
    out = []
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            out.append(child)
    return out


def _wait_for_records(proc: subprocess.Popen[bytes], out: Path, at_least: int = 2) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run finished before it could be interrupted"
        if out.exists() and out.read_bytes().count(b"\n") >= at_least:
            return
        time.sleep(0.01)
    raise AssertionError("no records within 60 s")


def _check_prefix(out: Path, reference: list[dict[str, Any]]) -> int:
    """Every complete line of ``out`` is the right record for its line, in order."""
    data = out.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    got = [json.loads(line) for line in complete.splitlines()]
    assert [r["line"] for r in got] == list(range(1, len(got) + 1))
    for r in got:
        assert r == expected_record(r["line"], reference)
    return len(got)


COPIES = 2500  # about 50,000 lines: seconds of work, so the run is surely interrupted mid-way


@pytest.mark.slow  # 50,000 lines and a killed worker, about 14 s
def test_killing_a_worker_stops_the_run_and_resume_completes_it(
    tmp_path: Path, values: list[dict[str, Any]], reference: list[dict[str, Any]]
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(values, copies=COPIES))
    total = len(values) * COPIES
    proc = subprocess.Popen(
        [EXE, "batch", str(src), "-o", str(out), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_records(proc, out)
        workers = _workers(proc.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 7, stderr
    assert stderr.count(b"\n") == 1 and b"worker process died" in stderr and b"--resume" in stderr
    written = _check_prefix(out, reference)
    assert 0 < written < total
    assert out.read_bytes().endswith(b"\n")  # the main process wrote whole chunks only
    state = out.with_name(out.name + ".resume")
    assert json.loads(state.read_text())["unlisted"] is None  # the default (no --unlisted given)
    other = run("batch", str(src), "-o", str(out), "--resume", "--as-of", "2030-01-01")
    assert other.returncode == 5 and b"different as_of" in other.stderr

    resumed = run("batch", str(src), "-o", str(out), "--workers", "2", "--resume")
    assert resumed.returncode == 4, resumed.stderr
    assert f"resumed after line {written}".encode() in resumed.stderr
    assert _check_prefix(out, reference) == total
    assert not state.exists()


@pytest.mark.slow  # 50,000 lines and a killed command, about 12 s
def test_killing_the_whole_command_then_resuming(
    tmp_path: Path, values: list[dict[str, Any]], reference: list[dict[str, Any]]
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(values, copies=COPIES))
    total = len(values) * COPIES
    proc = subprocess.Popen(
        [EXE, "batch", str(src), "-o", str(out), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_for_records(proc, out, at_least=1000)
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers, no clean-up
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    written = _check_prefix(out, reference)
    assert written < total
    with out.open("ab") as f:  # as if the kill had landed mid-write
        f.write(b'{"line":99999999,"transfer_id":"cut-off')
    resumed = run("batch", str(src), "-o", str(out), "--resume", "--workers", "2")
    assert resumed.returncode == 4, resumed.stderr
    assert _check_prefix(out, reference) == total
    assert out.read_bytes().endswith(b"}\n")


def test_line_decider_never_raises_on_garbage(engine: Engine) -> None:
    decider = LineDecider(engine)
    for raw in (
        b"",
        b"{}",
        b"null",
        b"1" * 5000,
        b'{"data": ' * 2000,
        "{\ud800}".encode("utf-8", "surrogatepass"),
    ):
        result = decider.decide(raw, "x", 1)
        assert not hasattr(result, "verdict"), raw[:40]


FORKED = """
import sys, threading
from pathlib import Path

from dataflow_rules import load_policies
from dataflow_rules.batch import run_batch, workers

src, out = Path(sys.argv[1]), Path(sys.argv[2])
assert threading.active_count() == 1, threading.enumerate()
assert workers.start_method() == "fork"  # Linux, and nothing here starts a thread
stop = threading.Event()
other = threading.Thread(target=stop.wait)
other.start()
try:
    assert workers.start_method() == "spawn"  # a copy of a threaded process is unsound
finally:
    stop.set()
    other.join()
chosen = []
real = workers.start_method
workers.start_method = lambda: chosen.append(real()) or chosen[-1]
policies = load_policies()
for cumulative in (False, True):
    summary = run_batch(src, out / f"fork-{cumulative}.jsonl", policies, workers=2, cumulative=cumulative)
    print(summary.records)
assert chosen == ["fork", "fork"], chosen
"""
"""The fork half of the test below, in a fresh interpreter: one thread, whatever runs the
test (pytest-xdist's workers run execnet's thread beside every test, so in them the
driver rightly picks spawn, and forcing fork there would fork a threaded process)."""


def test_forked_and_spawned_workers_write_the_same_bytes(
    tmp_path: Path, policies: Policies, values: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked workers (copies of a driver that built its engine) and spawned ones (fresh
    interpreters given the shipped policies) decide alike, counted together or not; the
    method chosen is fork only while no other thread runs. The forked run is a process of
    its own (FORKED), where fork is the method really chosen, not one forced on a test
    runner's threaded process; the spawned runs are forced here (spawn is sound anywhere)."""
    from dataflow_rules.batch import workers

    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(values, copies=4))
    one = tmp_path / "one.jsonl"
    run_batch(src, one, policies)
    forked = subprocess.run(
        [sys.executable, "-c", FORKED, str(src), str(tmp_path)],
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert forked.returncode == 0, forked.stderr.decode()[-3000:]
    assert forked.stdout.split() == [str(len(values) * 4).encode()] * 2
    monkeypatch.setattr(workers, "start_method", lambda: "spawn")
    for cumulative in (False, True):
        out = tmp_path / f"spawn-{cumulative}.jsonl"
        summary = run_batch(src, out, policies, workers=2, cumulative=cumulative)
        assert summary.records == len(values) * 4
        made = (tmp_path / f"fork-{cumulative}.jsonl").read_bytes()
        assert made == out.read_bytes()
        if not cumulative:
            assert made == one.read_bytes()
