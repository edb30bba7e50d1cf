"""A gate fails closed: a file that shows a transfer it could not decide fails the scan.

Issue 19, item 7: `scan` used to report such files as "not scanned" and exit 0, so a
restricted transfer passed the gate behind one odd element or one bad byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataflow_rules.scan import gate

from .helpers import PINNED_POLICIES, scan_file

TRANSFER = {
    "id": "crm-export",
    "origin": "CN",
    "destination": "US",
    "date": "2026-03-02",
    "exporter": {"ciio": False},
    "purpose": "business_operations",
    "data": [{"category": "personal.contact", "individuals": 150000, "anonymised": False}],
}
BLOCK = """\
id: crm-export
origin: CN
destination: US
date: 2026-03-02
exporter: {ciio: false}
purpose: business_operations
data:
  - category: personal.contact
    individuals: 150000
    anonymised: false
"""


def _scan(tmp_path: Path, name: str, text: str) -> tuple[int, str, str | None]:
    path = tmp_path / name
    path.write_text(text)
    result = scan_file(path, tmp_path)
    (file,) = result.files
    return result.exit_code(), file.status, file.error.one_line() if file.error else None


def test_the_plain_transfer_is_restricted(tmp_path: Path) -> None:
    """The control: the same transfer, written plainly, fails the gate with restrict."""
    code, status, _ = _scan(tmp_path, "crm.yaml", BLOCK)
    assert (code, status) == (4, "recognised")


def test_a_list_whose_first_element_is_1_fails_the_gate(tmp_path: Path) -> None:
    text = "- 1\n- " + BLOCK.replace("\n", "\n  ").rstrip() + "\n"
    code, status, error = _scan(tmp_path, "crm.yaml", text)
    assert (code, status) == (5, "error")
    assert error is not None and error.startswith("crm.yaml:1:")


def test_a_json_list_whose_first_element_is_1_fails_the_gate(tmp_path: Path) -> None:
    code, status, error = _scan(tmp_path, "crm.json", json.dumps([1, TRANSFER], indent=1))
    assert (code, status) == (5, "error")
    assert error is not None and error.startswith("crm.json:")


def test_json_with_one_raw_control_character_fails_the_gate(tmp_path: Path) -> None:
    text = json.dumps(TRANSFER, indent=2).replace('"crm-export"', '"crm\x01export"')
    code, status, error = _scan(tmp_path, "crm.json", text)
    assert (code, status) == (5, "error")
    assert error is not None and error.startswith("crm.json:")
    assert "transfer's fields" in error and "line 3" in error  # "origin" is on line 3


def test_minified_json_with_a_control_character_fails_the_gate(tmp_path: Path) -> None:
    text = json.dumps(TRANSFER).replace('"CN"', '"C\x07N"')
    code, status, _ = _scan(tmp_path, "crm.json", text)
    assert (code, status) == (5, "error")


def test_a_transfer_nested_under_another_key_fails_the_gate(tmp_path: Path) -> None:
    """Readable but not a manifest this tool reads: the transfer inside is not decided."""
    text = "pipeline:\n  steps:\n    - " + BLOCK.replace("\n", "\n      ").rstrip() + "\n"
    code, status, error = _scan(tmp_path, "pipeline.yaml", text)
    assert (code, status) == (5, "error")
    assert error is not None and error.startswith("pipeline.yaml:3:") and "pipeline.steps[0]" in error


def test_a_transfer_behind_a_yaml_tag_in_a_cloudformation_like_file_fails(tmp_path: Path) -> None:
    text = 'Resources:\n  X: !Sub "y"\nflow:\n  ' + BLOCK.replace("\n", "\n  ").rstrip() + "\n"
    code, status, error = _scan(tmp_path, "stack.yaml", text)
    assert (code, status) == (5, "error")
    assert error is not None and "YAML tag !Sub" in error


@pytest.mark.parametrize(
    "text",
    [
        "name: a\nname: b\n",  # refused by the strict reader, no transfer keys
        # Readable, with `data` and `origin` keys, but no one mapping holds a transfer's fields.
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  origin: x\n",
    ],
)
def test_files_without_a_transfer_are_still_skipped(tmp_path: Path, text: str) -> None:
    code, status, _ = _scan(tmp_path, "other.yaml", text)
    assert (code, status) == (0, "skipped")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"origin": "CN", "data": []}', 1),
        ("x: 1\n  destination: US\ndata: []\n", 2),
        ("{a: 1, origin: CN, data: []}", 1),
        ('"data": 1\n', None),
        ("origins: CN\ndata: 1\n", None),
    ],
)
def test_raw_line_finds_keys_in_every_syntax(text: str, line: int | None) -> None:
    assert gate.raw_line(text) == line


def test_an_odcs_tag_that_is_not_a_string_is_an_error_not_no_label(tmp_path: Path) -> None:
    """A tag the tool cannot read used to be skipped, so a contract could look all-public."""
    text = (
        "apiVersion: v3.0.2\nkind: DataContract\nid: c\nschema:\n  - name: t\n    properties:\n"
        "      - name: a\n        classification: public\n        tags: [7]\n"
        "customProperties:\n  - property: dataflowOrigin\n    value: CN\n"
        "  - property: dataflowDestinations\n    value: US\n"
    )
    code, status, error = _scan(tmp_path, "c.odcs.yaml", text)
    assert (code, status) == (5, "error")
    assert error is not None and error.startswith("c.odcs.yaml:9:") and "a tag must be a string" in error


def test_the_transfer_json_schema_is_not_a_transfer(tmp_path: Path) -> None:
    """docs/scan.md tells users to keep `dataflow-rules schema transfer` beside manifests:
    its `properties` name the fields, with schemas as values, and state no transfer."""
    from dataflow_rules.catalogues import load_policies
    from dataflow_rules.scan.schemas import schema_for

    text = json.dumps(schema_for("transfer", load_policies(PINNED_POLICIES)), indent=2)
    code, status, _ = _scan(tmp_path, "transfer.schema.json", text)
    assert (code, status) == (0, "skipped")
    # ... while a value that is a country code, even a wrong one, is a transfer's field.
    assert gate.transfer_fields({"origin": 1, "data": None})
