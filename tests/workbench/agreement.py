"""Projections of a decision and of a trace into comparable sets (used by several tests)."""

from __future__ import annotations

from dataflow_rules import Decision
from dataflow_rules.engine.trace import Trace

Projection = dict[str, set[tuple[object, ...]]]


def from_decision(decision: Decision) -> Projection:
    out: Projection = {
        "stands": set(),
        "safeguarded": set(),
        "exempted": set(),
        "laned": set(),
        "lanes": set(),
    }
    for r in decision.reasons:
        key = (r.jurisdiction, r.side, r.entry_id)
        if r.kind in ("entry", "localisation", "missing_fact"):
            for i in r.items:
                out["stands"].add((*key, i, r.verdict.value, tuple(sorted(r.missing))))
        elif r.kind == "safeguarded":
            out["safeguarded"] |= {(*key, i) for i in r.items}
        elif r.kind == "exemption":
            out["exempted"] |= {(*key, c) for c in r.cleared}
        elif r.kind == "green_lane":
            out["laned"] |= {(*key, c) for c in r.cleared}
            out["lanes"].add((*key, tuple(r.items)))
    return out


def from_trace(t: Trace) -> Projection:
    out: Projection = {
        "stands": set(),
        "safeguarded": set(),
        "exempted": set(),
        "laned": set(),
        "lanes": set(),
    }
    for s in t.sides:
        for f in s.findings:
            if f.fate == "stands":
                out["stands"].add((s.jurisdiction, s.side, f.id, f.item, f.outcome, tuple(sorted(f.missing))))
            elif f.fate == "safeguarded":
                out["safeguarded"].add((s.jurisdiction, s.side, f.id, f.item))
            elif f.fate == "exempted":
                out["exempted"].add((s.jurisdiction, s.side, f.by, f.id))
            else:
                out["laned"].add((s.jurisdiction, s.side, f.by, f.id))
        for lane, items in s.lanes_fired.items():
            out["lanes"].add((s.jurisdiction, s.side, lane, tuple(items)))
    return out
