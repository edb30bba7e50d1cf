"""Attacks of round 9 on the shipped tool, through real processes and real files: each
is a way a user could get a transfer the law counts with others through alone (a repeated
id, an alias of a party), or get bad input past a gate. A test that fails on the tool
today and whose fix lies in another engineer's file is a strict xfail naming the tool's
answer and the file to fix."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .audit.conftest import pg_server, pg_url, store_url  # noqa: F401 - fixtures
from .law_cases.test_ledger_cases import EXE
from .law_cases.test_ledger_cases import cn as ledger_transfer


def cn(tid: str, day: str | None, population: str | None = None, individuals: int = 60000) -> dict[str, Any]:
    """The ledger cases' transfer (a non-CIIO's contact data to a US company; 60,000 alone is
    exempt, 2024 Provisions Art 5(4); 120,000 in a calendar year needs a standard contract,
    Art 8), its item naming ``population`` when given."""
    transfer = ledger_transfer(tid, day, individuals)
    if population is not None:
        transfer["data"][0]["population"] = population
    return transfer


def us(tid: str, day: str, recipient: dict[str, Any]) -> dict[str, Any]:
    """Biometric identifiers of 600 US persons to a Chinese vendor: not bulk alone (more than
    1,000 over 12 months with the same foreign person, 28 CFR 202.205(c))."""
    return {
        "id": tid,
        "origin": "US",
        "destination": "CN",
        "date": day,
        "exporter": {"id": "us-exp", "name": "Example US Co."},
        "recipient": {**recipient, "type": "company", "controlled_by": "CN"},
        "purpose": "business_operations",
        "transaction": "vendor_agreement",
        "context": {"exporter_is_data_broker": False},
        "data": [{"category": "personal.biometric", "individuals": 600, "anonymised": False}],
    }


def check(db: Path, transfer: dict[str, Any] | list[dict[str, Any]], *args: str) -> list[str]:
    """`check --format json --record` of ``transfer`` (one or a list, one file) into ``db``:
    the verdicts."""
    name = transfer["id"] if isinstance(transfer, dict) else "many"
    path = db.with_name(f"{name}-{len(list(db.parent.iterdir()))}.yaml")
    path.write_text(yaml.safe_dump(transfer, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [EXE, "check", "--format", "json", "--record", "--audit-db", str(db), *args, str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 3, 4), result.stderr
    body = json.loads(result.stdout)
    return [d["verdict"] for d in body["decisions"]] if "decisions" in body else [body["verdict"]]


# --- a repeated id ---------------------------------------------------------------------


def test_a_second_transfer_under_a_used_id_is_counted(tmp_path: Path) -> None:
    """Two transfers of 60,000 different people each (populations batch-1 and batch-2, in
    March and June) under one id are 120,000 in a year (2024 Provisions Art 8). The ledger
    kept only the newest record of an id and a transfer left out every record of its id, so
    the second was allowed as though it were the first decided again."""
    db = tmp_path / "a.sqlite"
    assert check(db, cn("shipment", "2026-03-01", "batch-1")) == ["allow"]
    assert check(db, cn("shipment", "2026-06-01", "batch-2")) == ["restrict"]


def test_a_third_transfer_counts_both_earlier_ones_under_one_id(tmp_path: Path) -> None:
    """The newest record of an id must not hide an earlier, different one from a later
    transfer either: 40,000 + 40,000 under one id, then 40,000 under another, is 120,000."""
    db = tmp_path / "a.sqlite"
    assert check(db, cn("shipment", "2026-03-01", "a", 40000)) == ["allow"]
    assert check(db, cn("shipment", "2026-04-01", "b", 40000)) == ["allow"]
    assert check(db, cn("other", "2026-06-01", "c", 40000)) == ["restrict"]


def test_two_transfers_of_one_file_under_one_id_are_refused(tmp_path: Path) -> None:
    """One file, two different transfers with the same id: refused as bad input (exit 5,
    the line of the second named), nothing recorded."""
    db = tmp_path / "a.sqlite"
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump([cn("dup", "2026-03-01", "a"), cn("dup", "2026-06-01", "b")]), "utf-8")
    result = subprocess.run(
        [EXE, "check", "--record", "--audit-db", str(db), str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 5 and b"[1].id: duplicate transfer id 'dup'" in result.stderr
    assert not db.exists()


def test_the_same_transfer_decided_again_is_still_one_transfer(tmp_path: Path) -> None:
    """The guard: an identical description decided again is not a second transfer, on the
    command line and in the service."""
    db = tmp_path / "a.sqlite"
    for _ in range(3):
        assert check(db, cn("same", "2026-03-01", "a")) == ["allow"]

    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "s.sqlite")))
    for _ in range(3):
        outcome = service.evaluate(json.dumps(cn("same", None, "a")), "<request>", requested_by="t")
        assert outcome.decisions[0].verdict.value == "allow"


def test_the_service_counts_a_second_transfer_under_a_used_id(tmp_path: Path) -> None:
    """`serve` reads the same trail: a request reusing an id for other people is counted."""
    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite")))

    def decide(transfer: dict[str, Any]) -> str:
        outcome = service.evaluate(json.dumps(transfer), "<request>", requested_by="t")
        return outcome.decisions[0].verdict.value

    assert decide(cn("shipment", None, "batch-1")) == "allow"
    assert decide(cn("shipment", None, "batch-2")) == "restrict"
    # and the service started again on the same trail still counts both
    again = build(Settings(audit_db=str(tmp_path / "a.sqlite")))
    outcome = again.evaluate(json.dumps(cn("third", None, "batch-3", 1)), "<request>", requested_by="t")
    assert outcome.decisions[0].verdict.value == "restrict"


# --- a party's aliases -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        ({"id": "cn-vendor", "name": "Example CN Vendor"}, {"name": "Example CN Vendor"}, "restrict"),
        ({"name": "Example CN Vendor"}, {"id": "cn-vendor", "name": "example  cn vendor"}, "restrict"),
        # two stated ids are two foreign persons, whatever their names
        (
            {"id": "cn-vendor", "name": "Example CN Vendor"},
            {"id": "cn-other", "name": "Example CN Vendor"},
            "allow",
        ),
    ],
)
def test_a_recipient_named_without_its_id_is_the_same_foreign_person(
    tmp_path: Path, first: dict[str, str], second: dict[str, str], verdict: str
) -> None:
    """600 biometric identifiers to one Chinese vendor, twice in 12 months, are more than
    1,000 with the same foreign person (28 CFR 202.205(c)): the recipient keyed by its id,
    else its name, made {id, name} and {name} two persons, and both were allowed."""
    db = tmp_path / "a.sqlite"
    assert check(db, us("first", "2026-03-01", first)) == ["allow"]
    assert check(db, us("second", "2026-04-01", second)) == [verdict]


def test_an_unnamed_exporter_is_not_silently_another_exporter(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    assert check(db, cn("first", "2026-03-01", "a")) == ["allow"]
    second = cn("second", "2026-06-01", "b")
    second["exporter"] = {"ciio": False}
    again = tmp_path / "again.yaml"
    again.write_text(yaml.safe_dump(second), encoding="utf-8")
    shown = subprocess.run(
        [EXE, "check", "--format", "json", "--ledger", str(db), str(again)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    decision = json.loads(shown.stdout)["decisions"][0]
    assert decision["verdict"] == "restrict"
    assert [a["fact"] for a in decision["assumptions"]].count("exporter") == 1, decision["assumptions"]
    # and a transfer that names its exporter is not counted with another's
    named = cn("third", "2026-06-01", "c")
    named["exporter"] = {"id": "cn-other", "name": "Another CN Retailer", "ciio": False}
    assert check(db, named) == ["allow"]


def test_an_exporter_name_with_a_cyrillic_look_alike_is_the_same_exporter(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    first, second = cn("first", "2026-03-01", "a"), cn("second", "2026-06-01", "b")
    first["exporter"] = {"name": "Example CN Retailer", "ciio": False}
    second["exporter"] = {"name": "\u0415xample CN Retailer", "ciio": False}
    assert check(db, first) == ["allow"]
    assert check(db, second) == ["restrict"]


# --- a ledger that is no audit store ---------------------------------------------------


@pytest.mark.parametrize("kind", ["empty", "foreign"])
@pytest.mark.parametrize("command", ["check", "audit"])
def test_reading_a_file_that_is_no_audit_store_changes_nothing(
    kind: str, command: str, tmp_path: Path
) -> None:
    """`check --ledger FILE` and `audit list --audit-db FILE` only read: a file that is no
    audit store (an empty file, another program's SQLite database in rollback-journal
    mode) is exit 8 and left byte for byte as it was. The store switched the file to WAL
    mode before asking whether it was a store, so an empty file became a 4 KB database and
    the other program's database was left in WAL mode."""
    import sqlite3

    path = tmp_path / "ledger.sqlite"
    if kind == "empty":
        path.write_bytes(b"")
    else:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE other (x INTEGER)")
        db.commit()
        db.close()
    before = path.read_bytes()
    transfer = tmp_path / "t.yaml"
    transfer.write_text(yaml.safe_dump(cn("t", "2026-03-01")), "utf-8")
    argv = (
        ["check", "--ledger", str(path), str(transfer)]
        if command == "check"
        else ["audit", "list", "--audit-db", str(path)]
    )
    result = subprocess.run([EXE, *argv], capture_output=True, timeout=60, check=False)
    assert result.returncode == 8, result.stderr
    assert b"not a dataflow-rules audit store" in result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite", "t.yaml"]


# --- exports and reports ------------------------------------------------------------------


def _umask_000() -> None:
    import os

    os.umask(0)


def test_an_export_onto_the_audit_store_itself_is_refused(tmp_path: Path) -> None:
    """`audit export --output STORE` opened the store's own file for writing, truncating it
    before reading a row: the trail (every later decision's ledger) was gone and the export
    failed. Refused, exit 8, the store left intact."""
    db = tmp_path / "a.sqlite"
    assert check(db, cn("first", "2026-03-01")) == ["allow"]
    before = db.read_bytes()
    for target in (db, tmp_path / "link.sqlite"):
        if target != db:
            target.symlink_to(db)
        result = subprocess.run(
            [EXE, "audit", "export", "--audit-db", str(db), "--output", str(target)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 8 and b"it is the audit store itself" in result.stderr, result.stderr
        assert db.read_bytes() == before
    verify = subprocess.run([EXE, "audit", "verify", "--audit-db", str(db)], capture_output=True, timeout=60)
    assert verify.returncode == 0, verify.stdout


def test_an_audit_export_is_private_whatever_the_umask(tmp_path: Path) -> None:
    """An export holds every recorded transfer: 0600 even under umask 000 (it was 0666)."""
    db = tmp_path / "a.sqlite"
    assert check(db, cn("first", "2026-03-01")) == ["allow"]
    out = tmp_path / "export.json"
    result = subprocess.run(
        [EXE, "audit", "export", "--audit-db", str(db), "--output", str(out)],
        capture_output=True,
        timeout=60,
        check=False,
        preexec_fn=_umask_000,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_scan_reports_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """A scan report names every transfer found, its data and its reasons: each report file
    is 0600 even under umask 000 (they were 0666), with no temporary file left."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "flow.yaml").write_text(yaml.safe_dump(cn("flow", None)), "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [
            EXE,
            "scan",
            str(repo),
            "--no-progress",
            "--format",
            f"json:{out / 'r.json'}",
            "--format",
            f"sarif:{out / 'r.sarif'}",
            "--format",
            f"junit:{out / 'r.xml'}",
        ],
        capture_output=True,
        timeout=120,
        check=False,
        preexec_fn=_umask_000,
    )
    assert result.returncode in (0, 3, 4), result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.sarif", "r.xml"]
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o600}


# --- two processes counting at once --------------------------------------------------------


@pytest.mark.slow
def test_two_check_record_runs_at_once_count_each_other(tmp_path: Path) -> None:
    """Two `check --record` processes started together, one exporter's 60,000 people each
    (120,000 in a year: 2024 Provisions Art 8), each after 600 small transfers of other
    exporters so that deciding takes a while. Each read the trail before the other had
    recorded anything, and both were allowed. Under the store's counting lock
    (audit.store.counting) the second reads the first's records: one allow, one restrict,
    and the lock file is 0600."""
    files = []
    for tid, population in (("one", "a"), ("two", "b")):
        transfers = []
        for i in range(600):
            filler = cn(f"{tid}-filler-{i}", "2026-03-01", f"p{i}", 10 + i)
            filler["exporter"] = {"id": f"filler-{tid}-{i}", "ciio": False}
            transfers.append(filler)
        transfers.append(cn(tid, "2026-03-01", population))
        path = tmp_path / f"{tid}.yaml"
        path.write_text(yaml.safe_dump(transfers), "utf-8")
        files.append(path)
    db = tmp_path / "a.sqlite"
    procs = [
        subprocess.Popen(
            [EXE, "check", "-f", "json", "--record", "--audit-db", str(db), str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in files
    ]
    verdicts = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode in (0, 4), err
        verdicts.append(json.loads(out)["decisions"][-1]["verdict"])
    assert sorted(verdicts) == ["allow", "restrict"]
    assert (tmp_path / "a.sqlite.lock").stat().st_mode & 0o777 == 0o600


# --- a ledger edited behind the tool's back --------------------------------------------


def _tamper(db: Path, sql: str) -> None:
    """Edit the store as its owner could with the sqlite3 shell: the append-only triggers
    dropped first."""
    import sqlite3

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DROP TRIGGER audit_records_no_update")
    con.execute("DROP TRIGGER audit_records_no_delete")
    con.execute(sql)
    con.close()


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM audit_records WHERE seq = 1",
        "UPDATE audit_records SET body = replace(body, '\"individuals\":60000', '\"individuals\":6') WHERE seq = 1",
    ],
    ids=["record-removed", "count-edited"],
)
def test_a_ledger_with_a_broken_chain_is_an_error_not_an_undercount(sql: str, tmp_path: Path) -> None:
    """The trail's first record (60,000 people) removed, or its count edited to 6, with the
    sqlite3 shell: the chain no longer verifies (`audit verify` says so), and the ledger read
    it as it was, so the next 60,000 were allowed (120,000 in the year: 2024 Provisions
    Art 8). A ledger whose chain is broken is an audit store error (exit 8), never a
    silent undercount."""
    db = tmp_path / "a.sqlite"
    assert check(db, cn("first", "2026-03-01", "a")) == ["allow"]
    assert check(db, cn("small", "2026-03-02", "s", 10)) == ["allow"]
    _tamper(db, sql)
    path = tmp_path / "second.yaml"
    path.write_text(yaml.safe_dump(cn("second", "2026-06-01", "b")), "utf-8")
    for argv in (["--ledger", str(db)], ["--record", "--audit-db", str(db)]):
        result = subprocess.run(
            [EXE, "check", *argv, str(path)], capture_output=True, timeout=60, check=False
        )
        assert result.returncode == 8, (result.returncode, result.stdout[:300])
        assert b"record" in result.stderr and b"audit verify" in result.stderr, result.stderr


def test_a_report_to_a_device_or_through_a_link_is_written_there(tmp_path: Path) -> None:
    """The guard of private reports: `--format json:/dev/stdout` still writes to standard
    output (renaming a temporary file over it would replace the link), a full device is an
    error (exit 2), and a report path that is a link writes the file it names."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "flow.yaml").write_text(yaml.safe_dump(cn("flow", None)), "utf-8")
    real = tmp_path / "real.json"
    real.write_text("old", "utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)

    def scan(target: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [EXE, "scan", str(repo), "--no-progress", "--format", f"json:{target}"],
            capture_output=True,
            timeout=120,
            check=False,
        )

    out = scan("/dev/stdout")
    assert out.returncode in (0, 3) and json.loads(out.stdout)["kind"] == "scan"
    full = scan("/dev/full")
    assert full.returncode == 2 and b"cannot write /dev/full" in full.stderr
    assert Path("/dev/full").is_char_device()
    assert scan(str(link)).returncode in (0, 3)
    assert link.is_symlink() and json.loads(real.read_text("utf-8"))["kind"] == "scan"


# --- numbers whose value depends on the YAML version ------------------------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0100000", "number '0100000' has a leading zero, which YAML 1.1 reads as octal (32,768)"),
        ("0_100_000", "number '0_100_000' has a leading zero"),
        ("27:46:40", "number '27:46:40' is read by YAML 1.1 as base 60"),
    ],
)
def test_a_count_yaml_versions_read_differently_is_refused(
    written: str, message: str, tmp_path: Path
) -> None:
    """`individuals: 0100000` is 100,000 to its writer, to YAML 1.2 and to every spreadsheet,
    and was read as octal 32,768 (YAML 1.1), under China's 100,000 (2024 Provisions Art 8):
    allow. A count written so that YAML versions disagree is refused (exit 5, the line,
    column and field named); plain, underscored and hexadecimal numbers still read."""
    transfer = yaml.safe_dump(cn("t", "2026-12-01", individuals=123456789)).replace("123456789", written)
    path = tmp_path / "t.yaml"
    path.write_text(transfer, "utf-8")
    result = subprocess.run([EXE, "check", str(path)], capture_output=True, timeout=60, check=False)
    assert result.returncode == 5, result.stdout[:200]
    line = next(n for n, text in enumerate(transfer.splitlines(), 1) if written in text)
    assert (
        f"t.yaml:{line}:".encode() in result.stderr
        and b"data[0].individuals: " + message.encode() in result.stderr
    )
    for plain in ("100000", "100_000", "0x186A0"):
        path.write_text(transfer.replace(written, plain), "utf-8")
        ok = subprocess.run(
            [EXE, "check", "-f", "json", str(path)], capture_output=True, timeout=60, check=False
        )
        assert json.loads(ok.stdout)["verdict"] == "restrict", plain


# --- batch outputs ---------------------------------------------------------------------------


def test_a_batch_output_is_private(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(cn("t", "2026-03-01")) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [EXE, "batch", str(source), "--output", str(out), "--no-progress"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600


def test_a_batch_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(cn("t", "2026-03-01")) + "\n", "utf-8")
    result = subprocess.run(
        [EXE, "batch", str(source), "--output", "/dev/full", "--no-progress"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode not in (0, 1) and b"Traceback" not in result.stderr
    assert result.stderr.decode().strip().count("\n") == 0


# --- a .gitignore over committed transfers ----------------------------------------------------


def test_a_gitignore_does_not_hide_a_tracked_transfer_from_the_gate(tmp_path: Path) -> None:
    """A repository whose committed `.gitignore` names its own committed transfers
    (`flow.json`, `sub/`): git still tracks them (a .gitignore has no effect on tracked
    files), but scan left them out and the gate passed, exit 0, over 200,000 people's
    contact data (2024 Provisions Art 8). Tracked files are scanned; an untracked file the
    .gitignore names is still not."""
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    big = cn("big", None, individuals=200000)
    (repo / "flow.json").write_text(json.dumps(big), "utf-8")
    (repo / "sub" / "flow.yaml").write_text(yaml.safe_dump({**big, "id": "sub"}), "utf-8")
    (repo / "untracked.yaml").write_text(yaml.safe_dump({**big, "id": "untracked"}), "utf-8")
    (repo / ".gitignore").write_text("flow.json\nsub/\nuntracked.yaml\n", "utf-8")
    for argv in (["init", "-q"], ["add", "-f", "flow.json", "sub/flow.yaml", ".gitignore"]):
        subprocess.run(["git", *argv], cwd=repo, check=True, capture_output=True, timeout=60)
    result = subprocess.run(
        [EXE, "scan", str(repo), "--no-progress", "--format", "json"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 4, result.stdout[-400:]
    files = {
        str(Path(f["path"]).resolve().relative_to(repo.resolve())): f
        for f in json.loads(result.stdout)["files"]
    }
    assert files["flow.json"]["status"] == files["sub/flow.yaml"]["status"] == "recognised"
    assert "ignored by" in files["untracked.yaml"]["reason"], files["untracked.yaml"]


@pytest.mark.slow
def test_the_counting_lock_excludes_another_connection(store_url: str) -> None:  # noqa: F811
    """On SQLite and PostgreSQL, a second store object (another process's connection)
    waits for the first's counting lock: what serializes reading the ledger and recording."""
    import threading
    import time

    from dataflow_rules.audit.store import open_store

    first, second = open_store(store_url), open_store(store_url)
    held, waited = threading.Event(), []

    def other() -> None:
        held.wait(10)
        start = time.monotonic()
        with second.counting():
            waited.append(time.monotonic() - start)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        with first.counting():
            held.set()
            time.sleep(1.0)
        thread.join(20)
    finally:
        first.close()
        second.close()
    assert waited and waited[0] >= 0.8, waited


def test_a_scan_report_onto_a_scanned_file_is_refused(tmp_path: Path) -> None:
    """`scan repo --format json:repo/flow.json` replaced the restricted transfer with the
    report; the next scan found no manifest there and passed. Refused, exit 2, the file kept."""
    repo = tmp_path / "repo"
    repo.mkdir()
    flow = repo / "flow.json"
    flow.write_text(json.dumps(cn("big", None, individuals=200000)), "utf-8")
    before = flow.read_bytes()
    result = subprocess.run(
        [EXE, "scan", str(repo), "--no-progress", "--format", f"json:{flow}"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and b"it is one of the files scanned" in result.stderr, result.stderr
    assert flow.read_bytes() == before
    again = subprocess.run(
        [EXE, "scan", str(repo), "--no-progress"], capture_output=True, timeout=120, check=False
    )
    assert again.returncode == 4


# --- standard output closed --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "scan"])
def test_a_closed_standard_output_is_one_line_not_a_traceback(tmp_path: Path, command: str) -> None:
    """`check FILE >&-` crashed with an AttributeError traceback (exit 1, the code of a bug):
    a gate could not tell it from any other crash. It is one line and the usage code."""
    source = tmp_path / "flow.json"
    source.write_text(json.dumps(cn("t", "2026-03-01")), "utf-8")
    result = subprocess.run(
        ["sh", "-c", '"$0" "$1" "$2" >&-', EXE, command, str(source if command == "check" else tmp_path)],
        capture_output=False,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode() == "error: standard output is closed; nothing can be written\n"
