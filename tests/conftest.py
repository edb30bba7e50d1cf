"""Shared fixtures: the shipped policies and one engine per session (engines are costly)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from hypothesis import settings

from dataflow_rules import Engine, Policies, load_policies

from .browser import browser  # noqa: F401 - the session's Chromium, for tests/server and tests/scan

# The command line's policy cache (dataflow_rules.policy_cache) stays out of the user's cache
# directory: off for every test and every process a test starts; tests/test_policy_cache.py
# turns it on in a temporary directory.
os.environ["DATAFLOW_RULES_CACHE"] = "off"

# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) runs every property test on hypothesis's fixed
# sequence of examples, so a run of a given tree passes or fails the same way each time and a
# landing never depends on the draw; a developer's run (the default profile) draws new
# examples each time and keeps what fails in .hypothesis/ to replay. Each test's own
# @settings (max_examples, deadline) applies under both.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
POLICIES = ROOT / "policies"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Without pytest-xdist (a plain environment, not ``.[test]``; or ``-p no:xdist``) the
    default lane's ``--numprocesses=auto`` (pyproject.toml's addopts) would stop pytest with
    "unrecognized arguments": accept it and run in one process instead (the header says so).
    The option is named in its long form because only pytest's own options may be short."""
    if not pluginmanager.has_plugin("xdist"):
        parser.addoption(
            "--numprocesses",
            action="store",
            default=None,
            help="pytest-xdist is not installed: ignored, the tests run in one process",
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.pluginmanager.has_plugin("xdist"):
        return None
    return "pytest-xdist is not installed: the tests run in one process (it is in .[test])"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, collect garbage now, then freeze what is left. After a worker
    reports its session finished, the controller stops it and execnet SIGINTs a worker still
    busy 5 s later: on a loaded host pytest's last full collection (it looks for unraisable
    exceptions at exit) took longer than that over this suite's heap, and the interrupt
    landed in it ("KeyboardInterrupt ... gc_callback" printed at the end of 2 of 2 runs).
    Collecting here, after the session's fixtures are torn down and before the worker
    reports, finds the same garbage (pytest still reports what it raises), and leaves the
    exit's collection nothing to walk."""
    if hasattr(session.config, "workerinput"):
        gc.collect()
        gc.freeze()


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies()


@pytest.fixture(scope="session")
def engine(policies: Policies) -> Engine:
    return Engine(policies)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs on PostgreSQL goes to the slow lane: each starts or uses a real
    server (initdb, a database per test). Marked here rather than test by test because most
    of them are the ``postgresql`` case of a test parametrized over both back-ends (the
    ``store_url`` fixture, ``backend`` parameters), whose ``sqlite`` case stays fast."""
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = params is not None and "postgresql" in params.params.values()
        if on_postgres or "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
