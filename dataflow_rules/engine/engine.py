"""The Engine: catalogues compiled once, then any number of transfers decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..catalogues import Policies
from ..models.decision import Decision, Verdict
from ..models.transfer import Transfer
from .compile import ANY, Side, SidePlan, compile_policies
from .decide import Firing, SideResult, decide
from .durable import RuleSet
from .facts import item_fact, side_base


class Engine:
    """Owns the compiled rulesets for one set of policies.

    Safe to share between threads (calls into durable-rules are serialised) and cheap to
    call: compile once, decide many. ``unlisted`` is the verdict for a side whose country
    has no catalogue loaded: review by default, because its rules were not checked.
    """

    def __init__(self, policies: Policies, unlisted: Verdict = Verdict.REVIEW) -> None:
        self.policies = policies
        self.unlisted = unlisted
        self._plans = compile_policies(policies)
        self._rulesets: dict[tuple[str, Side], dict[str, list[RuleSet]]] = {}
        for key, plan in self._plans.items():
            branches: dict[str, list[RuleSet]] = {}
            for n, chunk in enumerate(plan.chunks()):
                ruleset = RuleSet(chunk.rules, f"{key[0]}_{key[1]}_{n}", chunk.reads)
                branches.setdefault(chunk.branch, []).append(ruleset)
            self._rulesets[key] = branches

    @property
    def rule_count(self) -> int:
        return sum(rs.size for rs in self._all())

    def decide(self, transfer: Transfer, as_of: dt.date | None = None) -> Decision:
        """Decide one transfer as of ``as_of`` (default: the transfer's date, else today)."""
        day = as_of or transfer.date or dt.date.today()
        sides: list[tuple[str, Side, SideResult | None]] = []
        if transfer.origin != transfer.destination:
            for code, side in ((transfer.origin, "outbound"), (transfer.destination, "inbound")):
                key: tuple[str, Side] = (code, side)  # type: ignore[assignment]
                plan = self._plans.get(key)
                sides.append(
                    (
                        code,
                        key[1],
                        None if plan is None else self._evaluate(plan, key, transfer, day),
                    )
                )
        return decide(self.policies, transfer, day, sides, self.unlisted)

    def decide_all(self, transfers: Iterable[Transfer], as_of: dt.date | None = None) -> Iterator[Decision]:
        for transfer in transfers:
            yield self.decide(transfer, as_of)

    def _evaluate(
        self, plan: SidePlan, key: tuple[str, Side], transfer: Transfer, day: dt.date
    ) -> SideResult:
        branches = self._rulesets[key]
        firings: list[Firing] = []
        if plan.rules:
            base = side_base(plan, transfer, day)
            for i, item in enumerate(transfer.data):
                fact = item_fact(plan, self.policies.taxonomy, base, item)
                root = item.category.split(".", 1)[0]
                for ruleset in (*branches.get(root, ()), *branches.get(ANY, ())):
                    firings.extend(Firing(plan.rules[name], i, fact) for name in ruleset.match(fact))
        return SideResult(plan, firings)

    def stored_facts(self) -> int:
        """Facts left in the core across all rulesets: zero between decisions."""
        return sum(len(rs.stored_facts()) for rs in self._all())

    def close(self) -> None:
        for rs in self._all():
            rs.close()

    def _all(self) -> list[RuleSet]:
        return [rs for branches in self._rulesets.values() for sets in branches.values() for rs in sets]
