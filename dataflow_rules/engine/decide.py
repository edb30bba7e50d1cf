"""From fired rules to a verdict with reasons: the aggregation of docs/semantics.md.

Pure Python over the engine's findings: which designation fired on which item, which
exemptions and green lanes fired on which item. Nothing here re-tests a condition; it
only reads which of the fact's properties were unstated.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from ..models.catalogue import Catalogue, Entry, Exemption, GreenLane, LocalisationEntry, alternatives
from ..models.decision import CatalogueRef, Decision, Reason, ReasonKind, SafeguardCheck, Verdict, built
from ..models.policies import Policies
from ..models.transfer import Transfer, updated
from .compile import Rule, Side, SidePlan
from .counting import CountKey, PriorItem, Tally, tally
from .safeguards import WARN_DAYS, evaluate

if TYPE_CHECKING:  # traces are built only when the engine traces (explain): imported then
    from .trace import Fate, SideTrace

_VERDICTS = {v.value: v for v in Verdict}
"""A verdict by its word (an enum call costs a lookup through the enum machinery)."""

_KIND_ORDER = {
    "localisation": 0,
    "entry": 1,
    "missing_fact": 2,
    "no_catalogue": 3,
    "safeguarded": 4,
    "exemption": 5,
    "green_lane": 6,
    "default": 7,
    "domestic": 8,
}


class Firing(NamedTuple):
    """One rule that fired on one data item's fact (a named tuple: several are made for
    every side evaluated, and a frozen dataclass's field-by-field ``__init__`` cost three
    times more)."""

    rule: Rule
    item: int
    fact: dict[str, Any]

    def missing(self, tallies: dict[str, Tally]) -> tuple[str, ...]:
        """The unstated facts this firing was let through on: its own open conditions and
        the open parts of any total whose bounds do not hold for certain."""
        out: list[str] = []
        for prop, label, unknown in self.rule.unknowns:
            if self.fact.get(prop) in unknown:
                out.append(label.format(i=self.item))
        # A dict keeps the order and the first of each: a total open on 1,000 earlier
        # records must not cost a million comparisons (ledger speed, issue 19).
        seen = dict.fromkeys(out)
        for prefix, lo, hi in self.rule.counts:
            t = tallies[prefix]
            if not t.certain(lo, hi):
                seen.update(dict.fromkeys(t.open_items))
        return tuple(seen)


class SideResult:
    """One side evaluated: its plan, the rules that fired on which item, the tallies behind
    its count properties, the earlier records counted, and (when the engine traces) its
    trace. A plain class with slots and its own ``__init__``, not a frozen dataclass: one
    is made for every side evaluated (several a decision), and the dataclass's
    field-by-field ``object.__setattr__`` cost more than the rest of making it. Nothing
    assigns its fields after it is made; ``cache`` is filled, never replaced."""

    __slots__ = ("cache", "firings", "plan", "prior", "tallies", "trace")

    def __init__(
        self,
        plan: SidePlan,
        firings: list[Firing],
        tallies: dict[str, Tally] | None = None,
        prior: Sequence[PriorItem] = (),
        trace: SideTrace | None = None,
    ) -> None:
        self.plan = plan
        self.firings = firings
        self.tallies: dict[str, Tally] = {} if tallies is None else tallies
        self.prior = prior
        self.trace = trace
        """Filled as the side is decided when the engine traces (Engine.trace)."""
        self.cache: dict[str, Any] = {}
        """What was made of the side once (untraced): its findings and its reasons, shared by
        the branches of one decision that share this evaluation (Engine._evaluate)."""


def decide(
    policies: Policies,
    transfer: Transfer,
    as_of: dt.date,
    sides: list[tuple[str, Side, SideResult | None]],
    unlisted: Verdict | None,
    domestic: str | None = None,
) -> Decision:
    """``domestic``: the jurisdiction both ends belong to (the same country, or two member
    states of one catalogue's ``covers``); its cross-border rules do not apply.
    ``unlisted``: the verdict for a side with no catalogue; None (the default) reviews an
    origin's and takes a destination's to restrict nothing (:func:`_no_catalogue`)."""
    reasons: list[tuple[tuple[Any, ...], Reason]] = []
    if domestic is None and transfer.origin == transfer.destination:
        domestic = transfer.origin
    if domestic is not None:
        reasons.append(((), _domestic(transfer, domestic)))
        # Rules on who the recipient is, read wherever it is: only their findings count.
        for _, _, result in sides:
            if result is not None:
                reasons.extend(
                    r for r in _side_reasons(policies, transfer, result, as_of) if r[1].kind != "default"
                )
    else:
        for code, side, result in sides:
            if result is None:
                reasons.append(((), _no_catalogue(code, side, transfer, unlisted)))
                continue
            found = _side_reasons(policies, transfer, result, as_of)
            early = _before_encoded(policies, result.plan.loaded.catalogue.jurisdiction, side, as_of)
            if early is not None:
                # The law then in force is not what the catalogue encodes: its default
                # cannot speak for that day, so the side is review; findings stay.
                found = [pair for pair in found if pair[1].kind != "default"] + [((), early)]
            reasons.extend(found)
    reasons.sort(key=_pair_order)
    ordered = [r for _, r in reasons]
    active = [r.verdict for r in ordered if r.kind not in ("exemption", "green_lane")]
    used: set[tuple[str, str | None]] = set()
    if domestic is not None:
        used.add((domestic, None))
    for _, _, result in sides:
        if result is not None:
            cat = result.plan.loaded.catalogue
            used |= {(cat.jurisdiction, None), (cat.jurisdiction, cat.zone)}
    refs = _refs(policies, used)
    relied = [(r, c) for r in ordered if r.kind == "safeguarded" for c in r.safeguards]
    conditions = sorted(
        {
            f"{c.mechanism} {c.reference} ({r.jurisdiction} {r.entry_id}, {_list([f'data[{i}]' for i in r.items])})"
            + (f", valid until {c.expires}" if c.expires else ", no expiry")
            for r, c in relied
        }
    )
    expiries = [c.expires for _, c in relied if c.expires is not None]
    warnings = sorted(
        {
            f"{c.mechanism} {c.reference} expires on {c.expires}, {(c.expires - as_of).days} days after "
            f"{as_of}: renew it before then"
            for _, c in relied
            if c.expires is not None and (c.expires - as_of).days <= WARN_DAYS
        }
    )
    values = {
        "transfer_id": transfer.id,
        "origin": transfer.origin,
        "destination": transfer.destination,
        "verdict": Verdict.strictest(active),
        "as_of": as_of,
        "reasons": ordered,
        "catalogues": refs,
        "conditions": conditions,
        "expires": min(expiries) if expiries else None,
        "warnings": warnings,
    }
    # Every value is the engine's own, of its field's type, in a list made here: built
    # without validation, but for a day that is not a plain date (a caller's datetime),
    # which validation turns into one.
    return built(Decision, values) if type(as_of) is dt.date else Decision(**values)


_REFS: dict[tuple[int, frozenset[tuple[str, str | None]]], tuple[Policies, list[CatalogueRef]]] = {}
"""(policies, catalogues used) -> their references: a handful of combinations per policies."""


def _refs(policies: Policies, used: set[tuple[str, str | None]]) -> list[CatalogueRef]:
    """The catalogues (and zone layers) that decided, base before layer (remembered per
    policies and set used; the references are frozen models, the list is the caller's)."""
    key = (id(policies), frozenset(used))
    held = _REFS.get(key)
    if held is not None and held[0] is policies:
        return list(held[1])
    if len(_REFS) >= 1024:
        _REFS.clear()
    refs = _make_refs(policies, used)
    _REFS[key] = (policies, refs)
    return list(refs)


def _make_refs(policies: Policies, used: set[tuple[str, str | None]]) -> list[CatalogueRef]:
    out: list[CatalogueRef] = []
    for code, zone in sorted(used, key=lambda u: (u[0], u[1] or "")):
        loaded = policies.catalogues.get(code) if zone is None else policies.layers.get((code, zone))
        if loaded is not None:
            version = loaded.catalogue.version + ("" if zone is None else f" (zone {zone})")
            out.append(CatalogueRef(jurisdiction=code, version=version, digest=loaded.digest))
    return out


def combine_legs(transfer: Transfer, as_of: dt.date, parts: list[tuple[str | None, Decision]]) -> Decision:
    """One decision from a transfer's legs (docs/semantics.md, section 8a): the strictest
    verdict; every leg's reasons, strictest first, an onward leg's sentences prefixed with
    the leg; conditions, warnings and catalogues from every leg; the earliest expiry."""
    reasons: list[tuple[int, int, Reason]] = []
    for n, (label, part) in enumerate(parts):
        for reason in part.reasons:
            if label is not None:
                reason = updated(reason, {"sentence": f"{label}: {reason.sentence}"})
            reasons.append((-reason.verdict.rank if _active(reason) else 0, n, reason))
    reasons.sort(key=lambda r: (r[0], r[1]))
    refs = {(r.jurisdiction, r.version): r for part in parts for r in part[1].catalogues}
    conditions = sorted({f"{label}: {c}" if label else c for label, part in parts for c in part.conditions})
    expiries = [part.expires for _, part in parts if part.expires is not None]
    return Decision(
        transfer_id=transfer.id,
        origin=transfer.origin,
        destination=transfer.destination,
        verdict=Verdict.strictest([part.verdict for _, part in parts]),
        as_of=as_of,
        reasons=[r for _, _, r in reasons],
        catalogues=[refs[k] for k in sorted(refs)],
        conditions=conditions,
        expires=min(expiries) if expiries else None,
        warnings=sorted({w for _, part in parts for w in part.warnings}),
    )


def _active(reason: Reason) -> bool:
    return reason.kind not in ("exemption", "green_lane")


def _pair_order(pair: tuple[tuple[Any, ...], Reason]) -> tuple[Any, ...]:
    """Where a (position, reason) pair goes among a decision's reasons: strictest first,
    outbound before inbound, by jurisdiction, by kind, then by place in the catalogue,
    items and entry id."""
    reason = pair[1]
    return (
        -reason.verdict.rank,
        0 if reason.side == "outbound" else 1,
        reason.jurisdiction,
        _KIND_ORDER[reason.kind],
        pair[0],
        reason.items,
        reason.entry_id or "",
    )


def _side_reasons(
    policies: Policies, transfer: Transfer, result: SideResult, as_of: dt.date
) -> list[tuple[tuple[Any, ...], Reason]]:
    held = result.cache.get("reasons")
    if held is not None:
        return held  # type: ignore[no-any-return]
    found = _build_side_reasons(policies, transfer, result, as_of)
    if result.trace is None:
        result.cache["reasons"] = found
    return found


Standing = dict[tuple[str, int, Verdict, tuple[str, ...], tuple[SafeguardCheck, ...]], list[int]]
"""(kind, index, verdict, missing, safeguards falling short) -> items, for findings standing."""
Met = dict[tuple[str, int, tuple[SafeguardCheck, ...]], list[int]]
"""(kind, index, safeguards relied on) -> items, for findings whose requirement is met."""
Cleared = dict[int, dict[int, list[str]]]
"""exemption or lane index -> item -> the designations it clears there."""


@dataclass(frozen=True)
class _Found:
    """What became of one side's firings, before any reason is written: enough for the
    side's verdict and missing facts (:func:`outline`) and for its reasons
    (:func:`_build_side_reasons`)."""

    designations: dict[tuple[str, int, int], tuple[str, ...]]
    laned: dict[int, list[int]]
    standing: Standing
    met: Met
    cleared_by_exemption: Cleared
    cleared_by_lane: Cleared


def _found(policies: Policies, transfer: Transfer, result: SideResult, as_of: dt.date) -> _Found:
    """The fate of each (designation, item) a side's rules fired on (remembered on an
    untraced result, which branches of one decision share)."""
    if result.trace is None:
        held = result.cache.get("found")
        if held is not None:
            return held  # type: ignore[no-any-return]
    cat = result.plan.loaded.catalogue
    # Best (fewest missing facts) firing per (designation, item).
    designations: dict[tuple[str, int, int], tuple[str, ...]] = {}
    exempted: dict[int, list[int]] = defaultdict(list)  # item -> exemption indices
    laned: dict[int, list[int]] = defaultdict(list)  # item -> lane indices
    tallies = result.tallies
    for f in result.firings:
        rule = f.rule
        role = rule.kind
        if role == "entry" or role == "localisation":
            key = (role, rule.index, f.item)
            # (a rule with no open condition and no count lets nothing through unstated)
            missing = f.missing(tallies) if rule.unknowns or rule.counts else ()
            held = designations.get(key)
            if held is None or (len(missing), missing) < (len(held), held):
                designations[key] = missing
        elif role == "exemption":
            if rule.index not in exempted[f.item]:
                exempted[f.item].append(rule.index)
        elif rule.index not in laned[f.item]:
            laned[f.item].append(rule.index)

    # (kind, index, verdict, missing, safeguards falling short) -> items, for findings standing
    standing: dict[tuple[str, int, Verdict, tuple[str, ...], tuple[SafeguardCheck, ...]], list[int]] = (
        defaultdict(list)
    )
    # (kind, index, safeguards relied on) -> items, for findings whose requirement is met
    met: dict[tuple[str, int, tuple[SafeguardCheck, ...]], list[int]] = defaultdict(list)
    cleared_by_exemption: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    cleared_by_lane: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    seen = result.trace

    def keep_finding(
        kind: str,
        entry: Entry | LocalisationEntry,
        index: int,
        item: int,
        missing: tuple[str, ...],
        fate: Fate,
        by: str | None = None,
    ) -> None:
        if seen is not None:
            from .trace import Finding

            outcome = "review" if missing else entry.outcome
            seen.findings.append(
                Finding(
                    "entry" if kind == "entry" else "localisation",
                    entry.id,
                    index,
                    item,
                    missing,
                    fate,
                    by,
                    outcome,
                )
            )

    for (kind, index, item), missing in sorted(designations.items()):
        entry = _designation(cat, kind, index)
        # (.get: an item nothing exempted or laned is looked up without adding it)
        exempting = exempted.get(item)
        exemption = (
            next((x for x in sorted(exempting) if entry.id in cat.exemptions[x].applies_to), None)
            if exempting
            else None
        )
        if exemption is not None:
            cleared_by_exemption[exemption][item].append(entry.id)
            if seen is not None:
                keep_finding(kind, entry, index, item, missing, "exempted", cat.exemptions[exemption].id)
            continue
        clearable = not entry.national_security and not entry.overrides_green_lanes
        lanes = laned.get(item)
        if clearable and lanes:
            cleared_by_lane[min(lanes)][item].append(entry.id)
            if seen is not None:
                keep_finding(kind, entry, index, item, missing, "green_lane", cat.green_lanes[min(lanes)].id)
            continue
        verdict = Verdict.REVIEW if missing else _VERDICTS[entry.outcome]
        problems: tuple[SafeguardCheck, ...] = ()
        if transfer.safeguards and entry.mechanisms:
            how = entry.counting or cat.counting
            total = tally(
                policies.taxonomy,
                CountKey(tuple(entry.categories), "individuals", how.window, how.per),
                transfer,
                as_of,
                result.prior,
            )
            outcome = evaluate(
                alternatives(entry.mechanisms), transfer, item, policies.taxonomy, as_of, total
            )
            if outcome.met:
                met[(kind, index, outcome.used)].append(item)
                if seen is None:
                    continue
                keep_finding(
                    kind,
                    entry,
                    index,
                    item,
                    missing,
                    "safeguarded",
                    ", ".join(c.reference for c in outcome.used),
                )
                continue
            problems = outcome.problems
        standing[(kind, index, verdict, missing, problems)].append(item)
        if seen is not None:
            keep_finding(kind, entry, index, item, missing, "stands")
    if seen is not None:
        for item, indices in sorted(laned.items()):
            for n in indices:
                seen.lanes_fired.setdefault(cat.green_lanes[n].id, []).append(item)
        for item, indices in sorted(exempted.items()):
            for n in indices:
                seen.exemptions_fired.setdefault(cat.exemptions[n].id, []).append(item)

    found = _Found(designations, laned, standing, met, cleared_by_exemption, cleared_by_lane)
    if result.trace is None:
        result.cache["found"] = found
    return found


Lack = tuple[str, tuple[str, ...]]
"""(jurisdiction, facts it lacks) of one missing-fact reason."""


@dataclass(frozen=True, slots=True)
class Outline:
    """What :func:`decide` would say that the engine's resolution reads, before a reason is
    written: the verdict, the floor (the strictest verdict of the reasons that name no
    missing fact and clear nothing, what a presumption or a case analysis may not go
    below), and each missing-fact reason's jurisdiction and facts, in the decision's order.

    A decision whose open facts a presumption fills is decided again; its first decision
    is then read only through these (``Engine._resolve``), so its reasons are written only
    when it is the one returned. Branches of a case analysis are compared by the verdict
    alone. tests/test_decision_memo.py holds every part equal to the written decision's."""

    verdict: Verdict
    floor: Verdict
    lacking: tuple[Lack, ...]

    @property
    def open_facts(self) -> list[str]:
        """:func:`cases.open_facts` of the written decision: each missing fact once, in order."""
        out: dict[str, None] = {}
        for _, missing in self.lacking:
            out.update(dict.fromkeys(missing))
        return list(out)


def outline(
    policies: Policies,
    transfer: Transfer,
    as_of: dt.date,
    sides: list[tuple[str, Side, SideResult | None]],
    unlisted: Verdict | None,
    domestic: str | None = None,
) -> Outline:
    """:func:`decide`'s :class:`Outline`, the same way, without writing a reason: the same
    findings (:func:`_found`, remembered on the side's result for when its reasons are
    written), the same defaults, the same order of missing-fact reasons (theirs all sort
    as review reasons of kind missing_fact, so by side, jurisdiction, index, items, id)."""
    if domestic is None and transfer.origin == transfer.destination:
        domestic = transfer.origin
    floors: list[Verdict] = []
    lacking: list[tuple[tuple[Any, ...], Lack]] = []
    if domestic is not None:
        floors.append(Verdict.ALLOW)  # the domestic reason; then the findings alone
        for _, _, result in sides:
            if result is not None:
                _side_outline(policies, transfer, result, as_of, False, floors, lacking)
    else:
        for _, side, result in sides:
            if result is None:
                floors.append(_no_catalogue_verdict(side, unlisted))
                continue
            early = _before_encoded(policies, result.plan.loaded.catalogue.jurisdiction, side, as_of)
            _side_outline(policies, transfer, result, as_of, early is None, floors, lacking)
            if early is not None:
                floors.append(early.verdict)
    lacking.sort(key=itemgetter(0))
    floor = Verdict.strictest(floors)
    verdict = Verdict.REVIEW if lacking and floor is Verdict.ALLOW else floor
    return Outline(verdict, floor, tuple(lack for _, lack in lacking))


def combine_outlines(parts: Sequence[Outline]) -> Outline:
    """:func:`combine_legs`' outline: the strictest of the legs; their missing-fact reasons
    leg after leg (it sorts reasons by verdict, then leg, stably)."""
    if len(parts) == 1:
        return parts[0]
    return Outline(
        Verdict.strictest([p.verdict for p in parts]),
        Verdict.strictest([p.floor for p in parts]),
        tuple(lack for p in parts for lack in p.lacking),
    )


def _side_outline(
    policies: Policies,
    transfer: Transfer,
    result: SideResult,
    as_of: dt.date,
    default: bool,
    floors: list[Verdict],
    lacking: list[tuple[tuple[Any, ...], Lack]],
) -> None:
    """One side's part of an :class:`Outline` (the reasons :func:`_build_side_reasons`
    writes): each standing finding's verdict, or its missing facts with its sort key; a
    safeguarded finding allows; exemptions and green lanes are not active. ``default``:
    with the side's default reason's verdict, when it gives one."""
    cat = result.plan.loaded.catalogue
    if not result.firings:
        if default:
            floors.append(_VERDICTS[cat.default])
        return
    found = _found(policies, transfer, result, as_of)
    side_rank = 0 if result.plan.side == "outbound" else 1
    for (kind, index, verdict, missing, _), items in found.standing.items():
        if missing:
            entry_id = _designation(cat, kind, index).id
            lacking.append(
                ((side_rank, cat.jurisdiction, index, items, entry_id), (cat.jurisdiction, missing))
            )
        else:
            floors.append(verdict)
    if found.met:
        floors.append(Verdict.ALLOW)
    if default and not found.standing and (cat.default != "allow" or not found.designations):
        floors.append(_VERDICTS[cat.default])


def _build_side_reasons(
    policies: Policies, transfer: Transfer, result: SideResult, as_of: dt.date
) -> list[tuple[tuple[Any, ...], Reason]]:
    plan = result.plan
    cat = plan.loaded.catalogue
    code, side = cat.jurisdiction, plan.side
    if not result.firings:  # nothing fired (the common side): the default alone
        peer = transfer.destination if side == "outbound" else transfer.origin
        default = _default(cat, side, peer, False)
        if result.trace is not None:
            result.trace.verdict = default.verdict.value
        return [((), default)]
    found = _found(policies, transfer, result, as_of)
    designations, laned, standing, met = found.designations, found.laned, found.standing, found.met
    cleared_by_exemption, cleared_by_lane = found.cleared_by_exemption, found.cleared_by_lane
    seen = result.trace
    out: list[tuple[tuple[Any, ...], Reason]] = []

    # How each designation's totals were reached (counted together, with ledger records).
    prefixes = plan.count_units
    counted: dict[tuple[str, int], list[str]] = defaultdict(list)
    records: dict[tuple[str, int], list[str]] = defaultdict(list)
    notes_of: dict[str, tuple[str, ...]] = {}
    """Tally prefix -> how its total was reached (described once per tally, not per firing)."""
    for f in result.firings if standing else ():  # (only standing findings' reasons say it)
        for prefix, _, _ in f.rule.counts:
            t = result.tallies[prefix]
            clauses = notes_of.get(prefix)
            if clauses is None:
                clauses = notes_of[prefix] = t.describe(prefixes[prefix])
            here = (f.rule.kind, f.rule.index)
            said = counted[here]
            said += [c for c in clauses if c not in said]
            records[here] += [r for r in t.records if r not in records[here]]

    for (kind, index, verdict, missing, problems), items in standing.items():
        entry = _designation(cat, kind, index)
        notes = counted.get((kind, index))
        tail = " Counts: " + "; ".join(notes) + "." if notes else ""
        reason = _finding(
            policies,
            transfer,
            code,
            side,
            kind,
            entry,
            verdict,
            missing,
            items,
            problems,
            tail,
            records.get((kind, index), []),
        )
        out.append(((index,), reason))

    for (kind, index, used), items in met.items():
        entry = _designation(cat, kind, index)
        out.append(((index,), _safeguarded(transfer, code, side, entry, items, used)))

    for index, per_item in cleared_by_exemption.items():
        x = cat.exemptions[index]
        items = sorted(per_item)
        cleared = sorted({e for ids in per_item.values() for e in ids})
        what = f"clears {_list(cleared)} for {_items(transfer, items)}"
        out.append(((index,), _relief(transfer, code, side, "exemption", x, items, cleared, what)))

    for index in sorted({i for lanes in laned.values() for i in lanes}) if laned else ():
        lane = cat.green_lanes[index]
        items = sorted(i for i, lanes in laned.items() if index in lanes)
        per_item = cleared_by_lane.get(index, {})
        cleared = sorted({e for ids in per_item.values() for e in ids})
        tail = f"; it clears {_list(cleared)}" if cleared else ""
        what = f"covers {_items(transfer, items)}{tail}"
        out.append(((index,), _relief(transfer, code, side, "green_lane", lane, items, cleared, what)))

    if not standing and (cat.default != "allow" or not designations):
        # An allow default only when nothing was found: a side whose findings were cleared
        # or safeguarded is decided by those reasons, and "no entry restricts this data"
        # would be false. A review default stands whenever no finding does.
        peer = transfer.destination if side == "outbound" else transfer.origin
        out.append(((), _default(cat, side, peer, bool(designations))))
    if seen is not None:
        seen.verdict = Verdict.strictest([r.verdict for _, r in out if _active(r)]).value
    return out


def _relief(
    transfer: Transfer,
    code: str,
    side: Side,
    kind: ReasonKind,
    relief: Exemption | GreenLane,
    items: list[int],
    cleared: list[str],
    what: str,
) -> Reason:
    """An exemption's or a green lane's reason: ``what`` it does for the items it fired on."""
    name = "Exemption" if kind == "exemption" else "Green lane"
    sentence = f"{name} '{relief.title}' in {code}'s catalogue {what}."
    return _about(transfer, code, side, kind, Verdict.ALLOW, relief, items, sentence, cleared=cleared)


def _about(
    transfer: Transfer,
    code: str,
    side: Side,
    kind: ReasonKind,
    verdict: Verdict,
    source: Entry | LocalisationEntry | Exemption | GreenLane,
    items: list[int],
    sentence: str,
    **more: Any,
) -> Reason:
    """A reason about one catalogue entry (a designation, an exemption, a green lane) and
    the items it was found on: what every such reason names; ``more``, the rest."""
    data = transfer.data
    # Built without validation (models/decision.built): every value is a catalogue's
    # (validated when it was loaded) or made here of its field's type; each list is new,
    # as validation would have copied it (``items`` is the side's remembered findings').
    return built(
        Reason,
        {
            "jurisdiction": code,
            "side": side,
            "kind": kind,
            "verdict": verdict,
            "entry_id": source.id,
            "title": source.title,
            "items": list(items),
            "categories": [data[i].category for i in items],
            "citations": list(source.citations),
            "sentence": sentence,
            **more,
        },
    )


_DEFAULTS: dict[tuple[int, str, str, bool], tuple[Catalogue, Reason]] = {}


def _default(cat: Catalogue, side: Side, peer: str, found: bool) -> Reason:
    """The side's default reason; its words depend on the catalogue, the side, the peer
    country and whether anything was found only, so it is built once for each (the model
    is frozen) rather than once per decision."""
    key = (id(cat), side, peer, found)
    held = _DEFAULTS.get(key)
    if held is not None and held[0] is cat:
        return held[1]
    code = cat.jurisdiction
    verdict = Verdict(cat.default)
    reason = Reason(
        jurisdiction=code,
        side=side,
        kind="default",
        verdict=verdict,
        sentence=(
            f"No entry of {code}'s catalogue restricts this data "
            if not found
            else f"No finding of {code}'s catalogue still stands for this data "
        )
        + f"{'going to' if side == 'outbound' else 'coming from'} {peer}; the catalogue's default "
        f"for undesignated data is {verdict.value}.",
    )
    if len(_DEFAULTS) >= 4096:
        _DEFAULTS.clear()
    _DEFAULTS[key] = (cat, reason)
    return reason


def _designation(cat: Catalogue, kind: str, index: int) -> Entry | LocalisationEntry:
    return cat.entries[index] if kind == "entry" else cat.localisation[index]


def _finding(
    policies: Policies,
    transfer: Transfer,
    code: str,
    side: Side,
    kind: str,
    entry: Entry | LocalisationEntry,
    verdict: Verdict,
    missing: tuple[str, ...],
    items: list[int],
    problems: tuple[SafeguardCheck, ...] = (),
    counts: str = "",
    counted_with: list[str] | None = None,
) -> Reason:
    """A standing finding's reason. ``counts``: how its totals were reached, appended to the
    sentence; ``counted_with``: the earlier transfers added to them (one model built, not
    one built and copied)."""
    requirement = policies.taxonomy.requirements.get(entry.requirement, entry.requirement)
    where = f"the {code} {side} rules"
    if missing:
        sentence = (
            f"Under {where}, '{entry.title}' may apply to {_items(transfer, items)}, but the "
            f"description does not state {_list(list(missing))}; state it to decide."
        )
        reason_kind: ReasonKind = "missing_fact"
    elif kind == "localisation":
        sentence = (
            f"Under {where}, '{entry.title}' applies to {_items(transfer, items)}: this data must "
            f"be stored in {code}. {requirement}"
        )
        reason_kind = "localisation"
    else:
        sentence = f"Under {where}, '{entry.title}' applies to {_items(transfer, items)}: {requirement}"
        reason_kind = "entry"
    if problems:
        sentence += (
            " The safeguards in place fall short: "
            + "; ".join(f"{c.mechanism} {c.reference} {c.detail}" for c in problems)
            + "."
        )
    elif transfer.safeguards and not entry.mechanisms and not missing:
        sentence += " No safeguard can satisfy this requirement."
    return _about(
        transfer,
        code,
        side,
        reason_kind,
        verdict,
        entry,
        items,
        sentence + counts,
        requirement=entry.requirement,
        missing=list(missing),
        mechanisms=[list(alt) for alt in alternatives(entry.mechanisms)],
        safeguards=list(problems),
        counted_with=list(counted_with or []),
    )


def _safeguarded(
    transfer: Transfer,
    code: str,
    side: Side,
    entry: Entry | LocalisationEntry,
    items: list[int],
    used: tuple[SafeguardCheck, ...],
) -> Reason:
    expiries = [c.expires for c in used if c.expires is not None]
    until = min(expiries) if expiries else None
    means = _list([f"{c.mechanism} {c.reference} ({c.detail})" for c in used])
    sentence = (
        f"Under the {code} {side} rules, '{entry.title}' applies to {_items(transfer, items)}, "
        f"and its requirement is met by {means}"
        + (f"; the transfer may go ahead until {until}." if until else ".")
    )
    return _about(
        transfer,
        code,
        side,
        "safeguarded",
        Verdict.ALLOW,
        entry,
        items,
        sentence,
        requirement=entry.requirement,
        mechanisms=[list(alt) for alt in alternatives(entry.mechanisms)],
        safeguards=list(used),
        expires=until,
    )


_EARLIEST: dict[tuple[int, Side], tuple[Catalogue, dt.date | None]] = {}
"""(id(catalogue), side) -> the earliest day its rules for the side are encoded (memoised)."""


def _earliest(cat: Catalogue, side: Side) -> dt.date | None:
    """The first day the catalogue encodes ``side``'s rules: its ``effective`` date, or an
    earlier designation's; None when it designates nothing on that side (its default alone
    speaks for every day)."""
    held = _EARLIEST.get((id(cat), side))
    if held is not None and held[0] is cat:
        return held[1]
    designations: list[Entry | LocalisationEntry] = [e for e in cat.entries if e.direction in (side, "both")]
    if side == "outbound":
        designations += cat.localisation
    day = min([cat.effective] + [e.effective for e in designations if e.effective]) if designations else None
    if len(_EARLIEST) >= 1024:
        _EARLIEST.clear()
    _EARLIEST[(id(cat), side)] = (cat, day)
    return day


_EARLIEST_OF: dict[tuple[int, str, Side], tuple[Policies, dt.date | None]] = {}
"""(id(policies), jurisdiction, side) -> :func:`_earliest` of its catalogue (asked for every
side of every decision and outline, several times a decision)."""


def _before_encoded(policies: Policies, code: str, side: Side, as_of: dt.date) -> Reason | None:
    """Review for a side decided as of a day before its catalogue's earliest entry: the
    catalogue does not encode the rules in force then, so its default must not allow (a
    decision as of 2024-03-21 under the CN catalogue, whose entries start 2024-03-22)."""
    held = _EARLIEST_OF.get((id(policies), code, side))
    if held is None or held[0] is not policies:
        loaded = policies.catalogues.get(code)
        held = (policies, None if loaded is None else _earliest(loaded.catalogue, side))
        if len(_EARLIEST_OF) >= 1024:
            _EARLIEST_OF.clear()
        _EARLIEST_OF[(id(policies), code, side)] = held
    earliest = held[1]
    if earliest is None or as_of >= earliest:
        return None
    # (asked by every outline and decision of such a day, whose dates vary: built, not
    # validated, from the catalogue's code, the side and two dates)
    return built(
        Reason,
        {
            "jurisdiction": code,
            "side": side,
            "kind": "default",
            "verdict": Verdict.REVIEW,
            "sentence": f"As of {as_of}, before the {code} catalogue's earliest entry ({earliest}): "
            f"the {side} rules then in force are not encoded, so someone must check them.",
        },
    )


def _no_catalogue(code: str, side: Side, transfer: Transfer, unlisted: Verdict | None) -> Reason:
    """A side whose country has no catalogue. By default (``unlisted`` None) an origin's
    outbound side is review, its rules not checked; a destination's inbound side restricts
    nothing: data-protection laws govern what leaves a country, not what arrives, and what
    a country has not designated flows freely (docs/semantics.md, section 2). The engine
    states that as an assumption. ``--unlisted VERDICT`` sets both sides."""
    what = "outbound" if side == "outbound" else "inbound"
    verdict = _no_catalogue_verdict(side, unlisted)
    if unlisted is None and side == "inbound":
        return Reason(
            jurisdiction=code,
            side=side,
            kind="no_catalogue",
            verdict=Verdict.ALLOW,
            sentence=f"No catalogue is loaded for {code}: taken to place no conditions on receiving "
            "data (--unlisted review to ask).",
        )
    return Reason(
        jurisdiction=code,
        side=side,
        kind="no_catalogue",
        verdict=verdict,
        sentence=f"No catalogue is loaded for {code}, so its {what} rules were not checked"
        + (
            "; someone must check them."
            if verdict is not Verdict.ALLOW
            else " (accepted by --unlisted allow)."
        ),
    )


def _no_catalogue_verdict(side: Side, unlisted: Verdict | None) -> Verdict:
    """:func:`_no_catalogue`'s verdict, without its reason (:func:`outline`)."""
    if unlisted is None and side == "inbound":
        return Verdict.ALLOW
    return unlisted or Verdict.REVIEW


def _domestic(transfer: Transfer, code: str) -> Reason:
    if transfer.origin == transfer.destination:
        sentence = f"Origin and destination are both {transfer.origin}: this is not a cross-border transfer."
    else:
        sentence = (
            f"{transfer.origin} and {transfer.destination} are both covered by the {code} catalogue: the "
            f"transfer does not leave {code}, so its cross-border rules do not apply."
        )
    return Reason(
        jurisdiction=code,
        side="outbound",
        kind="domestic",
        verdict=Verdict.ALLOW,
        sentence=sentence,
    )


def _items(transfer: Transfer, items: list[int]) -> str:
    parts = []
    for i in items:
        item = transfer.data[i]
        counts = [
            f"{n:,} {label}"
            for n, label in (
                (item.individuals, "individuals"),
                (item.records, "records"),
                (item.devices, "devices"),
            )
            if n is not None
        ]
        if item.anonymised:
            counts.append("anonymised")
        detail = ", ".join([item.category, *counts])
        parts.append(f"data[{i}] ({detail})")
    return _list(parts)


def _list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
