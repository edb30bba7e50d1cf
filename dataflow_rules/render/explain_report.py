"""``explain --format text|json``: an explanation is the engine's decision (with its
remediations) and its trace; ``explain`` writes one for each transfer of the file.

Everything shown comes from the engine's trace (Engine.trace); this module only words it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ..engine.trace import Attempt, SideTrace, Trace
from ..models.decision import Decision
from .text import render as render_decision

Explanation = tuple[Decision, Trace]
"""A decision and the engine's trace of it: what ``explain`` reports for one transfer."""

_MARK = {"held": "held   ", "failed": "FAILED ", "unknown": "unknown"}
_KIND = {
    "entry": "entry",
    "localisation": "localisation",
    "exemption": "exemption",
    "green_lane": "green lane",
}


def render_text(explanations: Sequence[Explanation], show_all: bool = False) -> str:
    """Every explanation, one after the other, a blank line between."""
    return "\n".join(explain_text(d, t, show_all) for d, t in explanations)


def render_json(explanations: Sequence[Explanation], show_all: bool = False) -> str:
    """Every explanation in one JSON document; ``show_all`` changes nothing (JSON holds every rule)."""
    body = {"schema_version": 1, "explanations": [to_json(d, t) for d, t in explanations]}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def explain_text(decision: Decision, t: Trace, show_all: bool = False) -> str:
    """One explanation: the decision as ``check`` shows it, then the trace leg by leg."""
    lines = [render_decision([decision]).rstrip("\n"), "", "trace:"]
    for leg in t.legs:
        if leg.label:
            lines.append(f" {leg.label}:")
        if leg.domestic is not None:
            lines.append(
                f"  {leg.origin} and {leg.destination} are both within {leg.domestic}: no cross-border rule is checked"
            )
        for side in leg.sides:
            lines += _side(side, show_all)
    lines += _resolution(decision, t)
    return "\n".join(lines) + "\n"


def _resolution(decision: Decision, t: Trace) -> list[str]:
    """How the decision shown went beyond the rules' own decision traced above."""
    rules = t.decision
    if rules is None:
        return []
    out: list[str] = []
    presumed = [a for a in decision.assumptions if a.source.startswith("presumption")]
    if presumed:
        out.append(
            "  then presumed: "
            + ", ".join(f"{a.fact} = {str(a.value).lower()} ({a.source})" for a in presumed)
        )
    if decision.cases is not None:
        out.append(
            f"  then decided for each value of {', '.join(decision.cases.facts)}: "
            f"{len(decision.cases.branches)} branches"
        )
    if decision.verdict is not rules.verdict:
        out.append(
            f"  the rules alone decide {rules.verdict.value}; the decision is {decision.verdict.value}"
        )
    return out


def _side(side: SideTrace, show_all: bool) -> list[str]:
    head = f"  {side.jurisdiction} {side.side} rules"
    if not side.loaded:
        return [head + ": no catalogue loaded, nothing checked"]
    lines = [head + ":"]
    skipped: list[str] = []
    for a in _ordered(side.attempts):
        if not show_all and _off_topic(a):
            skipped.append(a.id)
            continue
        lines.append(
            f"    {_KIND[a.kind]} {a.id} on data[{a.item}]"
            + (f" via {a.category}" if a.category else "")
            + f": {_verdict(a)}"
        )
        for c in a.checks:
            lines.append(f"      {_MARK[c.status]} {c.condition}: {c.fact} = {c.value}; needs {c.expected}")
    for f in side.findings:
        tail = f" by {f.by}" if f.by else ""
        missing = f" (missing: {', '.join(f.missing)})" if f.missing else ""
        lines.append(f"    => {f.id} applies to data[{f.item}]{missing}: {_fate(f.fate)}{tail}")
    if not side.findings:
        lines.append("    => no entry applies")
    if side.verdict is not None:
        lines.append(f"    => {side.jurisdiction} {side.side}: {side.verdict}")
    if skipped:
        names = sorted(set(skipped))
        lines.append(
            f"    ({len(names)} rules not about this data, category does not match: {', '.join(names)}; --all shows them)"
        )
    return lines


def _ordered(attempts: list[Attempt]) -> list[Attempt]:
    """Item by item its green lanes then its exemptions; then each designation (entries,
    then localisation, in catalogue order) on each item."""

    def key(pair: tuple[int, Attempt]) -> tuple[int, ...]:
        pos, a = pair
        if a.kind in ("green_lane", "exemption"):
            return (0, a.item, a.kind == "exemption", pos)
        return (1, a.kind == "localisation", a.index, a.item, pos)

    return [a for _, a in sorted(enumerate(attempts), key=key)]


def _off_topic(a: Attempt) -> bool:
    return any(c.condition == "category" and c.status == "failed" for c in a.checks)


def _verdict(a: Attempt) -> str:
    if a.kind in ("exemption", "green_lane"):
        return "fires" if a.fires() else "does not fire"
    if not a.fires():
        return "does not apply"
    return "may apply (facts missing)" if a.status == "unknown" else "applies"


def _fate(fate: str) -> str:
    return {
        "stands": "stands",
        "safeguarded": "its requirement is met by safeguards",
        "exempted": "cleared by exemption",
        "green_lane": "cleared by green lane",
    }[fate]


def to_json(decision: Decision, t: Trace) -> dict[str, Any]:
    """One explanation as JSON: the decision and every attempt, check and finding of its trace."""
    return {
        "decision": decision.model_dump(mode="json"),
        "trace": {
            "transfer_id": t.transfer_id,
            "as_of": t.as_of.isoformat(),
            "legs": [
                {
                    "label": leg.label,
                    "origin": leg.origin,
                    "destination": leg.destination,
                    "domestic": leg.domestic,
                }
                for leg in t.legs
            ],
            "sides": [
                {
                    "jurisdiction": s.jurisdiction,
                    "side": s.side,
                    "loaded": s.loaded,
                    "attempts": [
                        {
                            **asdict(a),
                            "status": a.status,
                            "fires": a.fires(),
                            "checks": [asdict(c) for c in a.checks],
                        }
                        for a in s.attempts
                    ],
                    "findings": [asdict(f) for f in s.findings],
                    "green_lanes_fired": s.lanes_fired,
                    "exemptions_fired": s.exemptions_fired,
                }
                for s in t.sides
            ],
        },
    }
