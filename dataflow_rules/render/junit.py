"""JUnit XML: one test suite per file, one test case per transfer.

A transfer's test case fails when it has an open finding that ``--fail-on`` counts; its
other findings (waived, or below the threshold) are listed in ``system-out``, so they stay
visible. A file that could not be read is a test case with an ``error``, as is each input
error outside the scanned files (waivers, baseline). A file not scanned (not a manifest,
excluded, an ODCS version not read, ...), or a manifest that yields no transfer (no
countries), is a ``skipped`` test case with the reason, so a test report shows what the
gate did not look at. Times are 0: the report is deterministic.
"""

from __future__ import annotations

import io
import itertools
from typing import TextIO
from xml.etree import ElementTree as ET

from ..models.scan import FileResult, Finding, Problem, ScanReport, TransferResult

_CONFIG_SUITE = "dataflow-rules configuration"


def _line(x: Finding) -> str:
    status = " [waived]" if x.waived else ""
    text = f"{x.verdict.value} {x.rule_id} at {x.place}{status}: {x.message}"
    if x.waiver is not None:
        w = x.waiver
        text += f" (waived by {w.approved_by} until {w.expires.isoformat()}, {w.ticket}: {w.reason})"
    return text


def _case(suite: ET.Element, t: TransferResult, result: ScanReport) -> bool:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": t.place.file,
            "name": f"{t.id} ({t.origin} -> {t.destination})",
            "file": t.place.file,
            "line": str(t.place.line or 0),
            "time": "0",
        },
    )
    failing = t.failing(result.fail_on)
    if failing:
        worst = max(failing, key=lambda x: x.verdict.rank).verdict
        failure = ET.SubElement(
            case,
            "failure",
            {
                "type": worst.value,
                "message": f"{t.id}: {worst.value}; {len(failing)} finding(s) fail --fail-on {result.fail_on.value}",
            },
        )
        failure.text = "\n".join(_line(x) for x in failing)
    others = [x for x in t.findings if x not in failing]
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(_line(x) for x in others)
    return bool(failing)


def _error_case(suite: ET.Element, problem: Problem, name: str) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": problem.place.file,
            "name": name,
            "file": problem.place.file,
            "line": str(problem.place.line or 0),
            "time": "0",
        },
    )
    error = ET.SubElement(case, "error", {"type": "input-error", "message": problem.one_line()})
    error.text = problem.one_line()


def _skipped_case(suite: ET.Element, path: str, reason: str) -> None:
    case = ET.SubElement(
        suite, "testcase", {"classname": path, "name": f"{path} (not scanned)", "file": path, "time": "0"}
    )
    ET.SubElement(case, "skipped", {"message": reason})


def _counts(element: ET.Element, tests: int, failures: int, errors: int, skipped: int = 0) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))
    element.set("time", "0")


def _suite(f: FileResult, result: ScanReport) -> tuple[ET.Element | None, list[int]]:
    """A file's test suite, and its tests, failures, errors and skipped cases (None: the
    file gets no suite, a sidecar)."""
    if not f.transfers and f.error is None:
        if f.status == "skipped" or (f.status == "recognised" and f.kind != "sidecar"):
            suite = ET.Element("testsuite", {"name": f.path})
            _skipped_case(suite, f.path, f.reason or "no transfer in it")
            _counts(suite, 1, 0, 0, 1)
            return suite, [1, 0, 0, 1]
        return None, [0, 0, 0, 0]
    suite = ET.Element("testsuite", {"name": f.path})
    tests = failures = errors = 0
    if f.error is not None:
        _error_case(suite, f.error, f"{f.path} (input error)")
        tests, errors = 1, 1
    for t in f.transfers:
        tests += 1
        failures += _case(suite, t, result)
    _counts(suite, tests, failures, errors)
    return suite, [tests, failures, errors, 0]


def _config_suite(result: ScanReport) -> ET.Element:
    suite = ET.Element("testsuite", {"name": _CONFIG_SUITE})
    for problem in result.errors:
        _error_case(suite, problem, f"{problem.place.file} (input error)")
    _counts(suite, len(result.errors), 0, len(result.errors))
    return suite


def render(result: ScanReport) -> str:
    out = io.StringIO()
    write(result, out)
    return out.getvalue()


def write(result: ScanReport, out: TextIO) -> None:
    """The report, a suite at a time: a first reading of the files adds up the totals the
    root element carries, a second writes each file's suite as it is made. The bytes are
    those of the whole tree indented and serialised at once."""
    total = [0, 0, 0, 0]
    for f in result.each_file():
        total = [a + b for a, b in zip(total, _suite(f, result)[1], strict=True)]
    if result.errors:
        n = len(result.errors)
        total = [total[0] + n, total[1], total[2] + n, total[3]]
    root = ET.Element("testsuites", {"name": "dataflow-rules scan"})
    _counts(root, *total)
    empty = ET.tostring(root, encoding="unicode")  # <testsuites ... />
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    suites = (s for s, _ in (_suite(f, result) for f in result.each_file()) if s is not None)
    config = [_config_suite(result)] if result.errors else []
    opened = False
    for suite in itertools.chain(suites, config):
        out.write((empty[: -len(" />")] + ">" if not opened else "") + "\n  ")
        opened = True
        ET.indent(suite, level=1)
        out.write(ET.tostring(suite, encoding="unicode"))
    out.write("\n</testsuites>\n" if opened else empty + "\n")
