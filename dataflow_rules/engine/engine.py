"""The Engine: catalogues compiled once, then any number of transfers decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..catalogues import Policies
from ..models.decision import Assumption, Decision, Verdict
from ..models.facts import Facts
from ..models.transfer import Transfer
from .cases import MAX_BRANCHES, Option, analyse, count_ranges, open_facts
from .compile import ANY, DOMESTIC, Side, SidePlan, compile_domestic, compile_layers, compile_policies
from .counting import PriorItem, PriorSet, Tally, tally
from .decide import Firing, SideResult, combine_legs, decide
from .durable import RuleSet
from .facts import item_fact, side_base
from .legs import onward_hops
from .presume import apply_facts, presume, set_fact
from .unrecorded import unrecorded_assumptions

MAX_COUNT = 10_000_000_000
"""The largest count a transfer may state (models.transfer.Count)."""

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
        for code, plan in compile_domestic(policies).items():
            self._plans[(code, "outbound", DOMESTIC)] = plan
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

    def decide(
        self,
        transfer: Transfer,
        as_of: dt.date | None = None,
        prior: Sequence[PriorItem] = (),
        facts: Facts | None = None,
        today: dt.date | None = None,
        resolve: bool = True,
    ) -> Decision:
        """Decide one transfer as of ``as_of`` (default: the transfer's date, else today).

        ``prior``: data items of earlier transfers (a ledger of recorded decisions), added
        to this transfer's counts where a designation counts across transfers
        (docs/semantics.md, section 3a). ``facts``: a facts file's facts, for what the
        transfer does not state. Facts still open are filled by the catalogues'
        presumptions, then decided value by value where that is bounded (sections 4a, 4b);
        every fact taken as given is listed in ``assumptions``. A transfer with ``onward``
        legs is decided leg by leg and combined (section 8a). ``today`` (default: the
        clock) marks a decision as of an earlier day ``retrospective``. ``resolve=False``
        stops after the rules themselves: no presumption, no case analysis (what ``explain``
        traces condition by condition)."""
        day = as_of or transfer.date or dt.date.today()
        transfer, stated = apply_facts(transfer, facts)
        first = self._decide_once(transfer, day, prior)
        decision = first
        assumed: list[Assumption] = []
        if resolve and open_facts(first):
            presumed, assumed = presume(self.policies, transfer, first)
            if assumed:
                decision = self._decide_once(presumed, day, prior)
                transfer = presumed
        if resolve and decision.verdict is not Verdict.RESTRICT and open_facts(decision):
            decision = analyse(
                self.policies.taxonomy,
                transfer,
                decision,
                lambda t: self._decide_once(t, day, prior),
                lambda t, i, unit: self._count_ranges(t, i, unit, day, prior),
            )
        if decision is not first:
            # What stood on stated facts stands: neither a presumption nor a case analysis
            # may lower the verdict below the findings that named no missing fact.
            floor = Verdict.strictest(
                [
                    r.verdict
                    for r in first.reasons
                    if r.kind not in ("missing_fact", "exemption", "green_lane")
                ]
            )
            if decision.verdict.rank < floor.rank:
                decision, assumed = first, []
        notes = [*stated, *assumed]
        if not isinstance(prior, PriorSet):  # no ledger read: say what that presumes (issue 19)
            notes += unrecorded_assumptions(self.policies, transfer, decision, day)
        update: dict[str, object] = {}
        if notes:
            update["assumptions"] = notes
        warnings = _date_warnings(self.policies, decision, day)
        if day < (today or dt.date.today()):
            update["retrospective"] = True
            warnings.append(
                f"Decided as of {day}, before the day it was made: this is what the law said then; "
                "no gate passes on a retrospective decision."
            )
        if warnings:
            update["warnings"] = [*decision.warnings, *warnings]
        return decision.model_copy(update=update) if update else decision

    def _count_ranges(
        self, transfer: Transfer, i: int, unit: str, day: dt.date, prior: Sequence[PriorItem]
    ) -> list[Option] | None:
        """The ranges of item ``i``'s open count within which no decision can change.

        Every total a rule compares is the other counts' total plus this one (the item
        must name no population another item or record shares, else it cannot be split
        exactly), so each bound ``b`` of every compiled count condition in that unit
        becomes a breakpoint ``b - others``; a safeguard's cap on individuals is one too."""
        item = transfer.data[i]
        if item.bulk:
            return None
        if item.population is not None and (
            any(o.population == item.population for j, o in enumerate(transfer.data) if j != i)
            or any(p.population == item.population for p in prior)
        ):
            return None
        zero = set_fact(transfer, f"data[{i}].{unit}", 0)
        starts: set[int] = set()
        for plan in self._relevant_plans(transfer):
            for key, prefix in plan.counts.items():
                if key.unit != unit:
                    continue
                others = tally(self.policies.taxonomy, key, zero, day, prior)
                if others.high != others.low:
                    return None  # another open part: not a single open count
                bounds = {
                    b
                    for rule in plan.rules.values()
                    for p, lo, hi in rule.counts
                    if p == prefix
                    for b in (lo, None if hi is None else hi + 1)
                    if b is not None
                }
                starts |= {b - others.low for b in bounds}
        if unit == "individuals":
            for s in transfer.safeguards:
                if s.scope.max_individuals is not None:
                    starts.add(s.scope.max_individuals + 1)
        options = count_ranges(starts, MAX_COUNT)
        return options if len(options) <= MAX_BRANCHES else None

    def _relevant_plans(self, transfer: Transfer) -> list[SidePlan]:
        """The plans a decision of ``transfer`` can read (every plan when it has onward legs)."""
        if transfer.onward:
            return list(self._plans.values())
        origin = self.policies.jurisdiction_of(transfer.origin)
        destination = self.policies.jurisdiction_of(transfer.destination)
        return [
            plan
            for (code, side, _), plan in self._plans.items()
            if (code == origin and side == "outbound") or (code == destination and side == "inbound")
        ]

    def _decide_once(self, transfer: Transfer, day: dt.date, prior: Sequence[PriorItem]) -> Decision:
        first = self._leg(transfer, day, prior)
        if not transfer.onward:
            return first
        parts: list[tuple[str | None, Decision]] = [(None, first)]
        for hop in onward_hops(self.policies, transfer):
            parts.append((hop.label, self._leg(hop.transfer, day, (), outbound_only=hop.outbound_only)))
        return combine_legs(transfer, day, parts)

    def _leg(
        self, transfer: Transfer, day: dt.date, prior: Sequence[PriorItem], outbound_only: bool = False
    ) -> Decision:
        """One hop: the origin's outbound rules and the destination's inbound rules, each
        from the catalogue that covers the country (a member state: the EU's)."""
        j_origin = self.policies.jurisdiction_of(transfer.origin)
        j_destination = self.policies.jurisdiction_of(transfer.destination)
        if transfer.origin == transfer.destination or (j_origin is not None and j_origin == j_destination):
            # Not a cross-border transfer; still, rules on who the recipient is apply
            # wherever it is (a designated covered person inside the United States).
            inside: list[tuple[str, Side, SideResult | None]] = []
            key: PlanKey = (j_origin or "", "outbound", DOMESTIC)
            if key in self._plans:
                inside.append(
                    (transfer.origin, "outbound", self._evaluate(self._plans[key], key, transfer, day, prior))
                )
            return decide(
                self.policies, transfer, day, inside, self.unlisted, domestic=j_origin or transfer.origin
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
            key = (code, side, None)
            zone = transfer.exporter.zone
            if side == "outbound" and zone is not None and (code, side, zone) in self._plans:
                key = (code, side, zone)
            sides.append((country, side, self._evaluate(self._plans[key], key, transfer, day, prior)))
        return decide(self.policies, transfer, day, sides, self.unlisted)

    def _evaluate(
        self, plan: SidePlan, key: PlanKey, transfer: Transfer, day: dt.date, prior: Sequence[PriorItem]
    ) -> SideResult:
        branches = self._rulesets[key]
        firings: list[Firing] = []
        tallies: dict[str, Tally] = {}
        if plan.rules:
            base, tallies = side_base(plan, self.policies.taxonomy, transfer, day, prior)
            for i, item in enumerate(transfer.data):
                fact = item_fact(plan, self.policies.taxonomy, base, item)
                root = item.category.split(".", 1)[0]
                for ruleset in (*branches.get(root, ()), *branches.get(ANY, ())):
                    firings.extend(Firing(plan.rules[name], i, fact) for name in ruleset.match(fact))
        return SideResult(plan, firings, tallies, prior)

    def stored_facts(self) -> int:
        """Facts left in the core across all rulesets: zero between decisions."""
        return sum(len(rs.stored_facts()) for rs in self._all())

    def close(self) -> None:
        for rs in self._all():
            rs.close()

    def _all(self) -> list[RuleSet]:
        return [rs for branches in self._rulesets.values() for sets in branches.values() for rs in sets]


def _date_warnings(policies: Policies, decision: Decision, day: dt.date) -> list[str]:
    """An as-of date before a deciding catalogue took effect decides by rules not yet law."""
    out = []
    for ref in decision.catalogues:
        loaded = policies.catalogues.get(ref.jurisdiction)
        if loaded is not None and day < loaded.catalogue.effective:
            out.append(
                f"As of {day}, before the {ref.jurisdiction} catalogue's effective date "
                f"{loaded.catalogue.effective}: its entries were not yet law, so the decision says little."
            )
    return out
