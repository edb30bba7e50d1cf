"""The engine's table of compiled plans, each compiled when first read.

A transfer reads two or three of the plans a set of policies compiles to (its origin's
outbound plan, its destination's inbound plan, perhaps a zone's or the domestic one), so a
``check`` of one file need not compile all of them: 18 plans and 391 rules for the shipped
catalogues were about a tenth of a cold ``check``'s CPU (28 ms). The table knows every key up front
(:func:`.compile.plan_keys`) and compiles a plan on first read, under a lock, so threads
sharing an engine compile each plan once. Iterating it, or :meth:`PlanTable.compile_all`,
compiles every plan: what the eager engine did, and where a compile error of any plan
surfaces."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from ..models.policies import Policies
from .compile import DOMESTIC, PlanKey, SidePlan, compile_plan, plan_keys


class PlanTable(Mapping[PlanKey, SidePlan]):
    """``{plan key: SidePlan}``, compiled on first read; a domestic key whose plan holds no
    rules is not in the table (as an eager engine never stored it)."""

    def __init__(self, policies: Policies, lock: threading.RLock) -> None:
        self._policies = policies
        self._lock = lock
        self._keys = tuple(plan_keys(policies))
        self._index = {key: n for n, key in enumerate(self._keys)}
        self._compiled: dict[PlanKey, SidePlan | None] = {}

    def keys_listed(self) -> tuple[PlanKey, ...]:
        """Every key, a domestic one perhaps with an empty plan (nothing is compiled)."""
        return self._keys

    def index(self, key: PlanKey) -> int:
        """The key's place among every key: stable whichever plans were compiled first, so a
        ruleset's label does not depend on the order decisions came in."""
        return self._index[key]

    def _get(self, key: PlanKey) -> SidePlan | None:
        try:
            return self._compiled[key]
        except KeyError:
            pass
        if key not in self._index:
            return None
        with self._lock:
            if key not in self._compiled:
                self._compiled[key] = compile_plan(self._policies, key)
            return self._compiled[key]

    def __getitem__(self, key: PlanKey) -> SidePlan:
        plan = self._get(key)
        if plan is None:
            raise KeyError(key)
        return plan

    def __contains__(self, key: object) -> bool:
        if key not in self._index:
            return False
        assert isinstance(key, tuple)
        # Only a domestic plan can be empty: another key is present without compiling it.
        return key[2] != DOMESTIC or self._get(key) is not None

    def __iter__(self) -> Iterator[PlanKey]:
        return iter([key for key in self._keys if key in self])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def compile_all(self) -> None:
        """Compile every plan now (the first compile error raises here)."""
        for key in self._keys:
            self._get(key)
