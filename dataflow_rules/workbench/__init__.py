"""The policy drafters' workbench: validate, lint, test, diff and explain catalogues.

Importing this package is cheap (the CLI imports it to register its commands); each
capability lives in its own module: :mod:`.validate`, :mod:`.lint`, :mod:`.suites`,
:mod:`.diff`, :mod:`.explain`, :mod:`.remediate`, :mod:`.corpus`. docs/workbench.md
documents the commands, lint codes and exit codes.
"""

from __future__ import annotations

from typing import Any


def register(app: Any) -> None:
    """Add the workbench commands to the CLI."""
    from .cli import register as _register

    _register(app)


__all__ = ["register"]
