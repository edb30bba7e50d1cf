"""Where the facts file is found (facts_file.find_config): up to the repository root inside
a repository; outside one, only the working directory's own file, so a file planted in a
shared parent (``/tmp/dataflow-rules.yaml``) states no facts for the runs below it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataflow_rules.errors import InputError
from dataflow_rules.facts_file import CONFIG_NAME, find_config, read_facts

FACTS = "facts:\n  exporter: {ciio: false}\n"


def test_a_parent_outside_any_repository_is_not_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(FACTS, encoding="utf-8")
    below = tmp_path / "work" / "project"
    below.mkdir(parents=True)
    assert find_config(below) is None
    assert read_facts(None, start=below) is None


def test_the_working_directory_s_own_file_is_read_outside_a_repository(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(FACTS, encoding="utf-8")
    assert find_config(tmp_path) == (tmp_path / CONFIG_NAME).resolve()
    facts = read_facts(None, start=tmp_path)
    assert facts is not None and facts.exporter.ciio is False


def test_inside_a_repository_the_nearest_file_up_to_the_root_is_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / CONFIG_NAME).write_text(FACTS, encoding="utf-8")
    below = tmp_path / "services" / "orders"
    below.mkdir(parents=True)
    assert find_config(below) == (tmp_path / CONFIG_NAME).resolve()


def test_nothing_above_the_repository_root_is_read(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(FACTS, encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    below = repo / "src"
    below.mkdir()
    assert find_config(below) is None


def test_a_fact_stated_twice_under_stripped_equal_names_is_an_error(tmp_path: Path) -> None:
    """`" collected_abroad"` and `"collected_abroad"` are one fact once validation strips the
    name: the file stating it both true and false is refused, not read as whichever came last."""
    facts = tmp_path / "facts.yaml"
    facts.write_text("context: {collected_abroad: false, ' collected_abroad': true}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"context: .*the same once spaces are stripped"):
        read_facts(facts)


# -- context facts are those the catalogues declare, as in a transfer -------------------


def test_a_misspelt_context_fact_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """A facts file's ``context`` key that no catalogue declares was accepted and listed as an
    assumption that no rule reads; a transfer's own is refused (transfers.py). Every unknown
    key is reported at once, each on its line, with the declared fact it most resembles."""
    from dataflow_rules.catalogues import load_policies

    policies = load_policies()
    path = tmp_path / "facts.yaml"
    path.write_text(
        "context:\n  exporter_is_data_brokr: false\n  exporter_is_data_broker: false\n  no_such_fact: true\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_facts(path, context_facts=policies.context_facts())
    problems = caught.value.problems
    assert [p.location.line for p in problems if p.location] == [2, 4]
    assert "unknown context fact 'exporter_is_data_brokr' (did you mean 'exporter_is_data_broker'?)" in (
        problems[0].message
    )
    assert "unknown context fact 'no_such_fact'" in problems[1].message
    facts = read_facts(None, start=tmp_path, config=None)  # no catalogues given: not checked
    assert facts is None
    path.write_text("context:\n  exporter_is_data_broker: false\n", encoding="utf-8")
    stated = read_facts(path, context_facts=policies.context_facts())
    assert stated is not None and stated.context == {"exporter_is_data_broker": False}
