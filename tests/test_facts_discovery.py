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
