"""Attacks of round 10 on the shipped tool: each is a way an adversarial user could get a
transfer the law restricts past a gate or through a count, through real files and the
real scan, check and service paths. A test that fails on the tool today and whose fix lies
in another engineer's file is a strict xfail naming the tool's answer and the file to fix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from dataflow_rules.scan.runner import ScanOptions, scan

from .law_cases.test_ledger_cases import cn, record
from .scan.helpers import PINNED_POLICIES, scan_file

# --- scan: a transfer the strict reader refuses must fail the gate --------------------

# Genomic data on 101 US persons to a Chinese vendor: prohibited (28 CFR 202.303,
# 202.205(a)); each key written as YAML's explicit key (`? origin`), which a reader of the
# raw text does not see as `origin:`.
EXPLICIT_KEYS = """\
? id
: atk
? origin
: US
? destination
: CN
? date
: 2026-03-02
? data
: [{category: personal.omic.genomic, individuals: 101, anonymised: false}]
note: x
note: y
"""
# The same, its keys escaped in double quotes (`"\\x64ata"` is `data`).
ESCAPED_KEYS = """\
"\\x69d": atk
"\\x6frigin": US
"\\x64estination": CN
"\\x64ate": 2026-03-02
"\\x64ata": [{category: personal.omic.genomic, individuals: 101, anonymised: false}]
note: x
note: y
"""


def _indented(block: str, prefix: str, indent: str) -> str:
    lines = block.splitlines()
    return "\n".join([prefix + lines[0], *(indent + line for line in lines[1:])]) + "\n"


HIDDEN = {
    # the seventeenth element of a list: the lenient look at a refused file read sixteen
    "explicit_keys_17th_element": "- 1\n" * 16 + _indented(EXPLICIT_KEYS, "- ", "  "),
    "escaped_keys_17th_element": "- 1\n" * 16 + _indented(ESCAPED_KEYS, "- ", "  "),
    # three levels down: the lenient look read two
    "explicit_keys_nested": "pipeline:\n  steps:\n" + _indented(EXPLICIT_KEYS, "    - ", "      "),
    "escaped_keys_nested": "pipeline:\n  steps:\n" + _indented(ESCAPED_KEYS, "    - ", "      "),
    # behind a merge key of an anchored mapping, a duplicate key making the file unreadable
    "merged_escaped_keys": "base: &t\n"
    + _indented(ESCAPED_KEYS.replace("note: x\nnote: y\n", ""), "  ", "  ")
    + "steps:\n  - {<<: *t, note: x, note: y}\n",
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_a_transfer_in_a_refused_file_fails_the_gate(name: str, tmp_path: Path) -> None:
    """A file the strict reader refuses (a duplicate key) that holds a transfer is an input
    error, never "not a manifest": the lenient look at it read a list's first sixteen
    elements and two levels of mappings, and the raw text was searched for ``data:`` and
    ``origin:`` only, so a prohibited transfer written with explicit (``? data``) or escaped
    (``"\\x64ata"``) keys, seventeenth in a list or nested, was skipped and the scan
    passed (exit 0)."""
    path = tmp_path / "flow.yaml"
    path.write_text(HIDDEN[name], encoding="utf-8")
    result = scan_file(path, tmp_path)
    (file,) = result.files
    assert (result.exit_code(), file.status) == (5, "error"), file.reason
    assert file.error is not None and "it cannot be skipped" in file.error.one_line()


def test_a_refused_file_without_a_transfer_is_still_skipped(tmp_path: Path) -> None:
    """The guard: a refused file (a duplicate key) whose mappings hold no transfer's fields
    (a Kubernetes ConfigMap's `data`, the seventeenth of a list) is still skipped."""
    text = "- 1\n" * 16 + "- {kind: ConfigMap, data: {region: x}, a: 1, a: 2}\n"
    path = tmp_path / "cm.yaml"
    path.write_text(text, encoding="utf-8")
    result = scan(ScanOptions(paths=[path], cwd=tmp_path, policies=PINNED_POLICIES))
    (file,) = result.files
    assert (result.exit_code(), file.status) == (0, "skipped")


def test_a_duplicate_country_key_does_not_hide_the_scalar_one(tmp_path: Path) -> None:
    """Of two `origin` keys, the first a country and the second a list, YAML's reader keeps
    the second; another reader keeps the first. The gate takes the transfer as shown."""
    text = "- 1\n" * 16 + _indented(
        ESCAPED_KEYS.replace('"\\x6frigin": US', '"\\x6frigin": US\n"\\x6frigin": [a]'), "- ", "  "
    )
    path = tmp_path / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    result = scan(ScanOptions(paths=[path], cwd=tmp_path, policies=PINNED_POLICIES))
    (file,) = result.files
    assert (result.exit_code(), file.status) == (5, "error")


PLAIN = """\
id: atk
origin: US
destination: CN
date: 2026-03-02
data:
  - category: personal.omic.genomic
    individuals: 101
    anonymised: false
"""
OLD_CONTRACT = "kind: DataContract\napiVersion: v1.0.0\nid: old\n"


@pytest.mark.parametrize(
    "text",
    [
        OLD_CONTRACT + "---\n" + PLAIN,  # a transfer document after an ODCS v1 contract
        OLD_CONTRACT + "flows:\n" + _indented(PLAIN, "  - ", "    "),  # inside the contract
    ],
    ids=["next_document", "inside"],
)
def test_a_transfer_beside_an_old_odcs_contract_fails_the_gate(text: str, tmp_path: Path) -> None:
    """A file whose first document is an ODCS contract of a version not read (v1) was
    skipped whole ("only v2 and v3 contracts are read") without a look at what else it
    holds: a prohibited transfer in the next document, or inside the contract, passed the
    gate (exit 0)."""
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    result = scan(ScanOptions(paths=[path], cwd=tmp_path, policies=PINNED_POLICIES))
    (file,) = result.files
    assert (result.exit_code(), file.status) == (5, "error"), file.reason


def test_an_old_odcs_contract_alone_is_still_skipped_as_one(tmp_path: Path) -> None:
    """The guard: the contract alone is skipped, naming its version."""
    path = tmp_path / "contract.yaml"
    path.write_text(OLD_CONTRACT, encoding="utf-8")
    result = scan(ScanOptions(paths=[path], cwd=tmp_path, policies=PINNED_POLICIES))
    (file,) = result.files
    assert (result.exit_code(), file.status, file.reason) == (
        0,
        "skipped",
        "ODCS v1.0.0: only v2 and v3 contracts are read",
    )


# --- the ledger: a transfer recorded for a later day --------------------------------------


def _later_this_year() -> tuple[str, str]:
    """Today, and a later day of this calendar year (China counts since 1 January): the
    later day is decided first, before it comes, as a planned transfer is."""
    today = dt.date.today()
    later = min(today + dt.timedelta(days=13), dt.date(today.year, 12, 31))
    if later == today:
        pytest.skip("31 December: no later day of this calendar year")
    return today.isoformat(), later.isoformat()


def test_a_transfer_recorded_for_a_later_day_counts_with_an_earlier_one(tmp_path: Path) -> None:
    """`check --record` today of 60,000 people's contact data dated a later day of this year
    (allow: alone exempt, 2024 Provisions Art 5(4)), then of another 60,000 dated today:
    120,000 in one calendar year need a standard contract (Art 8). The second was allowed
    too: the first counted only on its own later day, after today's window ends. A decision
    made today lets the transfer go from today, so it counts from today as well
    (audit/ledger.py _made_on). A transfer dated earlier than one already recorded, both
    decided after their days, still decides on its own day (test_ledger_cases)."""
    db = tmp_path / "a.sqlite"
    today, later = _later_this_year()
    assert record(db, cn("planned", later)) == "allow"
    assert record(db, cn("now", today)) == "restrict"


def test_the_service_counts_a_transfer_it_decided_for_a_later_day(tmp_path: Path) -> None:
    """The same through `serve`: a decider asks for a decision as of a later day (`as_of`)
    first, then for one as of an earlier day of the same year, and both were allowed."""
    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite")))

    def decide(tid: str, as_of: dt.date) -> str:
        outcome = service.evaluate(json.dumps(cn(tid, None)), "<request>", as_of=as_of, requested_by="t")
        return outcome.decisions[0].verdict.value

    today, later = _later_this_year()
    assert decide("planned", dt.date.fromisoformat(later)) == "allow"
    assert decide("now", dt.date.fromisoformat(today)) == "restrict"


# --- the ledger: a transfer decided again as of another day ----------------------------


def test_deciding_a_transfer_again_as_of_another_day_does_not_move_its_count(tmp_path: Path) -> None:
    """60,000 people's contact data let go as of 7 December 2026 (allow, Art 5(4)), then the
    same description decided again as of 1 June 2025 (`check --record --as-of`, a
    retrospective look), then another 60,000 as of 7 December: 120,000 in 2026 need a
    standard contract (2024 Provisions Art 8). Only the newest record of a description
    counted, on its own day, so the look back moved the first 60,000 out of 2026 and the
    second was allowed too."""
    db = tmp_path / "a.sqlite"
    assert record(db, cn("feed", "2026-12-07")) == "allow"
    assert record(db, cn("feed", "2026-12-07"), "--as-of", "2025-06-01") == "allow"
    assert record(db, cn("other", "2026-12-07")) == "restrict"


def test_the_service_keeps_counting_a_transfer_decided_again_as_of_another_day(tmp_path: Path) -> None:
    """The same through `serve` (`as_of` of a request), and the guard: the transfer decided
    on two days of one window still counts once there: 60,000 and 30,000 are 90,000
    (allow), and another 10,000 make 100,000 (restrict), not 40,000 (allow, had the look
    at 2027 moved the first out of 2026)."""
    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite")))

    def decide(tid: str, as_of: dt.date, individuals: int = 60000) -> str:
        transfer = cn(tid, None, individuals)
        outcome = service.evaluate(json.dumps(transfer), "<request>", as_of=as_of, requested_by="t")
        return outcome.decisions[0].verdict.value

    assert decide("feed", dt.date(2026, 6, 1)) == "allow"
    assert decide("feed", dt.date(2026, 6, 2)) == "allow"  # decided again, same year: once
    assert decide("feed", dt.date(2027, 6, 1)) == "allow"  # and again, another year
    assert decide("small", dt.date(2026, 12, 7), 30000) == "allow"  # 60,000 + 30,000
    assert decide("other", dt.date(2026, 12, 7), 10000) == "restrict"  # + 10,000: 100,000


# --- bad input that crashed -------------------------------------------------------------


def test_a_safeguard_obtained_near_the_calendars_end_is_decided_not_a_crash(tmp_path: Path) -> None:
    """A CAC security assessment (valid three years, as the taxonomy's
    `validity_years` says) stated obtained
    on 1 June 9998: its third anniversary is past the calendar's last year, and `check`
    crashed with a traceback (exit 1; `scan` and the service with it) instead of deciding.
    Obtained after the as-of day, it is not in place: 2,000,000 people's data is restrict."""
    from .law_cases.test_attacks import CN_US, check

    path = tmp_path / "sg.yaml"
    text = CN_US.replace("individuals: 200000", "individuals: 2000000")
    path.write_text(
        text + "safeguards:\n  - {mechanism: cn.security_assessment, reference: X-1, obtained: 9998-06-01}\n",
        encoding="utf-8",
    )
    assert check(path) == (4, "restrict")


# --- the service: least privilege -------------------------------------------------------

# Customer contact data from Brazil, whose outbound rules no shipped catalogue holds, to
# China: review by default (the origin's rules were not checked).
BR_CN = "id: br-cn\norigin: BR\ndestination: CN\ndata:\n  - {category: personal.contact, individuals: 5000}\n"


def test_a_decider_cannot_lower_the_services_unlisted_verdict(tmp_path: Path) -> None:
    """`POST /api/decisions?unlisted=allow` from a token holding only the decider role
    turned that review into a recorded allow on a service started with the default: the
    operator's gate, lowered by a query parameter. Now 403 and nothing recorded; asking for
    review is still the decider's to ask, and an admin may still ask for allow."""
    from .server.conftest import Server

    server = Server(audit_db=tmp_path / "a.sqlite")
    try:
        decider = server.make_token("only-decider", ["decider"])
        admin = server.make_token("only-admin", ["decider", "admin"])

        def post(token: str, unlisted: str | None) -> tuple[int, str | None]:
            with server.client(token) as client:
                response = client.post(
                    "/api/decisions",
                    content=BR_CN,
                    headers={"content-type": "application/yaml"},
                    params={"unlisted": unlisted} if unlisted else {},
                )
            return response.status_code, response.json().get("verdict")

        assert post(decider, None) == (200, "review")
        assert post(decider, "allow") == (403, None)
        assert post(decider, "review") == (200, "review")
        assert post(admin, "allow") == (200, "allow")
        with server.client() as client:
            verdicts = [r["verdict"] for r in client.get("/api/decisions").json()["records"]]
        assert verdicts == ["allow", "review", "review"]  # newest first: nothing of the 403
    finally:
        assert server.stop(), "".join(server.stderr)


# --- scan: a waiver reaching a second transfer under the waived id ---------------------

WAIVED = """\
waivers:
  - transfer: us-cn-genomic-101
    entry: us.dsp.omic.coc.genomic
    approved_by: Jane Doe
    reason: accepted for the pilot study of 101 people
    expires: 2099-01-01
    ticket: SEC-1
"""


def _waived_scan(tmp_path: Path, copies: dict[str, int]) -> tuple[int, list[str]]:
    from .conftest import EXAMPLES

    plain = (EXAMPLES / "us-cn-genomic-101.yaml").read_text(encoding="utf-8")
    for name, individuals in copies.items():
        (tmp_path / name).write_text(
            plain.replace("individuals: 101", f"individuals: {individuals}"), "utf-8"
        )
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVED, encoding="utf-8")
    result = scan(
        ScanOptions(
            paths=[tmp_path / name for name in copies],
            cwd=tmp_path,
            waivers=waivers,
            today=dt.date(2026, 3, 2),
            decided_on=dt.date(2026, 3, 2),
            as_of=dt.date(2026, 3, 2),
            skip_checks=["us.dsp.omic.coc.omic"],
        )
    )
    return result.exit_code(), [e.message for e in result.errors]


def test_a_waiver_naming_no_file_does_not_reach_a_second_transfer_under_its_id(tmp_path: Path) -> None:
    """A waiver approved for the genomic data of 101 people (transfer `us-cn-genomic-101`,
    no `file:`) also waived a second manifest under the same id with 900,000 people, and the
    gate passed (exit 0): a copied id was enough to carry a waiver to a transfer no one
    approved. A waiver naming no file that meets transfers of two files is now an input
    error (exit 5) asking for its `file`."""
    code, errors = _waived_scan(tmp_path, {"a.yaml": 101, "b.yaml": 900000})
    assert code == 5 and any("a.yaml" in e and "b.yaml" in e and "file" in e for e in errors), errors


def test_a_waiver_naming_no_file_still_waives_its_one_transfer(tmp_path: Path) -> None:
    """The guard: the one manifest under the waived id is waived, and the gate passes."""
    assert _waived_scan(tmp_path, {"a.yaml": 101}) == (0, [])


def test_a_link_to_a_directory_is_reported_not_silently_left_out(tmp_path: Path) -> None:
    """A directory reached through a symbolic link is not walked (documented), but it was
    in no report either: a manifest behind `flows -> ../elsewhere` was neither decided nor
    listed as not scanned. Now it is listed, with where the link leads."""
    from dataflow_rules.scan.walk import Walker

    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "elsewhere" / "flow.yaml").write_text(PLAIN, encoding="utf-8")
    (tmp_path / "repo" / "flows").symlink_to(tmp_path / "elsewhere")
    walk = Walker(cwd=tmp_path / "repo").walk([tmp_path / "repo"])
    assert [(s.display, s.reason) for s in walk.skipped] == [
        (
            "flows/",
            f"symbolic link to a directory (to {tmp_path / 'elsewhere'}): not followed; scan its target",
        )
    ]


def test_a_baseline_file_holding_a_transfer_fails_the_gate(tmp_path: Path) -> None:
    """The scan skips its own baseline file ("the scan's own config, waiver or baseline
    file"), and a baseline read any object with `baseline_version` and `findings`: a
    prohibited transfer written into the baseline file beside them was decided by no one,
    and the gate passed. A baseline with any other field is an input error."""
    flow = tmp_path / "flow.json"
    body = {"baseline_version": 1, "findings": [], **yaml.safe_load(PLAIN)}
    body["date"] = str(body["date"])
    flow.write_text(json.dumps(body), encoding="utf-8")
    result = scan(ScanOptions(paths=[tmp_path], cwd=tmp_path, baseline=flow, policies=PINNED_POLICIES))
    assert result.exit_code() == 5
    assert any("unknown field" in e.message for e in result.errors), result.errors


# --- the pre-commit hook ------------------------------------------------------------------


def test_the_pre_commit_hook_is_handed_every_file_the_scan_reads(tmp_path: Path) -> None:
    """`dataflow-rules-scan` chose its files by pre-commit's `types_or: [yaml, json]`, and
    `identify` tags `*.ndjson` and `*.jsonl` with neither: a changed OpenLineage event log
    (or JSON Lines manifest) showing a prohibited flow was never handed to the scan, and the
    commit passed. The hook is now handed the files the scan's default `include` reads."""
    from types import SimpleNamespace

    from pre_commit.clientlib import load_manifest
    from pre_commit.commands.run import Classifier

    from dataflow_rules.scan.walk import DEFAULT_INCLUDE

    from .conftest import ROOT

    (hook,) = (
        h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml")) if h["id"] == "dataflow-rules-scan"
    )
    names = ["flow.yaml", "FLOW.YML", "contract.json", "events.ndjson", "events.jsonl", "notes.md", "x.py"]
    for name in names:
        (tmp_path / name).write_text("{}\n", encoding="utf-8")
    keys = ("files", "exclude", "types", "types_or", "exclude_types")
    handed = Classifier.from_config([str(tmp_path / n) for n in names], "", "^$").filenames_for_hook(
        SimpleNamespace(**{k: hook[k] for k in keys})  # type: ignore[arg-type]
    )
    assert sorted(Path(f).name for f in handed) == sorted(
        n for n in names if any(Path(n.lower()).match(p) for p in DEFAULT_INCLUDE)
    )


def test_two_transfers_under_one_id_each_decided_on_two_days_are_other_people(tmp_path: Path) -> None:
    """The guard of the fix above: each description decided on two days counts as its own
    people, not as those of another description under the same id. 40,000 people and
    40,001 others under one id, each decided again as of a later day, and then 30,000 more:
    110,001 in 2026 (restrict), not 70,001."""
    db = tmp_path / "a.sqlite"
    for individuals, days in ((40000, ("2026-03-01", "2026-03-02")), (40001, ("2026-04-01", "2026-04-02"))):
        for day in days:
            assert record(db, cn("shipment", "2026-03-01", individuals), "--as-of", day) == "allow"
    assert record(db, cn("more", "2026-06-01", 30000)) == "restrict"
