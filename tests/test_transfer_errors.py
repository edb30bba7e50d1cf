"""Transfer descriptions: accepted layouts and located, one-line errors for bad input."""

from __future__ import annotations

import pytest

from dataflow_rules import InputError, parse_transfers
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.taxonomy import load_taxonomy

from .test_catalogue_errors import GOOD

T = """\
id: t1
origin: CN
destination: US
purpose: marketing
recipient: {type: company, controlled_by: US}
context: {collected_abroad: false}
data:
  - category: personal.health
    individuals: 12
"""


@pytest.fixture(scope="module")
def pol():
    return build_policies(load_taxonomy(default_policy_dir() / "taxonomy.yaml"), [("cat.yaml", GOOD)])


def test_layouts(pol) -> None:
    assert [x.transfer.id for x in parse_transfers(T, "t.yaml", pol)] == ["t1"]
    listed = (
        "- "
        + T.replace("\n", "\n  ").rstrip()
        + "\n- "
        + T.replace("t1", "t2").replace("\n", "\n  ").rstrip()
        + "\n"
    )
    assert [x.transfer.id for x in parse_transfers(listed, "t.yaml", pol)] == ["t1", "t2"]
    wrapped = "transfers:\n" + listed
    assert [x.transfer.id for x in parse_transfers(wrapped, "t.yaml", pol)] == ["t1", "t2"]
    multi = T + "---\n" + T.replace("t1", "t3")
    assert [x.transfer.id for x in parse_transfers(multi, "t.yaml", pol)] == ["t1", "t3"]
    as_json = '{"id": "j", "origin": "CN", "destination": "US", "data": [{"category": "personal"}]}'
    assert parse_transfers(as_json, "t.json", pol)[0].transfer.data[0].category == "personal"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("origin: CN", "origin: CHN", r"t.yaml:2:1: origin: 'CHN' is not an ISO 3166-1 alpha-2 country code"),
        ("origin: CN", "origin: ZZ", r"origin: 'ZZ' is not an ISO"),
        (
            "category: personal.health",
            "category: personal.heath",
            r"t.yaml:8:\d+: data\[0\].category: unknown category 'personal.heath' \(did you mean 'personal.health'\?\)",
        ),
        (
            "individuals: 12",
            "individuals: -1",
            r"t.yaml:9:5: data\[0\].individuals: input should be greater than or equal to 0",
        ),
        ("individuals: 12", "individuals: twelve", r"data\[0\].individuals: input should be a valid integer"),
        ("individuals: 12", "individuals: 1.5", r"data\[0\].individuals: input should be a valid integer"),
        ("individuals: 12", "individuals: true", r"data\[0\].individuals: input should be a valid integer"),
        ("individuals: 12", "individuals: '12'", r"data\[0\].individuals: input should be a valid integer"),
        (
            "individuals: 12",
            "individuals: 12\n    anonymised: 'yes'",
            r"data\[0\].anonymised: input should be a valid boolean",
        ),
        ("individuals: 12", "individuals: 100000000000000", r"less than or equal to 10000000000"),
        (
            "individuals: 12",
            "individuals: 12\n    anonymised: true\n    pseudonymised: true",
            r"t.yaml:11:5: data\[0\].pseudonymised: an item cannot be both anonymised and pseudonymised",
        ),
        (
            "individuals: 12",
            "individuals: 12\n    colour: red",
            r"t.yaml:10:5: data\[0\].colour: unknown field 'colour'",
        ),
        ("purpose: marketing", "purpose: world_domination", r"purpose: unknown purpose 'world_domination'"),
        ("type: company", "type: wizard", r"recipient.type: unknown recipient type 'wizard'"),
        ("{collected_abroad: false}", "{secret: true}", r"context.secret: unknown context fact 'secret'"),
        (
            "{collected_abroad: false}",
            "{collected_abroad: maybe}",
            r"context.collected_abroad: input should be a valid boolean",
        ),
        ("id: t1\n", "", r"required field 'id' is missing"),
        (
            "data:\n  - category: personal.health\n    individuals: 12\n",
            "data: []\n",
            r"data: list should have at least 1 item",
        ),
        ("id: t1", "id: 'bad id!'", r"id: string should match pattern"),
        (
            "destination: US\n",
            "destination: US\ndestination: CN\n",
            r"t.yaml:4:1: destination: duplicate key 'destination'",
        ),
    ],
)
def test_errors(pol, old: str, new: str, expected: str) -> None:
    assert old in T
    with pytest.raises(InputError, match=expected) as info:
        parse_transfers(T.replace(old, new, 1), "t.yaml", pol)
    assert "\n" not in info.value.one_line()
    assert info.value.exit_code == 5


def test_one_bad_transfer_fails_the_whole_file(pol) -> None:
    text = (
        "- "
        + T.replace("\n", "\n  ").rstrip()
        + "\n- "
        + T.replace("t1", "t2").replace("CN", "XX").replace("\n", "\n  ").rstrip()
        + "\n"
    )
    with pytest.raises(InputError, match=r"\[1\].origin"):
        parse_transfers(text, "t.yaml", pol)


def test_duplicate_transfer_ids(pol) -> None:
    with pytest.raises(InputError, match="duplicate transfer id 't1'"):
        parse_transfers(T + "---\n" + T, "t.yaml", pol)


def test_not_a_mapping(pol) -> None:
    with pytest.raises(InputError, match="expected a transfer"):
        parse_transfers("just a string\n", "t.yaml", pol)
    with pytest.raises(InputError, match="a transfer must be a mapping"):
        parse_transfers("- 3\n", "t.yaml", pol)
    with pytest.raises(InputError, match="no transfer found"):
        parse_transfers("", "t.yaml", pol)


def test_unknown_zone_is_an_input_error() -> None:
    from dataflow_rules import load_policies

    shipped = load_policies()
    text = T.replace("purpose: marketing\n", "").replace("context: {collected_abroad: false}\n", "")
    ok = text.replace("origin: CN\n", "origin: CN\nexporter: {zone: cn.ftz.tianjin}\n")
    assert parse_transfers(ok, "t.yaml", shipped)[0].transfer.exporter.zone == "cn.ftz.tianjin"
    bad = text.replace("origin: CN\n", "origin: CN\nexporter: {zone: cn.ftz.atlantis}\n")
    with pytest.raises(InputError, match=r"t.yaml:3:\d+: exporter.zone: unknown zone 'cn.ftz.atlantis'"):
        parse_transfers(bad, "t.yaml", shipped)
    abroad = text.replace("origin: CN\n", "origin: US\nexporter: {zone: cn.ftz.tianjin}\n").replace(
        "destination: US", "destination: CN"
    )
    with pytest.raises(InputError, match=r"unknown zone 'cn\.ftz\.tianjin' for exporters in US"):
        parse_transfers(abroad, "t.yaml", shipped)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (T + "date: 0\n", "date"),
        (T + "date: 20260302\n", "date"),
        (T + "date: 1.5e+9\n", "date"),
        (
            T + "safeguards: [{mechanism: cn.standard_contract, reference: r, obtained: 0}]\n",
            "safeguards[0].obtained",
        ),
        (
            T
            + "safeguards: [{mechanism: cn.standard_contract, reference: r, obtained: 2026-01-01, expires: 1}]\n",
            "safeguards[0].expires",
        ),
    ],
)
def test_a_number_is_not_a_date(pol, text: str, field: str) -> None:
    """pydantic alone would read 0 as 1970-01-01 (a Unix time) and decide under 1970's law."""
    with pytest.raises(InputError) as caught:
        parse_transfers(text, "t.yaml", pol)
    assert caught.value.location is not None and caught.value.location.field == field
    assert "a date is written YYYY-MM-DD, not as a number" in caught.value.message


@pytest.mark.parametrize("written", ['"0"', '"1741000000"', '"1.5e9"', '"2026-3-2"', '"2026-03-02T00:00:00"'])
def test_a_string_that_is_not_an_iso_date_is_not_a_date(pol, written: str) -> None:
    with pytest.raises(InputError, match=r"date: '.*' is not a date written YYYY-MM-DD"):
        parse_transfers(T + f"date: {written}\n", "t.yaml", pol)


def test_dates_as_people_write_them_are_accepted(pol) -> None:
    for written in ("date: 2026-03-02", 'date: "2026-03-02"'):
        (located,) = parse_transfers(T + written + "\n", "t.yaml", pol)
        assert str(located.transfer.date) == "2026-03-02"
    as_json = '{"id": "j", "origin": "CN", "destination": "US", "date": "2026-03-02", "data": [{"category": "personal"}]}'
    assert str(parse_transfers(as_json, "t.json", pol)[0].transfer.date) == "2026-03-02"


def test_a_file_that_is_no_transfer_says_so(pol) -> None:
    """A CI workflow given to `check` by mistake: the error says what the file is not,
    located at its first field, rather than naming one missing field."""
    workflow = "# a workflow\nname: ci\njobs:\n  scan: {runs-on: ubuntu-latest}\n"
    with pytest.raises(InputError) as caught:
        parse_transfers(workflow, "ci.yml", pol)
    assert caught.value.one_line() == (
        "ci.yml:2:1: not a transfer description: it has none of the fields data, destination, id,"
        " origin (its fields: jobs, name)"
    )
    # One transfer field is enough to be read as a (broken) transfer, with the usual error.
    with pytest.raises(InputError, match=r"ci.yml:2:1: data: required field 'data' is missing"):
        parse_transfers(workflow + "origin: CN\n", "ci.yml", pol)
