"""Input tricks an outside evaluator would try to turn a restricted transfer into an allow,
through the command line (`check`, `batch`): look-alike and padded country codes, YAML
duplicate keys, anchors and merge keys, odd numbers, strings for counts and flags, a BOM.
Each must be refused as bad input (exit 5) or decided no lower than the plain transfer
(never allow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("dataflow-rules") or str(Path(sys.executable).parent / "dataflow-rules")

# Genomic data on 101 US persons to a Chinese vendor: prohibited (28 CFR 202.303, 202.205(a)).
US_CN = """\
id: atk
origin: US
destination: CN
date: 2026-03-02
exporter: {name: Example Biobank}
recipient: {name: Example Sequencing Co., type: company, controlled_by: CN}
purpose: scientific_research
transaction: vendor_agreement
context: {exporter_is_data_broker: false}
data:
  - category: personal.omic.genomic
    individuals: 101
    anonymised: false
"""

# Contact data of 200,000 individuals from a non-CIIO: standard contract (2024 Provisions Art 8).
CN_US = """\
id: atk
origin: CN
destination: US
date: 2026-03-02
exporter: {name: Example Retailer, ciio: false}
recipient: {name: Example CRM Inc., type: company, controlled_by: US}
purpose: marketing
transaction: vendor_agreement
context: {exporter_automotive_data_processor: false}
data:
  - category: personal.contact
    individuals: 200000
    anonymised: false
"""

ITEM_US = "  - category: personal.omic.genomic\n    individuals: 101\n"
ITEM_CN = "  - category: personal.contact\n    individuals: 200000\n"

TRICKS: dict[str, tuple[str, str, str]] = {
    # name: (base, old, new)
    "cyrillic_es_in_CN": ("us", "destination: CN", "destination: СN"),
    "fullwidth_CN": ("us", "destination: CN", "destination: ＣＮ"),
    "zero_width_space": ("us", "destination: CN", "destination: C\u200bN"),
    "lowercase_cn": ("us", "destination: CN", "destination: cn"),
    "padded_cn": ("us", "destination: CN", "destination: 'CN '"),
    "alpha3_CHN": ("us", "destination: CN", "destination: CHN"),
    "duplicate_destination_key": ("us", "destination: CN", "destination: CN\ndestination: SG"),
    "duplicate_count_key": ("us", "    individuals: 101\n", "    individuals: 101\n    individuals: 5\n"),
    "merge_key_overrides_count": (
        "us",
        ITEM_US,
        "  - {<<: {category: personal.omic.genomic, individuals: 5}, individuals: 101}\n",
    ),
    "anchor_alias_item": (
        "us",
        ITEM_US + "    anonymised: false\n",
        "  - &x {category: personal.omic.genomic, individuals: 101}\n  - *x\n",
    ),
    "float_count": ("us", "individuals: 101", "individuals: 100.5"),
    "string_count": ("us", "individuals: 101", "individuals: '101'"),
    "negative_count": ("us", "individuals: 101", "individuals: -101"),
    "huge_count": ("us", "individuals: 101", "individuals: " + "9" * 40),
    "float_overflow_count": ("us", "individuals: 101", "individuals: 1e400"),
    "nan_count": ("us", "individuals: 101", "individuals: .nan"),
    "bool_count": ("us", "individuals: 101", "individuals: true"),
    "category_trailing_dot": ("us", "personal.omic.genomic", "personal.omic.genomic."),
    "category_upper_case": ("us", "personal.omic.genomic", "Personal.Omic.Genomic"),
    "category_as_list": ("us", "category: personal.omic.genomic", "category: [personal.omic.genomic]"),
    "anonymised_string_yes": ("us", "anonymised: false", "anonymised: 'yes'"),
    "us_spelling_anonymized": ("us", "    anonymised: false", "    anonymised: false\n    anonymized: true"),
    "python_tag": ("us", "destination: CN", "destination: !!python/object:builtins.str CN"),
    "unknown_top_field": ("us", "id: atk", "id: atk\nallow: true"),
    "far_future_date": ("us", "date: 2026-03-02", "date: 2099-03-02"),
    "impossible_date": ("us", "date: 2026-03-02", "date: '2026-02-30'"),
    "cn_count_99999_5": ("cn", "individuals: 200000", "individuals: 99999.5"),
    "cn_count_string_float": ("cn", "individuals: 200000", "individuals: '99999.5'"),
    "cn_ciio_string_false": ("cn", "ciio: false", "ciio: 'false'"),
    "cn_anonymised_string_true": ("cn", "anonymised: false", "anonymised: 'true'"),
    "cn_anonymised_int_1": ("cn", "anonymised: false", "anonymised: 1"),
    "cn_origin_padded_lower": ("cn", "origin: CN", "origin: ' cn'"),
    "cn_split_duplicate_item_key": (
        "cn",
        ITEM_CN,
        "  - category: personal.contact\n    individuals: 200000\n    individuals: 50000\n",
    ),
}


def check(path: Path) -> tuple[int, str | None]:
    """The exit code of `check --format json` on ``path``, and the verdict when decided."""
    result = subprocess.run(
        [EXE, "check", "--format", "json", str(path)], capture_output=True, timeout=60, check=False
    )
    try:
        verdict = json.loads(result.stdout)["verdict"]
    except (ValueError, KeyError):
        verdict = None
    return result.returncode, verdict


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_no_trick_lowers_a_restrict(name: str, tmp_path: Path) -> None:
    base, old, new = TRICKS[name]
    text = US_CN if base == "us" else CN_US
    assert old in text, "the trick must change the base transfer"
    path = tmp_path / "t.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, verdict = check(path)
    assert code in (4, 5), f"exit {code}, verdict {verdict}"
    assert verdict in ("restrict", None)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_byte_order_mark_is_read_not_skipped(encoding: str, form: str, tmp_path: Path) -> None:
    import yaml

    path = tmp_path / f"t.{form}"
    text = US_CN if form == "yaml" else json.dumps(yaml.safe_load(US_CN), default=str)
    path.write_bytes(text.encode(encoding))
    assert check(path) == (4, "restrict")


def test_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(US_CN.encode("utf-16"))
    assert check(path) == (5, None)


def test_batch_tricks_are_errors_or_restrict(tmp_path: Path) -> None:
    """`batch`: each trick line is an error record or restrict, never allow; exit 5."""
    import yaml

    plain = json.dumps(yaml.safe_load(US_CN), default=str)
    lines = [
        plain.replace("101", "101.0"),
        plain.replace('"CN"', '"cn "'),
        "\ufeff" + plain,
        plain.replace('"destination": "CN"', '"destination": "SG", "destination": "CN"'),
        plain.replace("101", "1e400"),
        plain.replace("101", '"101"'),
        plain.replace("101", "-1"),
        plain.replace("101", "Infinity"),
        plain.replace('"anonymised": false', '"anonymised": "yes"'),
        json.dumps([json.loads(plain)]),
        plain[:-5],
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [EXE, "batch", "-o", str(out), str(src)], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 5, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(lines)
    for record in records:
        assert "error" in record or record["verdict"] == "restrict", record
    assert sum("error" not in r for r in records) == 1  # only the padded lowercase code is read


SCAN_TRICKS: dict[str, tuple[str, bytes]] = {
    # name: (file name in the scanned tree, its bytes)
    "plain": ("t.yaml", US_CN.encode()),
    "yml_extension": ("t.yml", US_CN.encode()),
    "byte_order_mark": ("t.yaml", b"\xef\xbb\xbf" + US_CN.encode()),
    "crlf_line_ends": ("t.yaml", US_CN.replace("\n", "\r\n").encode()),
    "hidden_directory": (".hidden/t.yaml", US_CN.encode()),
    "duplicate_key": (
        "t.yaml",
        US_CN.replace("destination: CN", "destination: CN\ndestination: SG").encode(),
    ),
    "second_document": ("t.yaml", ("id: x\nfoo: 1\n---\n" + US_CN).encode()),
    "list_whose_first_item_is_1": (
        "t.yaml",
        ("- 1\n- " + US_CN.replace("\n", "\n  ").rstrip() + "\n").encode(),
    ),
    "tab_indented": ("t.yaml", US_CN.replace("\n  ", "\n\t").encode()),
    "upper_case_extension": ("T.YAML", US_CN.encode()),
}


@pytest.mark.parametrize(
    "name",
    sorted(SCAN_TRICKS),
)
def test_scan_gate_fails_on_a_hidden_restricted_transfer(name: str, tmp_path: Path) -> None:
    """`scan` of a tree holding only the prohibited transfer, written with a trick: the gate
    fails (restrict, exit 4, or an error, exit 5), never passes."""
    relative, content = SCAN_TRICKS[name]
    path = tmp_path / "tree" / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    result = subprocess.run(
        [EXE, "scan", str(tmp_path / "tree")], capture_output=True, timeout=60, check=False
    )
    assert result.returncode in (4, 5), result.stdout.decode()[-400:]
