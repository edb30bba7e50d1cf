"""Catalogue loading: every schema and cross-reference error names file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dataflow_rules import CatalogueError, load_policies
from dataflow_rules.catalogues import build_policies, default_policy_dir
from dataflow_rules.taxonomy import load_taxonomy

GOOD = """\
jurisdiction: CN
title: Test catalogue
version: "1"
effective: 2024-03-22
sources:
  - {instrument: Test Law, article: Art 1, date: 2024-03-22}
groups:
  concern:
    title: Countries of concern
    countries: [RU, IR]
    as_of: 2025-01-01
    citations: [{instrument: Test Law, article: Art 2, date: 2024-03-22}]
context_facts:
  collected_abroad: The data was collected abroad.
entries:
  - id: e1
    title: Health data
    categories: [personal.health]
    direction: outbound
    counterparties: {groups: [concern]}
    when: {individuals: {at_least: 10}, purposes: [marketing], context: {collected_abroad: false}}
    outcome: restrict
    requirement: security_assessment
    citations: [{instrument: Test Law, article: Art 3, date: 2024-03-22}]
exemptions:
  - id: x1
    title: Contracts
    applies_to: [e1]
    when: {purposes: [contract_performance]}
    citations: [{instrument: Test Law, article: Art 4, date: 2024-03-22}]
"""


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(default_policy_dir() / "taxonomy.yaml")


def load(taxonomy, text: str):
    return build_policies(taxonomy, [("cat.yaml", text)])


def test_good_catalogue_loads(taxonomy) -> None:
    policies = load(taxonomy, GOOD)
    assert list(policies.catalogues) == ["CN"]
    assert len(policies.catalogues["CN"].digest) == 64


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    title: Health data\n",
            "    title: Health data\n    colour: red\n",
            r"cat.yaml:18:5: entries\[0\].colour: unknown field 'colour'",
        ),
        (
            "[personal.health]",
            "[personal.helth]",
            r"cat.yaml:18:\d+: entries\[0\].categories\[0\]: unknown category 'personal.helth' \(did you mean 'personal.health'\?\)",
        ),
        (
            "jurisdiction: CN",
            "jurisdiction: XX",
            r"cat.yaml:1:1: jurisdiction: 'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            "countries: [RU, IR]",
            "countries: [RU, QQ]",
            r"cat.yaml:\d+:\d+: groups.concern.countries\[1\]: 'QQ' is not an ISO",
        ),
        (
            "groups: [concern]",
            "groups: [nobody]",
            r"entries\[0\].counterparties.groups\[0\]: unknown group 'nobody'",
        ),
        (
            "requirement: security_assessment",
            "requirement: prayer",
            r"entries\[0\].requirement: unknown requirement 'prayer'",
        ),
        (
            "purposes: [marketing]",
            "purposes: [fun]",
            r"entries\[0\].when.purposes\[0\]: unknown purpose 'fun'",
        ),
        ("{collected_abroad: false}", "{made_up: false}", r"context fact 'made_up' is not declared"),
        (
            "{collected_abroad: false}",
            "{collected_abroad: false, ' collected_abroad': true}",
            r"entries\[0\].when.context: .*the same once spaces are stripped",
        ),
        (
            "applies_to: [e1]",
            "applies_to: [e9]",
            r"exemptions\[0\].applies_to\[0\]: exemption applies to unknown entry 'e9'",
        ),
        (
            "outcome: restrict",
            "outcome: maybe",
            r"entries\[0\].outcome: input should be 'restrict' or 'review'",
        ),
        (
            "{at_least: 10}",
            "{at_least: ten}",
            r"entries\[0\].when.individuals.at_least: input should be a valid integer",
        ),
        ("{at_least: 10}", "{at_least: 10, less_than: 5}", r"the range is empty"),
        ("{at_least: 10}", "{at_least: 10, more_than: 5}", r"give at_least or more_than, not both"),
        ("{at_least: 10}", "{}", r"needs at least one bound"),
        ("  - id: x1\n", "  - id: e1\n", r"exemptions\[0\].id: duplicate id 'e1'"),
        ("effective: 2024-03-22\n", "", r"required field 'effective' is missing"),
        (
            "    when: {purposes: [contract_performance]}\n",
            "    when: {}\n",
            r"an exemption needs at least one condition",
        ),
        ('version: "1"\n', 'version: "1"\nversion: "2"\n', r"cat.yaml:4:1: version: duplicate key 'version'"),
    ],
)
def test_errors_name_file_line_and_field(taxonomy, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(CatalogueError, match=expected):
        load(taxonomy, GOOD.replace(old, new, 1))


def test_missing_citations_rejected(taxonomy) -> None:
    text = GOOD.replace(
        "    requirement: security_assessment\n    citations: [{instrument: Test Law, article: Art 3, date: 2024-03-22}]\n",
        "    requirement: security_assessment\n    citations: []\n",
    )
    with pytest.raises(CatalogueError, match=r"entries\[0\].citations: list should have at least 1 item"):
        load(taxonomy, text)


def test_second_catalogue_for_same_country(taxonomy) -> None:
    with pytest.raises(CatalogueError, match="a second catalogue for CN"):
        build_policies(taxonomy, [("a.yaml", GOOD), ("b.yaml", GOOD)])


def test_policy_dir_errors(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="policy directory not found"):
        load_policies(tmp_path / "nope")
    with pytest.raises(CatalogueError, match=r"no taxonomy\.yaml"):
        load_policies(tmp_path)


def test_directory_with_broken_catalogue_loads_nothing(tmp_path: Path) -> None:
    shutil.copy(default_policy_dir() / "taxonomy.yaml", tmp_path / "taxonomy.yaml")
    (tmp_path / "cn.yaml").write_text(GOOD)
    (tmp_path / "zz.yaml").write_text("jurisdiction: [\n")
    with pytest.raises(CatalogueError, match=r"zz.yaml:\d+:\d+: invalid YAML"):
        load_policies(tmp_path)


def test_error_messages_are_one_line(taxonomy) -> None:
    with pytest.raises(CatalogueError) as info:
        load(taxonomy, GOOD.replace("title: Health data", 'title: "two\\nlines"\n    bogus: 1'))
    assert "\n" not in info.value.one_line()
