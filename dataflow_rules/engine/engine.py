"""The Engine: catalogues compiled once, then any number of transfers decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..catalogues import Policies
from ..models.decision import Decision, Verdict
from ..models.transfer import Transfer
from .compile import ANY, Side, SidePlan, compile_layers, compile_policies
from .decide import Firing, SideResult, combine_legs, decide
from .durable import RuleSet
from .facts import item_fact, side_base
from .legs import onward_hops

PlanKey = tuple[str, Side, str | None]
"""(jurisdiction, side, zone): a zone's layered plan, or the base plan with zone None."""


class Engine:
    """Owns the compiled rulesets for one set of policies.

    Safe to share between threads (calls into durable-rules are serialised) and cheap to
    call: compile once, decide many. ``unlisted`` is the verdict for a side whose country
    has no catalogue loaded: review by default, because its rules were not checked.
    """

    def __init__(self, policies: Policies, unlisted: Verdict = Verdict.REVIEW) -> None:
        self.policies = policies
        self.unlisted = unlisted
        self._plans: dict[PlanKey, SidePlan] = {
            (code, side, None): plan for (code, side), plan in compile_policies(policies).items()
        }
        for (code, zone), plan in compile_layers(policies).items():
            self._plans[(code, "outbound", zone)] = plan
        self._rulesets: dict[PlanKey, dict[str, list[RuleSet]]] = {}
        for n_plan, (key, plan) in enumerate(self._plans.items()):
            branches: dict[str, list[RuleSet]] = {}
            prefix = f"{key[0]}_{key[1]}" if key[2] is None else f"{key[0]}_{key[1]}_z{n_plan}"
            for n, chunk in enumerate(plan.chunks()):
                ruleset = RuleSet(chunk.rules, f"{prefix}_{n}", chunk.reads)
                branches.setdefault(chunk.branch, []).append(ruleset)
            self._rulesets[key] = branches

    @property
    def rule_count(self) -> int:
        return sum(rs.size for rs in self._all())

    def decide(self, transfer: Transfer, as_of: dt.date | None = None) -> Decision:
        """Decide one transfer as of ``as_of`` (default: the transfer's date, else today).

        A transfer with ``onward`` legs is decided leg by leg and combined
        (docs/semantics.md, section 8a)."""
        day = as_of or transfer.date or dt.date.today()
        first = self._leg(transfer, day)
        if not transfer.onward:
            return first
        parts: list[tuple[str | None, Decision]] = [(None, first)]
        for hop in onward_hops(self.policies, transfer):
            parts.append((hop.label, self._leg(hop.transfer, day, outbound_only=hop.outbound_only)))
        return combine_legs(transfer, day, parts)

    def _leg(self, transfer: Transfer, day: dt.date, outbound_only: bool = False) -> Decision:
        """One hop: the origin's outbound rules and the destination's inbound rules, each
        from the catalogue that covers the country (a member state: the EU's)."""
        j_origin = self.policies.jurisdiction_of(transfer.origin)
        j_destination = self.policies.jurisdiction_of(transfer.destination)
        if transfer.origin == transfer.destination or (j_origin is not None and j_origin == j_destination):
            return decide(
                self.policies, transfer, day, [], self.unlisted, domestic=j_origin or transfer.origin
            )
        sides: list[tuple[str, Side, SideResult | None]] = []
        pairs: list[tuple[str, str | None, Side]] = [
            (transfer.origin, j_origin, "outbound"),
            (transfer.destination, j_destination, "inbound"),
        ]
        for country, code, side in pairs[:1] if outbound_only else pairs:
            if code is None:
                sides.append((country, side, None))
                continue
            key: PlanKey = (code, side, None)
            zone = transfer.exporter.zone
            if side == "outbound" and zone is not None and (code, side, zone) in self._plans:
                key = (code, side, zone)
            sides.append((country, side, self._evaluate(self._plans[key], key, transfer, day)))
        return decide(self.policies, transfer, day, sides, self.unlisted)

    def decide_all(self, transfers: Iterable[Transfer], as_of: dt.date | None = None) -> Iterator[Decision]:
        for transfer in transfers:
            yield self.decide(transfer, as_of)

    def _evaluate(self, plan: SidePlan, key: PlanKey, transfer: Transfer, day: dt.date) -> SideResult:
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
