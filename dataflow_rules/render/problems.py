"""``validate`` and ``lint`` as text (one line a problem, then the count), as JSON (the
result model, for tools) and, for lint, as SARIF (through
:func:`dataflow_rules.render.sarif.render_problems`). Each writer takes the problems alone,
as the format registry calls them (render/formats.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from ..models.problems import Problem, Severity


def render_text(problems: Sequence[Problem], what: str) -> str:
    lines = [p.one_line() for p in problems]
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    lines.append(f"{what}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines) + "\n"


def render_json(problems: Sequence[Problem]) -> str:
    body = {
        "schema_version": 1,
        "problems": [{**asdict(p), "severity": p.severity.value, "name": p.name} for p in problems],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def validation_text(problems: Sequence[Problem]) -> str:
    return render_text(problems, "validate")


def lint_text(problems: Sequence[Problem]) -> str:
    return render_text(problems, "lint")


def lint_sarif(problems: Sequence[Problem]) -> str:
    """SARIF 2.1.0 naming this version of the tool as the driver."""
    from .. import __version__
    from .sarif import render_problems

    return render_problems(problems, __version__)
