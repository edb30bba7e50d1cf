"""Thresholds the law counts across transfers, decided through the audit trail as ledger:
China's "cumulative since 1 January" (2024 Provisions Arts 5(4), 8) and the US rule's "at
any point in the preceding 12 months ... aggregated across covered data transactions
involving the same U.S. person and the same foreign person" (28 CFR 202.205), including the
window edges, and the service's ledger (`serve`, which decides as of the day it runs)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

EXE = shutil.which("dataflow-rules") or str(Path(sys.executable).parent / "dataflow-rules")


def cn(tid: str, day: str | None, individuals: int = 60000) -> dict[str, Any]:
    """A non-CIIO's contact data to a US company; 60,000 alone is exempt (Art 5(4))."""
    transfer: dict[str, Any] = {
        "id": tid,
        "origin": "CN",
        "destination": "US",
        "exporter": {"id": "cn-exp", "name": "Example CN Retailer", "ciio": False},
        "recipient": {"name": "Example US Co.", "type": "company", "controlled_by": "US"},
        "purpose": "marketing",
        "transaction": "vendor_agreement",
        "context": {"exporter_automotive_data_processor": False},
        "data": [{"category": "personal.contact", "individuals": individuals, "anonymised": False}],
    }
    if day is not None:
        transfer["date"] = day
    return transfer


def us(tid: str, day: str, individuals: int = 600, recipient: str = "cn-vendor") -> dict[str, Any]:
    """Biometric identifiers to a Chinese vendor; 600 alone is not bulk (more than 1,000)."""
    return {
        "id": tid,
        "origin": "US",
        "destination": "CN",
        "date": day,
        "exporter": {"id": "us-exp", "name": "Example US Co."},
        "recipient": {"id": recipient, "name": "Example CN Vendor", "type": "company", "controlled_by": "CN"},
        "purpose": "business_operations",
        "transaction": "vendor_agreement",
        "context": {"exporter_is_data_broker": False},
        "data": [{"category": "personal.biometric", "individuals": individuals, "anonymised": False}],
    }


def record(db: Path, transfer: dict[str, Any], *args: str) -> str:
    """`check --record` of one transfer into ``db``: the verdict."""
    path = db.with_name(f"{transfer['id']}.yaml")
    path.write_text(yaml.safe_dump(transfer, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [EXE, "check", "--format", "json", "--record", "--audit-db", str(db), *args, str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 3, 4), result.stderr
    verdict: str = json.loads(result.stdout)["verdict"]
    return verdict


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("2026-03-01", "2026-06-01", "restrict"),  # 120,000 in one year: Art 8
        ("2026-01-01", "2026-12-31", "restrict"),  # both edges of the same year
        ("2025-12-31", "2026-01-01", "allow"),  # a new year starts a new count
    ],
)
def test_china_counts_the_calendar_year(first: str, second: str, expected: str, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    assert record(db, cn("first", first)) == "allow"
    assert record(db, cn("second", second)) == expected


def cn_2022(tid: str, day: str, individuals: int) -> dict[str, Any]:
    """The same exporter before 22 March 2024, certified (PIPL Art 38(1)(2)) and stating
    the 2022 Measures' exporter facts and that the data is not important data: below their thresholds the certification suffices. It
    is obtained on 10 November 2022, after SAMR and CAC Announcement 2022 No. 37 (4 November
    2022) set the certification up: none could be obtained earlier."""
    transfer = cn(tid, day, individuals)
    transfer["context"] = {
        "exporter_automotive_data_processor": False,
        "exporter_processes_pi_1m": False,
        "exporter_sensitive_pi_10000_provided": False,
        # Before the 2024 Provisions nothing presumed data not important (Art 2 made it):
        # the exporter says what it identified.
        "important_data_identified": False,
    }
    transfer["safeguards"] = [{"mechanism": "cn.certification", "reference": "C-1", "obtained": "2022-11-10"}]
    return transfer


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("2023-01-01", "2024-03-21", "restrict"),  # 100,000 since 1 January of the previous year
        ("2022-12-31", "2024-01-01", "allow"),  # two calendar years before: outside the count
        ("2023-12-31", "2024-03-22", "allow"),  # the 2024 Provisions count the current year only
    ],
)
def test_china_before_2024_counts_since_1_january_of_the_previous_year(
    first: str, second: str, expected: str, tmp_path: Path
) -> None:
    """2022 Measures Art 4(3): 60,000 and then 40,000 individuals, recorded through the audit
    trail and each decided as of its own date."""
    db = tmp_path / "a.sqlite"
    assert record(db, cn_2022("first", first, 60000), "--as-of", first) == "allow"
    assert record(db, cn_2022("second", second, 40000), "--as-of", second) == expected


def test_china_deciding_a_transfer_again_is_not_a_second_transfer(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    assert record(db, cn("same", "2026-03-01")) == "allow"
    assert record(db, cn("same", "2026-03-01")) == "allow"
    assert record(db, cn("other", "2026-03-01")) == "restrict"


@pytest.mark.parametrize(
    ("first", "second", "recipient", "expected"),
    [
        ("2025-07-01", "2026-06-01", "cn-vendor", "restrict"),  # 1,200 within 12 months
        ("2025-05-01", "2026-06-01", "cn-vendor", "allow"),  # the first is over 12 months back
        ("2026-03-01", "2026-06-01", "other-vendor", "allow"),  # another foreign person
    ],
)
def test_us_counts_twelve_months_per_counterparty(
    first: str, second: str, recipient: str, expected: str, tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite"
    assert record(db, us("first", first)) == "allow"
    assert record(db, us("second", second, recipient=recipient)) == expected


def test_a_later_transfer_re_decided_counts_a_back_dated_record(tmp_path: Path) -> None:
    """A transfer recorded late with its earlier date does not change its own allow (it was
    under 100,000 on its day), but the later transfer decided again counts it."""
    db = tmp_path / "a.sqlite"
    assert record(db, cn("later", "2026-06-02")) == "allow"
    assert record(db, cn("earlier", "2026-06-01")) == "allow"
    assert record(db, cn("later", "2026-06-02")) == "restrict"


def test_the_service_counts_a_future_dated_transfer_on_the_day_it_decided_it(tmp_path: Path) -> None:
    """`serve` decides as of the day it runs, whatever a transfer's own date says: a transfer
    it let go today counts today. A future date on one transfer must not take it out of
    the next one's count (120,000 individuals leave in one year: 2024 Provisions Art 8)."""
    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite")))
    today = dt.date.today()
    later = dt.date(today.year + 1, 6, 1).isoformat()

    def decide(transfer: dict[str, Any], as_of: dt.date | None = None) -> str:
        outcome = service.evaluate(json.dumps(transfer), "<request>", as_of=as_of, requested_by="t")
        return outcome.decisions[0].verdict.value

    assert decide(cn("future-dated", later)) == "allow"
    assert decide(cn("today", None)) == "restrict"


def test_the_service_counts_a_back_dated_decision_on_its_as_of_day(tmp_path: Path) -> None:
    """A decision asked for an earlier day (?as_of=) is recorded as of that day and counted
    there, as the decisions after it count it."""
    from dataflow_rules.server.run import build
    from dataflow_rules.server.settings import Settings

    service = build(Settings(audit_db=str(tmp_path / "a.sqlite")))
    today = dt.date.today()
    outcome = service.evaluate(
        json.dumps(cn("then", None)), "<request>", as_of=today - dt.timedelta(days=1), requested_by="t"
    )
    assert outcome.decisions[0].verdict.value == "allow" and outcome.decisions[0].retrospective
    second = service.evaluate(json.dumps(cn("now", None)), "<request>", requested_by="t")
    assert second.decisions[0].verdict.value == "restrict"


def test_check_counts_a_transfer_of_the_same_run_on_its_as_of_day(tmp_path: Path) -> None:
    """`check --as-of DAY --record` decides every transfer as of DAY: one dated next year,
    let go as of DAY, counts on DAY for the next transfer of the same run (120,000 in a
    year: 2024 Provisions Art 8), never both allowed."""
    db = tmp_path / "a.sqlite"
    files = []
    for transfer in (cn("dated-next-year", "2027-06-01"), cn("undated", None)):
        path = tmp_path / f"{transfer['id']}.yaml"
        path.write_text(yaml.safe_dump(transfer, sort_keys=False), encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        [EXE, "check", "-f", "json", "--as-of", "2026-12-07", "--record", "--audit-db", str(db), *files],
        capture_output=True,
        timeout=60,
        check=False,
    )
    verdicts = [d["verdict"] for d in json.loads(result.stdout)["decisions"]]
    assert verdicts == ["allow", "restrict"] and result.returncode == 4


def test_an_exporter_is_one_party_however_its_name_is_cased(tmp_path: Path) -> None:
    """60,000 people under "Example CN Retailer" and 60,000 under "example  cn retailer" are
    one exporter's 120,000 (2024 Provisions Art 8): a change of case must not split the count."""
    db = tmp_path / "a.sqlite"
    first, second = cn("first", "2026-03-01"), cn("second", "2026-06-01")
    for transfer, name in ((first, "Example CN Retailer"), (second, "example  cn retailer")):
        transfer["exporter"] = {"name": name, "ciio": False}
    assert record(db, first) == "allow"
    assert record(db, second) == "restrict"
