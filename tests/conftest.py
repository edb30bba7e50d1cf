"""Shared fixtures: the shipped policies and one engine per session (engines are costly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataflow_rules import Engine, Policies, load_policies

from .browser import browser  # noqa: F401 - the session's Chromium, for tests/server and tests/scan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def policies() -> Policies:
    return load_policies()


@pytest.fixture(scope="session")
def engine(policies: Policies) -> Engine:
    return Engine(policies)
