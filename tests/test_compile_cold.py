"""Compiling for a cold ``check`` builds no catalogue model's schema: what a domestic plan
reads of an entry's counterparties is taken from the entry as validated
(engine/compile.py, :func:`domestic_counterparties`), the same values a validation gives."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from dataflow_rules.catalogues import load_policies
from dataflow_rules.engine.compile import domestic_counterparties, reaches_at_home
from dataflow_rules.models.catalogue import Counterparties


def test_domestic_counterparties_are_what_validation_gives() -> None:
    policies = load_policies()
    seen = 0
    for loaded in policies.catalogues.values():
        for entry in loaded.catalogue.entries:
            made = domestic_counterparties(entry)
            validated = Counterparties.model_validate(made.model_dump())
            assert made == validated and made.model_fields_set == validated.model_fields_set
            assert made.is_all() == validated.is_all()
            for name in ("countries", "groups", "except_countries", "except_groups"):
                assert getattr(made, name) is not getattr(entry.counterparties, name)  # copies
            seen += bool(entry.wherever_located)
    assert seen, "no shipped entry is read wherever located: the test reads nothing"
    assert any(reaches_at_home(e) for lc in policies.catalogues.values() for e in lc.catalogue.entries)


def test_a_lazy_engine_over_cached_policies_builds_no_catalogue_schema(tmp_path: Path) -> None:
    """As ``check`` starts: the policies unpickled from the cache (no validation), then a
    lazy engine, which reads every entry's counterparties (plan_keys)."""
    script = textwrap.dedent(
        """
        from pydantic._internal._mock_val_ser import MockValSer
        from dataflow_rules.catalogues import load_policies
        from dataflow_rules.engine.engine import Engine
        from dataflow_rules.models import catalogue
        Engine(load_policies(cache=True), lazy=True)
        built = [
            name for name, value in vars(catalogue).items()
            if isinstance(value, type) and issubclass(value, catalogue.Strict)
            and value.__module__ == catalogue.__name__
            and not isinstance(value.__pydantic_validator__, MockValSer)
        ]
        print(" ".join(built) or "none")
        """
    )
    env = {**os.environ, "DATAFLOW_RULES_CACHE": str(tmp_path / "cache")}
    run = [sys.executable, "-c", script]
    subprocess.run(run, capture_output=True, text=True, check=True, env=env)  # fills the cache
    assert list((tmp_path / "cache").glob("policies-*.pickle"))
    done = subprocess.run(run, capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["none"]
