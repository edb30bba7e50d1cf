"""SARIF results carry what the transfer's decision assumed (issue 19, item 4): in the
message, which code scanning shows, and as a property list a tool can read."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from .helpers import EXE, ROOT


def _sarif(tmp_path: Path, text: str) -> dict[str, object]:
    (tmp_path / "t.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [EXE, "scan", "--no-progress", "--format", "sarif", "--as-of", "2026-03-02", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 3, 4, 5), done.stderr
    log: dict[str, object] = json.loads(done.stdout)
    return log


def _decided(log: dict[str, object]) -> list[dict[str, Any]]:
    """The results of decided findings (the retrospective --as-of is an input-error result)."""
    results: list[dict[str, Any]] = log["runs"][0]["results"]  # type: ignore[index]
    return [r for r in results if r["ruleId"] != "input-error"]


def test_a_presumed_fact_is_in_each_result(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "cn-us-pi-100000.yaml").read_text(encoding="utf-8")
    log = _sarif(tmp_path, text.replace("    anonymised: false\n", ""))
    results = _decided(log)
    assert results
    for result in results:
        assumed = result["properties"]["assumptions"]
        assert {"fact": "data[0].anonymised", "value": False}.items() <= next(
            a for a in assumed if a["fact"] == "data[0].anonymised"
        ).items()
        assert (
            "Assumed: " in result["message"]["text"]
            and "data[0].anonymised = false" in result["message"]["text"]
        )


def test_nothing_assumed_nothing_added(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "cn-us-pi-100000.yaml").read_text(encoding="utf-8")
    log = _sarif(tmp_path, text)
    for result in _decided(log):
        listed = [a["fact"] for a in result["properties"].get("assumptions", [])]
        assert "data[0].anonymised" not in listed
