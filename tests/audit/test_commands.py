"""``check --record`` and ``audit list|show|export|verify`` as a user runs them: real processes."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..conftest import EXAMPLES
from ..test_cli import EXE, run

GENOMIC = str(EXAMPLES / "us-cn-genomic-101.yaml")
MISSING = str(EXAMPLES / "cn-us-missing-count.yaml")
CLIMATE = str(EXAMPLES / "cn-us-climate-research.yaml")


def record(
    db: Path | str, *files: str, who: str | None = "alice", fmt: str = "json"
) -> subprocess.CompletedProcess[bytes]:
    args = ["check", "--format", fmt, "--record", "--audit-db", str(db), *files]
    if who is not None:
        args[4:4] = ["--requested-by", who]
    return run(*args)


def _without_ledger_presumption(stdout: bytes) -> object:
    body = json.loads(stdout)
    for d in body["decisions"]:
        d["assumptions"] = [a for a in d["assumptions"] if a["fact"] != "ledger"]
    return body


def test_check_record_stores_what_check_prints(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    plain = run("check", "--format", "json", GENOMIC, MISSING)
    recorded = record(db, GENOMIC, MISSING)
    # Same output, same exit code: recording changes nothing a pipeline reads, except that
    # a plain check, reading no ledger, states that it presumes no earlier transfers
    # (issue 19), and --record reads the audit trail as its ledger.
    assert recorded.returncode == plain.returncode == 4
    assert _without_ledger_presumption(recorded.stdout) == _without_ledger_presumption(plain.stdout)
    assert b'"fact": "ledger"' in plain.stdout and b'"fact": "ledger"' not in recorded.stdout
    assert recorded.stderr.decode() == f"recorded decisions 1-2 in {db}\n"
    shown = run("audit", "show", "2", "--audit-db", str(db), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["decision"] == json.loads(recorded.stdout)["decisions"][1]
    assert body["requested_by"] == "alice" and body["channel"] == "cli"
    assert body["transfer"]["id"] == "cn-us-missing-count"
    assert body["tool"] == {"name": "dataflow-rules", "version": "0.1.0"}
    digests = {c["jurisdiction"]: c["digest"] for c in body["catalogues"]["catalogues"]}
    listed = run("catalogues").stdout.decode()
    assert all(f"sha256:{d[:16]}" in listed for d in digests.values())


def test_requester_defaults_to_login_name(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    assert record(db, CLIMATE, who=None).returncode == 0
    body = json.loads(run("audit", "show", "1", "--audit-db", str(db), "-f", "json").stdout)
    assert body["requested_by"] == getpass.getuser()


def test_audit_options_without_record_are_usage_errors(tmp_path: Path) -> None:
    result = run("check", "--requested-by", "alice", CLIMATE)
    assert result.returncode == 2 and b"--record" in result.stderr
    result = run("check", "--audit-db", str(tmp_path / "a.sqlite"), CLIMATE)
    assert result.returncode == 2
    assert not (tmp_path / "a.sqlite").exists()


def test_unwritable_store_gives_no_decision(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = record(blocker / "audit.sqlite", GENOMIC)  # a path under a regular file
    assert result.returncode == 8
    # --format json: the error document, and no decision in it.
    body = json.loads(result.stdout)
    assert "decisions" not in body and body["errors"], body
    assert result.stderr.decode().startswith("error: cannot open audit store")


def test_bad_input_records_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\norigin: US\ndestination: CN\ndata:\n  - category: personal.heath\n")
    db = tmp_path / "audit.sqlite"
    assert record(db, GENOMIC, str(bad)).returncode == 5
    assert not db.exists()  # nothing was decided, so the store was not even opened


def test_list_show_text(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    record(db, GENOMIC, MISSING, CLIMATE)
    record(db, CLIMATE, who="bob")
    listed = run("audit", "list", "--audit-db", str(db)).stdout.decode().splitlines()
    assert listed[0].split()[:3] == ["ID", "TIME", "(UTC)"]
    assert [line.split()[0] for line in listed[1:]] == ["4", "3", "2", "1"]
    assert "restrict" in listed[4] and "US->CN" in listed[4] and "us-cn-genomic-101" in listed[4]
    bob = run("audit", "list", "--audit-db", str(db), "--requested-by", "bob", "-f", "json")
    assert [r["id"] for r in json.loads(bob.stdout)] == [4]
    review = run("audit", "list", "--audit-db", str(db), "--verdict", "review", "-f", "json")
    assert [r["transfer_id"] for r in json.loads(review.stdout)] == ["cn-us-missing-count"]
    shown = run("audit", "show", "1", "--audit-db", str(db)).stdout.decode()
    assert shown.startswith("record 1  ") and "requested by alice  via cli" in shown
    assert "us.dsp.omic.coc.genomic" in shown and "RESTRICT" in shown and "202.303" in shown
    assert "  id: us-cn-genomic-101" in shown
    missing = run("audit", "show", "99", "--audit-db", str(db))
    assert missing.returncode == 8 and b"no audit record 99" in missing.stderr


def test_readers_do_not_create_a_store(tmp_path: Path) -> None:
    db = tmp_path / "typo.sqlite"
    for command in (["list"], ["show", "1"], ["export"], ["verify"]):
        result = run("audit", *command, "--audit-db", str(db))
        assert result.returncode == 8, command
        assert result.stderr.decode() == f"error: no audit store at {db} (nothing has been recorded there)\n"
    assert not db.exists()


def test_default_location_is_shared_by_check_and_audit(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("DATAFLOW_RULES_AUDIT_DB", None)
    subprocess.run([EXE, "check", "--record", CLIMATE], env=env, capture_output=True, check=True)
    assert (tmp_path / "data" / "dataflow-rules" / "audit.sqlite").is_file()
    listed = subprocess.run([EXE, "audit", "list", "-f", "json"], env=env, capture_output=True, check=True)
    assert [r["transfer_id"] for r in json.loads(listed.stdout)] == ["cn-us-climate-research"]


def test_export_csv_and_json(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    record(db, GENOMIC, MISSING, who="=cmd|' /C calc'!A0")  # a spreadsheet formula as a name
    as_json = json.loads(run("audit", "export", "--audit-db", str(db), "--format", "json").stdout)
    assert [r["id"] for r in as_json] == [1, 2]
    assert as_json[1]["prev_hash"] == as_json[0]["hash"]
    assert as_json[0]["decision"]["verdict"] == "restrict"
    out = tmp_path / "trail.csv"
    result = run("audit", "export", "--audit-db", str(db), "--format", "csv", "--output", str(out))
    assert result.returncode == 0 and result.stderr.decode() == f"exported 2 records to {out}\n"
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["hash"] == as_json[0]["hash"] and rows[1]["prev_hash"] == as_json[0]["hash"]
    assert rows[0]["requested_by"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["verdict"] == "restrict" and "us.dsp.omic.coc.genomic" in rows[0]["reasons"]
    assert json.loads(rows[1]["decision_json"]) == as_json[1]["decision"]
    assert json.loads(rows[1]["transfer_json"])["id"] == "cn-us-missing-count"


def test_verify_passes_then_names_the_edited_record(tmp_path: Path) -> None:
    db = tmp_path / "audit.sqlite"
    record(db, GENOMIC, MISSING, CLIMATE)
    ok = run("audit", "verify", "--audit-db", str(db))
    assert ok.returncode == 0
    head = ok.stdout.decode().split("head ")[1].strip()
    assert ok.stdout.decode() == f"ok: 3 records in {db}, chain intact; head {head}\n"
    assert run("audit", "verify", "--audit-db", str(db), "--head", head).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER audit_records_no_update")
        conn.execute(
            "UPDATE audit_records SET body = replace(body, '\"restrict\"', '\"allow\"') WHERE seq = 1"
        )
    broken = run("audit", "verify", "--audit-db", str(db))
    assert broken.returncode == 9
    lines = broken.stderr.decode().splitlines()
    assert "error: record 1: its content does not match its hash (the record was changed)" in lines
    assert lines[-1] == f"chain broken: {len(lines) - 1} problem(s) in 3 records of {db}"


@pytest.mark.slow  # many recorder processes at once
def test_concurrent_recorders_extend_one_chain(tmp_path: Path) -> None:
    """Several ``check --record`` processes at once: one chain, every decision in it."""
    db = tmp_path / "audit.sqlite"
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: record(db, GENOMIC, MISSING, CLIMATE), range(12)))
    assert all(r.returncode == 4 for r in results), [r.stderr for r in results]
    ok = run("audit", "verify", "--audit-db", str(db))
    assert ok.returncode == 0 and ok.stdout.decode().startswith("ok: 36 records")
    ranges = sorted(r.stderr.decode().split()[2] for r in results)
    firsts = sorted(int(r.split("-")[0]) for r in ranges)
    assert firsts == list(range(1, 37, 3))  # each run's three decisions are consecutive


def test_check_record_to_postgres(pg_url: str) -> None:
    recorded = record(pg_url, GENOMIC, CLIMATE, who="carol")
    assert recorded.returncode == 4, recorded.stderr
    assert recorded.stderr.decode() == f"recorded decisions 1-2 in {pg_url}\n"
    listed = json.loads(run("audit", "list", "--audit-db", pg_url, "-f", "json").stdout)
    assert [(r["id"], r["requested_by"]) for r in listed] == [(2, "carol"), (1, "carol")]
    assert run("audit", "verify", "--audit-db", pg_url).returncode == 0
    exported = json.loads(run("audit", "export", "--audit-db", pg_url).stdout)
    assert exported[0]["decision"]["transfer_id"] == "us-cn-genomic-101"


def test_check_stays_light() -> None:
    """The audit and server packages must not make ``check`` import their heavy parts."""
    code = "import sys, dataflow_rules.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    heavy = {"fastapi", "uvicorn", "jinja2", "starlette", "psycopg", "sqlite3", "httpx"}
    assert not heavy & loaded


@pytest.mark.parametrize("name", ["x" * 201, "tab\there"])
def test_bad_requester_is_a_usage_error(tmp_path: Path, name: str) -> None:
    result = record(tmp_path / "a.sqlite", CLIMATE, who=name)
    assert result.returncode == 2 and b"--requested-by" in result.stderr
