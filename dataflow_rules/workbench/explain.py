"""``explain``: the full trace of a decision, condition by condition, read from the engine.

Policy engines usually report the ids of the rules that decided; a drafter needs to know
which condition failed, on which fact, with which value against which bound. That trace
is the engine's own (:meth:`dataflow_rules.engine.engine.Engine.trace`): each compiled
rule's explicit conditions described against the fact document durable-rules was given,
whether the rule fired, and what the decision made of each finding. Nothing here tests
a condition or decides a fate, so a rule change never needs a matching change here.
"""

from __future__ import annotations

import datetime as dt

from ..engine.engine import Engine
from ..engine.trace import Attempt, Check, Finding, Leg, SideTrace, Status, Trace
from ..models.transfer import Transfer

__all__ = ["Attempt", "Check", "Finding", "Leg", "SideTrace", "Status", "Trace", "trace"]


def trace(engine: Engine, transfer: Transfer, as_of: dt.date | None = None) -> Trace:
    """The engine's trace of the rules' decision of ``transfer`` (hop by hop, onward
    legs included: docs/semantics.md, section 8a)."""
    return engine.trace(transfer, as_of)
