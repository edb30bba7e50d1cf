"""The Engine: catalogues compiled once, then any number of transfers decided."""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ..errors import EngineError
from ..models.decision import Assumption, Decision, Verdict
from ..models.policies import Policies
from ..models.transfer import DataItem, Transfer, updated
from .cases import (
    MAX_BRANCHES,
    Option,
    analyse,
    bound_matters,
    by_purpose,
    by_totals,
    count_ranges,
    open_facts,
)
from .compile import DOMESTIC, PlanKey, Rule, Side, SidePlan
from .counting import CountKey, PriorItem, PriorSet, Tally, since_words, tally
from .decide import Firing, Lack, Outline, SideResult, combine_legs, combine_outlines, decide, outline
from .durable import RuleSet
from .facts import Totals, item_properties, side_base, side_key
from .legs import Hop, onward_hops
from .plans import PlanTable
from .presume import apply_facts, bound_assumptions, presume_lacking, set_fact
from .scope import apply_scopes, rule_out, scope_warnings
from .unrecorded import unlisted_assumptions, unrecorded_assumptions
from .volume import Total, total_ranges, volume_notes, volume_of

if TYPE_CHECKING:  # traces are built only by Engine.trace (explain, coverage): imported then
    from ..models.facts import Facts  # a facts file's model: built only when one is read
    from .trace import Leg, SideTrace, Trace

MAX_COUNT = 10_000_000_000
"""The largest count a transfer may state (models.transfer.Count)."""


class _Sides:
    """One plan's side evaluations in one decision, each with the transfer it was made
    from (kept alive for the ids its :func:`facts.side_key` holds). The first is kept
    without a key: most decisions evaluate a side once, and make none. Once the side is
    evaluated again, every evaluation is found by its key in a dict: a case analysis of up
    to ``MAX_BRANCHES`` branches looks its earlier evaluations up once each, instead of
    comparing its key with every one of them (quadratic in the branches)."""

    __slots__ = ("first", "keyed")

    def __init__(self, transfer: Transfer, result: SideResult) -> None:
        self.first = (transfer, result)
        self.keyed: dict[tuple[Any, ...], tuple[Transfer, SideResult]] | None = None


_Hop = tuple[str | None, Transfer, list[tuple[str, Side, SideResult | None]], str | None, Hop | None]
"""One hop of a transfer (Engine._hops): its label, its transfer, its evaluated sides, the
jurisdiction it stays in, and the onward hop it is (None: the first)."""


_Asks = tuple[dict[str, int], tuple[tuple[RuleSet, "_Payload", str], ...]]
"""An item's own fact properties; each ruleset asked, its payload, the item's part of the text."""


_Route = tuple[str | None, tuple[tuple[str, Side, tuple[PlanKey, SidePlan] | None], ...]]
"""A hop's route (Engine._route): the jurisdiction it stays in, each side's plan."""


class _Memo:
    """What one decision has evaluated so far, shared by its branches (presumptions, case
    analysis, the purposes of a bound): each plan's side evaluations, compared by
    :func:`facts.side_key`, and each total by (count key, :func:`facts.counts_key`). Each
    entry keeps the transfer it was made from alive, for the ids its key holds."""

    __slots__ = ("sides", "totals")

    def __init__(self) -> None:
        self.sides: dict[PlanKey, _Sides] = {}
        self.totals: Totals = {}


class Engine:
    """Owns the compiled rulesets for one set of policies.

    Safe to share between threads (calls into durable-rules are serialised) and cheap to
    call: compile once, decide many. ``unlisted`` is the verdict for a side whose country
    has no catalogue loaded (``--unlisted``). None, the default: an origin with none is
    review, because its rules were not checked; a destination with none is taken to place
    no conditions on receiving data, stated as an assumption (docs/semantics.md, section 2).
    """

    def __init__(self, policies: Policies, unlisted: Verdict | None = None, *, lazy: bool = False) -> None:
        """``lazy``: compile each plan and its rulesets on the first decision that reads it
        (``check`` of a file reads two or three of the shipped catalogues' 16 plans), not
        all of them here; a compile error then surfaces on the first decision reading that
        plan. ``rule_count`` and ``stored_facts`` compile every plan either way."""
        self.policies = policies
        self.unlisted = unlisted
        self._lock = threading.RLock()
        """Held while a plan or its rulesets are compiled (engine/plans.py)."""
        self._plans = PlanTable(policies, self._lock)
        self._rulesets: dict[PlanKey, list[tuple[RuleSet, frozenset[str | None]]]] = {}
        """Per plan compiled so far, its rulesets and the rule categories each holds."""
        self._payloads: dict[int, _Payload] = {}
        """id(ruleset) -> how to write the facts it reads."""
        self._asked: dict[tuple[PlanKey, str], tuple[RuleSet, ...]] = {}
        """(plan, an item's category) -> the rulesets its fact is asserted into (memoised)."""
        self._relevant: dict[tuple[str | None, str | None], tuple[SidePlan, ...]] = {}
        """(origin's jurisdiction, destination's) -> the plans a decision between them can
        read (:meth:`_relevant_plans`, asked several times a decision)."""
        if not lazy:
            self._compile_all()

    def _compile_all(self) -> None:
        """Every plan and its rulesets, in the order of :func:`.compile.plan_keys`."""
        for key in self._plans:
            self._sets(key)

    def _sets(self, key: PlanKey) -> list[tuple[RuleSet, frozenset[str | None]]]:
        """The rulesets of plan ``key``, built on first use (once, whichever thread asks)."""
        sets = self._rulesets.get(key)
        if sets is not None:
            return sets
        with self._lock:
            if key in self._rulesets:
                return self._rulesets[key]
            plan = self._plans[key]
            sets = []
            n_plan = self._plans.index(key)
            prefix = f"{key[0]}_{key[1]}" if key[2] is None else f"{key[0]}_{key[1]}_z{n_plan}"
            for n, chunk in enumerate(plan.chunks()):
                ruleset = RuleSet(chunk.rules, f"{prefix}_{n}", chunk.reads)
                sets.append((ruleset, chunk.categories))
                rules = [plan.rules[name] for name in chunk.rules]
                self._payloads[id(ruleset)] = _Payload.of(ruleset, plan.item_properties(), rules)
            self._rulesets[key] = sets
            return sets

    def _rulesets_for(self, key: PlanKey, plan: SidePlan, category: str) -> tuple[RuleSet, ...]:
        """The rulesets holding a rule an item of ``category`` can meet."""
        found = self._asked.get((key, category))
        if found is None:
            related = plan.related_categories(self.policies.taxonomy, category)
            found = tuple(rs for rs, held in self._sets(key) if held & related)
            self._asked[(key, category)] = found
        return found

    @cached_property
    def _item_asks(self) -> dict[tuple[PlanKey, str, bool | None], _Asks]:
        """(plan, an item's category, its anonymised flag) -> :meth:`_ask` (memoised: the
        item's own properties and its part of each fact's text depend on these alone)."""
        return {}

    def _ask(self, key: PlanKey, plan: SidePlan, item: DataItem) -> _Asks:
        """An item's own fact properties, and each ruleset its fact is asserted into with
        the ruleset's payload and the item's part of the fact's text (written once, not
        once per item and side evaluated)."""
        own = item_properties(plan, self.policies.taxonomy, item)
        payloads = self._payloads
        asked = tuple(
            (rs, payloads[id(rs)], payloads[id(rs)].tail(own))
            for rs in self._rulesets_for(key, plan, item.category)
        )
        made = self._item_asks[(key, item.category, item.anonymised)] = (own, asked)
        return made

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
        notes: bool = True,
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
        traces condition by condition). ``notes=False`` leaves out what only describes the
        decision (its assumptions, the warnings added once its verdict is reached, the
        retrospective flag): the same verdict, reasons, catalogues, conditions and cases,
        for a caller that reads nothing else (``diff`` compares verdicts and reasons; the
        ledger presumption behind the notes is a tenth of a decision)."""
        day, transfer, stated = self._stated(transfer, as_of, facts)
        bounded = transfer.purpose_bound is not None and transfer.purpose is None
        memo = _Memo()
        decision, assumed, transfer = self._resolve(transfer, day, prior, resolve, memo)
        if (
            bounded
            and resolve
            and decision.verdict is not Verdict.ALLOW
            and bound_matters(transfer, self._relevant_plans(transfer), decision)
        ):
            # A purpose bound (a Fides data use): each of its purposes decided as if stated,
            # and combined (issue 19; docs/semantics.md, 4b).
            decision, assumed = by_purpose(
                self.policies.taxonomy,
                transfer,
                decision,
                assumed,
                lambda t: self._resolve(t, day, prior, True, memo)[:2],
            )
        if not notes:
            return decision
        said_of = [*stated, *assumed]
        if volume_of(transfer) is not None:
            more, said = volume_notes(
                self.policies.taxonomy, transfer, self._relevant_plans(transfer), day, prior
            )
            said_of += more
            if said:
                decision = updated(decision, {"warnings": [*decision.warnings, *said]})
        return self._annotate(decision, said_of, day, today, transfer, prior)

    def _stated(
        self, transfer: Transfer, as_of: dt.date | None, facts: Facts | None
    ) -> tuple[dt.date, Transfer, list[Assumption]]:
        """The day decided as of; the transfer with the facts file's facts where it states
        none; what was taken from the file, and the purpose bound as an assumption when a
        rule read looks at the purpose (decide and trace start alike)."""
        day = as_of or transfer.date or dt.date.today()
        transfer, stated = apply_facts(transfer, facts, self.policies.taxonomy.purposes)
        transfer, scoped = apply_scopes(self.policies, transfer)  # stated facts the law rules out
        stated += scoped
        if transfer.purpose_bound is not None and transfer.purpose is None:
            # (checked first: no cost for transfers without a bound)
            stated += bound_assumptions(
                transfer, self._relevant_plans(transfer), self.policies.taxonomy.purposes
            )
        return day, transfer, stated

    def _resolve(
        self,
        transfer: Transfer,
        day: dt.date,
        prior: Sequence[PriorItem],
        resolve: bool,
        memo: _Memo,
    ) -> tuple[Decision, list[Assumption], Transfer]:
        """The rules' decision, then (``resolve``) the presumptions and the case analysis of
        what stays open; the presumptions used; the transfer as presumed. ``memo``: this
        decision's side evaluations so far, shared by its branches (:meth:`_evaluate`)."""
        hops = list(self._hops(transfer, day, prior, None, memo))
        parts = self._hop_outlines(day, hops)
        shape = combine_outlines(parts)
        given = transfer
        # The rules' decision is written only when it is returned or analysed: one that a
        # presumption replaces is read only through its outline (verdict, floor, missing
        # facts), which is all the branching reads of it.
        first: Decision | None = None
        decision: Decision | None = None
        assumed: list[Assumption] = []
        open_at = hops, parts
        if resolve and shape.lacking:
            transfer, ruled, lacking = rule_out(self.policies, transfer, _as_paths(hops, parts))
            presumed, assumed = presume_lacking(self.policies, transfer, lacking, day)
            assumed = [*ruled, *assumed]
            if assumed:
                now = list(self._hops(presumed, day, prior, None, memo))
                decision = self._written(presumed, day, now)
                transfer = presumed
                if transfer.onward:  # the open facts' paths are read from the presumed hops
                    open_at = now, self._hop_outlines(day, now)
        if decision is None:
            decision = first = self._written(given, day, hops)
        if resolve and decision.verdict is not Verdict.RESTRICT and open_facts(decision):
            decision = analyse(
                self.policies.taxonomy,
                transfer,
                decision,
                lambda t: self._decide_once(t, day, prior, memo=memo),
                lambda t, i, unit: self._count_ranges(t, i, unit, day, prior),
                lambda t: self._verdict_once(t, day, prior, memo),
                _open_paths(*open_at) if transfer.onward else None,
            )
            if decision.verdict is Verdict.REVIEW and volume_of(transfer) is not None:
                totals = self._capped_totals(transfer, day, prior)
                if totals:
                    decision = by_totals(
                        transfer,
                        decision,
                        totals,
                        lambda t: self._decide_once(t, day, prior, memo=memo),
                        lambda t: self._verdict_once(t, day, prior, memo),
                    )
        # What stood on stated facts stands: neither a presumption nor a case analysis may
        # lower the verdict below the findings that named no missing fact (the floor).
        if decision is not first and decision.verdict.rank < shape.floor.rank:
            decision, assumed = first or self._written(given, day, hops), []
        return decision, assumed, transfer

    def _annotate(
        self,
        decision: Decision,
        notes: list[Assumption],
        day: dt.date,
        today: dt.date | None,
        transfer: Transfer,
        prior: Sequence[PriorItem],
    ) -> Decision:
        """The facts taken as given, and the warnings about the as-of date."""
        if not isinstance(prior, PriorSet):  # no ledger read: say what that presumes (issue 19)
            notes = [*notes, *unrecorded_assumptions(self.policies, transfer, decision, day)]
        elif prior.pooled and any(r.counted_with for r in decision.reasons):
            notes = [*notes, POOLED]
        elif any(r.counted_with for r in decision.reasons):  # names that look alike, said
            notes = [*notes, *prior.look_alikes()]
        if self.unlisted is None:
            notes = [*notes, *unlisted_assumptions(decision)]
        update: dict[str, object] = {}
        if notes:
            update["assumptions"] = notes
        warnings = [*scope_warnings(notes), *_date_warnings(self.policies, decision, day)]
        if day < (today or dt.date.today()):
            update["retrospective"] = True
            warnings.append(
                f"Decided as of {day}, before the day it was made: this is what the law said then; "
                "no gate passes on a retrospective decision."
            )
        if warnings:
            update["warnings"] = [*decision.warnings, *warnings]
        return updated(decision, update) if update else decision

    def trace(
        self,
        transfer: Transfer,
        as_of: dt.date | None = None,
        prior: Sequence[PriorItem] = (),
        facts: Facts | None = None,
        today: dt.date | None = None,
    ) -> Trace:
        """The rules' own decision of ``transfer`` (``decide(resolve=False)``) with its
        trace: hop by hop and side by side, every compiled rule on every item's fact,
        whether durable-rules fired it, each condition held, failed or unknown against the
        fact document asserted, and what became of every finding. ``explain``, remediation
        and ``test --coverage`` read this; none of them re-implements a rule."""
        day, transfer, stated = self._stated(transfer, as_of, facts)
        from .trace import Trace

        legs: list[Leg] = []
        decision = self._annotate(
            self._decide_once(transfer, day, prior, legs), stated, day, today, transfer, prior
        )
        return Trace(transfer.id, day, legs, decision)

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
            or (
                prior.names_population(item.population)
                if isinstance(prior, PriorSet)
                else any(p.population == item.population for p in prior)
            )
        ):
            return None
        zero = set_fact(transfer, f"data[{i}].{unit}", 0)
        starts: set[int] = set()
        most = MAX_COUNT
        bounded = volume_of(transfer) is not None
        totals: list[tuple[Collection[int], Tally]] = []
        for plan in self._relevant_plans(transfer):
            dormant = plan.dormant_counts(day)
            for key, prefix in plan.counts.items():
                if key.unit != unit or prefix in dormant:
                    continue
                others = tally(self.policies.taxonomy, key, zero, day, prior)
                totals.append((plan.count_bounds.get(prefix, ()), others))
                if bounded:
                    # The organisation's volume caps this total: the count is at most what
                    # the cap leaves over the others' stated part (engine/volume.py).
                    whole = tally(self.policies.taxonomy, key, transfer, day, prior)
                    if whole.volume and whole.high is not None and i in whole.items:
                        most = min(most, max(whole.high - others.low, 0))
        for bounds, others in totals:
            if others.high != others.low:
                # Another open part: no single open count, unless (within a volume bound)
                # no bound of this total lies in the range it can take at all.
                top = others.most + most
                if not bounded or any(others.least < b <= top for b in bounds):
                    return None
                continue
            starts |= {b - others.low for b in bounds}
        if unit == "individuals":
            for s in transfer.safeguards:
                if s.scope.max_individuals is not None:
                    starts.add(s.scope.max_individuals + 1)
        options = count_ranges(starts, most)
        return options if len(options) <= MAX_BRANCHES else None

    def _capped_totals(self, transfer: Transfer, day: dt.date, prior: Sequence[PriorItem]) -> list[Total]:
        """The individuals totals a volume bound caps that are still open, each with its
        ranges between the stated counts and the cap, split at every bound a rule of a
        relevant plan compares it with (what :func:`cases.by_totals` decides over)."""
        taxonomy = self.policies.taxonomy
        found: dict[CountKey, tuple[Tally, set[int]]] = {}
        for plan in self._relevant_plans(transfer):
            dormant = plan.dormant_counts(day)
            for key, prefix in plan.counts.items():
                if key.unit != "individuals" or prefix in dormant:
                    continue
                t = tally(taxonomy, key, transfer, day, prior)
                if t.high == t.low or not t.volume or t.high is None:
                    continue
                found.setdefault(key, (t, set()))[1].update(plan.count_bounds.get(prefix, ()))
        out: list[Total] = []
        for key, (t, points) in found.items():
            assert t.high is not None
            options = total_ranges(t.low, t.high, points)
            if len(options) > 1:
                names = (
                    ", ".join(key.categories or ())
                    if key.categories and len(key.categories) <= 3
                    else (f"{len(key.categories or ())} categories")
                )
                since = since_words(key.window)
                out.append((key, f"individuals of {names} {since}", options))
        return out

    def _relevant_plans(self, transfer: Transfer) -> Sequence[SidePlan]:
        """The plans a decision of ``transfer`` can read (every plan when it has onward legs)."""
        if transfer.onward:
            return tuple(self._plans.values())
        pair = (
            self.policies.jurisdiction_of(transfer.origin),
            self.policies.jurisdiction_of(transfer.destination),
        )
        found = self._relevant.get(pair)
        if found is None:
            origin, destination = pair
            wanted = [
                key
                for key in self._plans.keys_listed()
                if (key[0] == origin and key[1] == "outbound")
                or (key[0] == destination and key[1] == "inbound")
            ]
            found = self._relevant[pair] = tuple(self._plans[key] for key in wanted if key in self._plans)
        return found

    def _decide_once(
        self,
        transfer: Transfer,
        day: dt.date,
        prior: Sequence[PriorItem],
        record: list[Leg] | None = None,
        memo: _Memo | None = None,
    ) -> Decision:
        """``record``: where to append each hop's trace (None: no trace is built)."""
        return self._written(transfer, day, self._hops(transfer, day, prior, record, memo))

    def _written(self, transfer: Transfer, day: dt.date, hops: Iterable[_Hop]) -> Decision:
        """The decision with its reasons, from each hop's evaluated sides."""
        parts: list[tuple[str | None, Decision]] = [
            (label, decide(self.policies, hop, day, sides, self.unlisted, domestic=domestic))
            for label, hop, sides, domestic, _ in hops
        ]
        return parts[0][1] if not transfer.onward else combine_legs(transfer, day, parts)

    def _outline(self, transfer: Transfer, day: dt.date, hops: Iterable[_Hop]) -> Outline:
        """:meth:`_written`'s :class:`.decide.Outline`, without writing a reason."""
        return combine_outlines(self._hop_outlines(day, hops))

    def _hop_outlines(self, day: dt.date, hops: Iterable[_Hop]) -> list[Outline]:
        """Each hop's :class:`.decide.Outline`, in order."""
        return [
            outline(self.policies, hop, day, sides, self.unlisted, domestic=domestic)
            for _, hop, sides, domestic, _ in hops
        ]

    def _verdict_once(
        self, transfer: Transfer, day: dt.date, prior: Sequence[PriorItem], memo: _Memo | None = None
    ) -> Verdict:
        """``_decide_once(...).verdict``, without writing a reason or the decision: what the
        branches of a case analysis are compared by (their reasons are needed only when
        every branch agrees)."""
        return self._outline(transfer, day, self._hops(transfer, day, prior, None, memo)).verdict

    def _hops(
        self,
        transfer: Transfer,
        day: dt.date,
        prior: Sequence[PriorItem],
        record: list[Leg] | None,
        memo: _Memo | None,
    ) -> Iterator[_Hop]:
        """Each hop's (label, transfer, evaluated sides, the jurisdiction it stays in): the
        transfer itself, then each onward leg (section 8a), one at a time."""
        yield (None, transfer, *self._leg(transfer, day, prior, record=record, memo=memo), None)
        if not transfer.onward:
            return
        for hop in onward_hops(self.policies, transfer):
            sides, domestic = self._leg(
                hop.transfer,
                day,
                (),
                outbound_only=hop.outbound_only,
                record=record,
                label=hop.label,
                memo=memo,
            )
            yield hop.label, hop.transfer, sides, domestic, hop

    def _leg(
        self,
        transfer: Transfer,
        day: dt.date,
        prior: Sequence[PriorItem],
        outbound_only: bool = False,
        record: list[Leg] | None = None,
        label: str | None = None,
        memo: _Memo | None = None,
    ) -> tuple[list[tuple[str, Side, SideResult | None]], str | None]:
        """One hop: the origin's outbound rules and the destination's inbound rules, each
        from the catalogue that covers the country (a member state: the EU's), evaluated;
        and the jurisdiction the hop stays in (None: it crosses a border)."""
        tracing = record is not None
        origin, destination = transfer.origin, transfer.destination
        route = self._routes.get((origin, destination, transfer.exporter.zone, outbound_only))
        if route is None:
            route = self._route(origin, destination, transfer.exporter.zone, outbound_only)
        stays, stops = route
        sides: list[tuple[str, Side, SideResult | None]] = [
            (
                country,
                side,
                None
                if read is None
                else self._evaluate(read[1], read[0], transfer, day, prior, tracing, memo),
            )
            for country, side, read in stops
        ]
        if record is not None:
            from .trace import Leg

            record.append(Leg(label, origin, destination, stays, _traces(sides)))
        return sides, stays

    @cached_property
    def _routes(self) -> dict[tuple[str, str, str | None, bool], _Route]:
        """(origin, destination, exporter's zone, outbound only) -> :meth:`_route` (memoised)."""
        return {}

    def _route(self, origin: str, destination: str, zone: str | None, outbound_only: bool) -> _Route:
        """Which plans one hop reads: the jurisdiction it stays in (None: it crosses a
        border), and each side's (country, side, (plan key, plan)); a side whose country no
        catalogue covers has none. Made once per route: it reads only the
        countries, the exporter's zone and the loaded catalogues."""
        j_origin = self.policies.jurisdiction_of(origin)
        j_destination = self.policies.jurisdiction_of(destination)
        stops: list[tuple[str, Side, tuple[PlanKey, SidePlan] | None]] = []
        if origin == destination or (j_origin is not None and j_origin == j_destination):
            # Not a cross-border transfer; still, rules on who the recipient is apply
            # wherever it is (a designated covered person inside the United States).
            key: PlanKey = (j_origin or "", "outbound", DOMESTIC)
            if key in self._plans:
                stops.append((origin, "outbound", (key, self._plans[key])))
            route: _Route = (j_origin or origin, tuple(stops))
        else:
            pairs: list[tuple[str, str | None, Side]] = [
                (origin, j_origin, "outbound"),
                (destination, j_destination, "inbound"),
            ]
            for country, code, side in pairs[:1] if outbound_only else pairs:
                if code is None:
                    stops.append((country, side, None))
                    continue
                key = (code, side, None)
                if side == "outbound" and zone is not None and (code, side, zone) in self._plans:
                    key = (code, side, zone)
                stops.append((country, side, (key, self._plans[key])))
            route = (None, tuple(stops))
        if len(self._routes) >= 65_536:  # (bounded whatever countries a corpus names)
            self._routes.clear()
        self._routes[(origin, destination, zone, outbound_only)] = route
        return route

    def _evaluate(
        self,
        plan: SidePlan,
        key: PlanKey,
        transfer: Transfer,
        day: dt.date,
        prior: Sequence[PriorItem],
        tracing: bool = False,
        memo: _Memo | None = None,
    ) -> SideResult:
        """One side of one hop: each item's fact matched by durable-rules. ``memo``: the
        side evaluations of this decision so far, by :func:`facts.side_key`; a branch that
        changes only facts this side does not read gets the evaluation (and, once built,
        the reasons) of an earlier branch."""
        earlier: _Sides | None = None
        mine: tuple[Any, ...] = ()
        keyed: dict[tuple[Any, ...], tuple[Transfer, SideResult]] | None = None
        remember = memo is not None and not tracing
        if memo is not None and remember:
            earlier = memo.sides.get(key)
            if earlier is not None:  # a branch: keys are made only when a side is evaluated again
                mine = side_key(plan, transfer, day, prior)
                keyed = earlier.keyed
                if keyed is None:
                    keyed = earlier.keyed = {side_key(plan, earlier.first[0], day, prior): earlier.first}
                found = keyed.get(mine)
                if found is not None:
                    return found[1]
        firings: list[Firing] = []
        tallies: dict[str, Tally] = {}
        cat = plan.loaded.catalogue
        side_trace: SideTrace | None = None
        if tracing:
            from .trace import SideTrace, describe

            side_trace = SideTrace(cat.jurisdiction, plan.side, True, catalogue=cat)
        if plan.rules:
            totals = memo.totals if memo is not None else None
            base, tallies = side_base(plan, self.policies.taxonomy, transfer, day, prior, totals)
            heads: dict[int, str] = {}
            """Per ruleset, the JSON members of the side-wide properties it reads: written
            once per side, not once per item."""
            rules, asks = plan.rules, self._item_asks
            for i, item in enumerate(transfer.data):
                held = asks.get((key, item.category, item.anonymised))
                if held is None:
                    held = self._ask(key, plan, item)
                own, asked = held
                fact: dict[str, Any] | None = None
                fired: set[str] | None = None if side_trace is None else set()
                for ruleset, payload, tail in asked:
                    head = heads.get(id(ruleset))
                    if head is None:
                        head = heads[id(ruleset)] = payload.head(base)
                    names = ruleset.match_body(f"{head},{tail}" if head and tail else head or tail)
                    if names:
                        if fact is None:
                            fact = {**base, **own}
                        firings += [Firing(rules[name], i, fact) for name in names]
                        if fired is not None:
                            fired.update(names)
                if side_trace is not None and fired is not None:
                    if fact is None:
                        fact = {**base, **own}
                    evaluated = {n for rs, _, _ in asked for n in rs.rules}
                    # Every rule of the plan on this fact: those asked with durable-rules'
                    # answer, the others (in no ruleset holding a category related to the
                    # item's) described, not fired.
                    side_trace.attempts += [
                        describe(rule, i, fact, tallies, transfer, name in fired, name in evaluated)
                        for name, rule in plan.rules.items()
                    ]
        result = SideResult(plan, firings, tallies, prior, side_trace)
        if keyed is not None:
            keyed[mine] = (transfer, result)  # (the transfer keeps what the key names by id)
        elif memo is not None and remember:
            memo.sides[key] = _Sides(transfer, result)
        return result

    def stored_facts(self) -> int:
        """Facts left in the core across all rulesets: zero between decisions."""
        return sum(len(rs.stored_facts()) for rs in self._all())

    def close(self) -> None:
        """Free every ruleset built so far (a lazy engine's unread plans have none)."""
        with self._lock:
            built = [rs for sets in self._rulesets.values() for rs, _ in sets]
        for rs in built:
            rs.close()

    def _all(self) -> list[RuleSet]:
        """Every ruleset of every plan (a lazy engine compiles what it has not yet)."""
        self._compile_all()
        return [rs for sets in self._rulesets.values() for rs, _ in sets]


@dataclass(frozen=True)
class _Payload:
    """How to write the fact one ruleset reads as JSON members, fast: the side-wide
    properties through one %-template (every fact value is an integer), the item's own
    (few, and sparse: an absent category flag is not sent) one by one.

    Side-wide properties that a rule of the ruleset compares by order (``day``, the count
    totals ``g0mx``/``g0mn``) are *quantised* before they are written: each value is
    replaced by the least value of its interval among the breakpoints of every condition
    the ruleset's rules make on that property (``>= b``: b; ``<= b``: b + 1; ``== b`` and
    ``!= b``: b and b + 1; below the first breakpoint: one less than it). Every comparison
    the rules make has the same truth on a whole interval, so the quantised fact fires
    exactly the rules the real one does (tests/test_match_memo.py), and transfers whose
    counts and dates differ only within intervals send the same text: the ruleset's memo
    (durable.py) answers them without the core. Firings keep the real fact."""

    template: str
    side_keys: tuple[str, ...]
    item_keys: frozenset[str]
    ordered: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """(position in ``side_keys``, sorted breakpoints) of each quantised property."""

    @staticmethod
    def of(ruleset: RuleSet, item_properties: frozenset[str], rules: Sequence[Rule] = ()) -> _Payload:
        side = tuple(k for k in ruleset.reads if k not in item_properties)
        template = ",".join(f'"{k}":%d' for k in side)
        points = breakpoints(rules)
        ordered = tuple((n, points[k]) for n, k in enumerate(side) if k in points)
        return _Payload(template, side, frozenset(ruleset.reads) & item_properties, ordered)

    @cached_property
    def _get(self) -> Callable[[Mapping[str, Any]], Any]:
        return itemgetter(*self.side_keys)

    def head(self, base: Mapping[str, Any]) -> str:
        if not self.side_keys:
            return ""
        try:
            got = self._get(base)
            values = list(got) if len(self.side_keys) > 1 else [got]
            for n, points in self.ordered:
                k = bisect_right(points, values[n])
                values[n] = points[k - 1] if k else points[0] - 1
            return self.template % tuple(values)
        except (KeyError, TypeError):
            raise EngineError(f"a fact property is missing or not an integer: {self.side_keys}") from None

    def tail(self, own: Mapping[str, int]) -> str:
        """The item's own properties this ruleset reads, as JSON members."""
        return ",".join([f'"{k}":{v:d}' for k, v in own.items() if k in self.item_keys])

    def body(self, head: str, own: Mapping[str, int]) -> str:
        tail = self.tail(own)
        return f"{head},{tail}" if head and tail else head or tail


def breakpoints(rules: Sequence[Rule]) -> dict[str, tuple[int, ...]]:
    """Per fact property that some rule compares by order (``>=``, ``<=``, ``between``), the
    points where any comparison of ``rules`` on it can change its truth (see _Payload)."""
    ordered: set[str] = set()
    points: dict[str, set[int]] = {}
    for rule in rules:
        for c in rule.conditions:
            at = points.setdefault(c.fact, set())
            if c.op == ">=":
                at.add(c.bound)
            elif c.op == "<=":
                at.add(c.bound + 1)
            elif c.op == "between":
                at.add(c.bound)
                if c.upper is not None:
                    at.add(c.upper + 1)
            else:  # == and !=: the bound alone is an interval
                at.update((c.bound, c.bound + 1))
            if c.op in (">=", "<=", "between"):
                ordered.add(c.fact)
    return {prop: tuple(sorted(points[prop])) for prop in sorted(ordered)}


def _traces(sides: list[tuple[str, Side, SideResult | None]]) -> list[SideTrace]:
    """Each side's trace; a side without a catalogue is traced as not loaded."""
    from .trace import SideTrace

    out = []
    for country, side, result in sides:
        if result is None or result.trace is None:
            out.append(SideTrace(country, side, False))
        else:
            out.append(result.trace)
    return out


POOLED = Assumption(
    fact="exporter",
    value="any recorded exporter",
    source="ledger",
    sentence=(
        "The description states neither exporter.id nor exporter.name, so which earlier"
        " transfers are this exporter's cannot be told: every recorded exporter's transfers"
        " in the window were counted with this one (the stricter reading)."
    ),
    override="state exporter.id (or exporter.name) to count this exporter's own transfers only",
)
"""The assumption of a decision whose unnamed exporter was counted with every recorded one
(counting.Ledger.prior)."""


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


def _open_paths(hops: Sequence[_Hop], parts: Sequence[Outline]) -> list[str]:
    """The decision's open facts (:func:`.cases.open_facts`, in its order), each by its path
    in the whole transfer (:func:`_as_paths`): what a case analysis of a transfer with
    onward legs branches on, so that a fact an onward leg's own recipient lacks is tried on
    that recipient (``onward[0].recipient.type``), not on the first one, which may have
    stated it."""
    out: dict[str, None] = {}
    for _, missing in _as_paths(hops, parts):
        out.update(dict.fromkeys(missing))
    return list(out)


def _as_paths(hops: Sequence[_Hop], parts: Sequence[Outline]) -> list[Lack]:
    """Each hop's open findings' (jurisdiction, facts lacking), the facts named by their
    paths in the whole transfer (:meth:`.legs.Hop.path`): an onward leg's recipient's
    ``recipient.designated`` is ``onward[0].recipient.designated``, so a presumption about
    the recipient is presumed of the leg's own recipient, where the leg's rule reads it,
    and the assumption names that path. The decision's reasons name a leg's facts as its
    own rules do, prefixed by the leg's label (docs/semantics.md, 8a)."""
    out: list[Lack] = []
    for (_, _, _, _, hop), part in zip(hops, parts, strict=True):
        if hop is None:
            out.extend(part.lacking)
        else:
            out.extend((code, tuple(hop.path(f) for f in missing)) for code, missing in part.lacking)
    return out
