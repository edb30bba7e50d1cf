"""Case analysis: a decision open only on facts with few possible values is decided for
each value, and when every value gives the same verdict, that is the verdict.

Whether an exporter is a critical-information-infrastructure operator matters only when
the two answers lead to different places; when both lead to restrict, the honest answer
is restrict "whatever exporter.ciio is", not review. Each branch is a decision of the
engine itself (the same rules, the fact set to one value), so the reasons of a case
analysis are the engine's own, each branch's prefixed with the values it assumed.
Branching is bounded (:data:`MAX_BRANCHES`); past the bound, and whenever an open fact
has no closed set of values (a count, a category, a country), the decision stays review
(docs/semantics.md, section 4b).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..models.decision import Assumption, Branch, CaseAnalysis, Decision, Reason, Verdict
from ..models.taxonomy import Taxonomy
from ..models.transfer import Transfer, updated
from .facts import purpose_bound
from .presume import set_fact, show_value
from .volume import OPEN_COUNT, Total, force_totals

if TYPE_CHECKING:
    from .compile import SidePlan

MAX_BRANCHES = 128
"""At most this many combinations are decided; more stay review."""

_LEG = r"(onward\[\d+\]\.)?"
"""An onward leg's own party's fact is named by the leg's path (legs.Hop.path): its values
are the party's field's, as the first recipient's are."""
_YES_NO = re.compile(
    rf"^(data\[\d+\]\.anonymised|{_LEG}(exporter\.ciio|recipient\.(affiliate|designated))"
    r"|(context|security)\.\w+)$"
)
_RECIPIENT_TYPE = re.compile(rf"^{_LEG}recipient\.type$")

Value = bool | str


Option = tuple[bool | str | int, Value]
"""A value to decide with, and how the branch names it (a count names its whole range)."""

COUNT = re.compile(r"^data\[(\d+)\]\.(individuals|records|devices)$")


def domain(taxonomy: Taxonomy, fact: str, transfer: Transfer | None = None) -> list[Option] | None:
    """Every value ``fact`` can take, or None when it has no small closed set (counts are
    given their ranges by the engine, which knows the bounds: :func:`count_ranges`).

    An unstated purpose that ``transfer.purpose_bound`` bounds (a Fides data use) takes only
    the purposes of the bound: a marketing use is never a foreign court's request. Nothing
    else narrows a purpose (issue 19)."""
    if _YES_NO.match(fact):
        return [(True, True), (False, False)]
    if fact == "purpose":
        bound = purpose_bound(transfer) if transfer is not None else None
        values: list[Option] = [(v, v) for v in sorted(taxonomy.purposes) if bound is None or v in bound]
        return values or None  # a bound of no known purpose: nothing to decide over
    if fact == "transaction":
        return [(v, v) for v in sorted(taxonomy.transactions)]
    if _RECIPIENT_TYPE.match(fact):
        return [(v, v) for v in sorted(taxonomy.recipient_types)]
    return None


def count_ranges(starts: set[int], most: int) -> list[Option]:
    """One option per range between consecutive breakpoints: every count in a range gives
    the same decision, so its first value stands for it."""
    points = sorted({0, *(s for s in starts if 0 < s <= most)})
    out: list[Option] = []
    for n, start in enumerate(points):
        end = points[n + 1] - 1 if n + 1 < len(points) else most
        label = f"{start:,}" if start == end else f"{start:,} to {end:,}"
        out.append((start, label))
    return out


def open_facts(decision: Decision) -> list[str]:
    out: dict[str, None] = {}  # ordered, each once, without a quadratic scan (issue 19)
    for r in decision.reasons:
        if r.kind == "missing_fact":
            out.update(dict.fromkeys(r.missing))
    return list(out)


def analyse(
    taxonomy: Taxonomy,
    transfer: Transfer,
    decision: Decision,
    decide: Callable[[Transfer], Decision],
    counts: Callable[[Transfer, int, str], list[Option] | None],
    verdict: Callable[[Transfer], Verdict] | None = None,
    paths: Sequence[str] | None = None,
) -> Decision:
    """``decision`` decided value by value over its open facts, where that is bounded.

    ``counts(transfer, item, unit)`` gives the ranges of one open count (None: it cannot
    be split exactly); at most one count is split, the other facts must be closed.
    ``verdict``: ``decide(t).verdict``, cheaper (no reason written); each branch is
    decided in full only when every branch agrees and its reasons are merged.
    ``paths``: the open facts by their paths in the whole transfer, for a transfer with
    onward legs (the reasons name a leg's facts as the leg's rules do, ``recipient.type``
    for the leg's own recipient, which set on the transfer would set the first
    recipient's: ``onward[0].recipient.type`` is set on the leg's); default: the
    reasons' names, which are the transfer's own when it has no onward legs."""
    facts = list(paths) if paths is not None else open_facts(decision)
    if not facts:
        return decision
    domains: list[list[Option]] = []
    size = 1
    split_counts = 0
    for fact in facts:
        m = COUNT.match(fact)
        if m:
            split_counts += 1
            values = counts(transfer, int(m.group(1)), m.group(2)) if split_counts == 1 else None
        else:
            values = domain(taxonomy, fact, transfer)
        if values is None:
            return decision
        domains.append(values)
        size *= len(values)
        if size > MAX_BRANCHES:
            return decision
    worlds: list[tuple[tuple[Value, ...], Transfer]] = []
    for combo in itertools.product(*domains):
        t = transfer
        for fact, (value, _) in zip(facts, combo, strict=True):
            t = set_fact(t, fact, value)
        worlds.append((tuple(label for _, label in combo), t))
    judged = _judge(worlds, decide, verdict)
    summary = [Branch(values=dict(zip(facts, combo, strict=True)), verdict=v) for combo, v in judged]
    verdicts = {v for _, v in judged}
    if len(verdicts) > 1 or verdicts == {Verdict.REVIEW}:
        cases = CaseAnalysis(facts=facts, branches=summary, splits=_splits(facts, judged))
        return updated(decision, {"cases": cases})
    branches = [(combo, decide(t)) for combo, t in worlds]
    bounded = transfer.purpose_bound if "purpose" in facts and purpose_bound(transfer) else None
    among = f" (purpose among those {bounded.source} can serve)" if bounded is not None else ""
    return _merge(
        decision, facts, branches, verdicts.pop(), CaseAnalysis(facts=facts, branches=summary), among
    )


def _judge(
    worlds: Sequence[tuple[tuple[Value, ...], Transfer]],
    decide: Callable[[Transfer], Decision],
    verdict: Callable[[Transfer], Verdict] | None,
) -> list[tuple[tuple[Value, ...], Verdict]]:
    """Each branch's verdict: by ``verdict`` when given, else by deciding it."""
    judge = verdict or (lambda t: decide(t).verdict)
    return [(combo, judge(t)) for combo, t in worlds]


def bound_matters(transfer: Transfer, plans: Iterable[SidePlan], decision: Decision) -> bool:
    """Whether ``transfer``'s purpose bound can change ``decision``: some rule the decision
    reads has a purpose condition that part of the bound meets and part does not (it may
    be an exemption's or a lane's, which names no missing fact), or the decision still
    waits for the purpose."""
    bound = purpose_bound(transfer)
    if bound is None or len(bound) < 2:
        return False
    if "purpose" in open_facts(decision):
        return True
    return any(
        name == "purpose" and bool(bound & allowed) and not bound <= allowed
        for plan in plans
        for name, allowed, _ in plan.set_flags
    )


Resolved = tuple[Decision, list[Assumption]]


def by_purpose(
    taxonomy: Taxonomy,
    transfer: Transfer,
    decision: Decision,
    assumed: list[Assumption],
    resolve: Callable[[Transfer], Resolved],
) -> Resolved:
    """``decision`` of a bounded purpose, decided for each purpose of the bound as if it
    were stated (``resolve``: the engine's decision with presumptions and case analysis).

    Every purpose giving the same verdict: that verdict, whatever the purpose is, even
    below a finding that stands until an exemption is claimed (each purpose of the bound
    claims one). Otherwise the decision stands, but never stricter than the strictest
    purpose of the bound: a restrict no purpose of it gives becomes review, its reasons
    each purpose's. An allow is never reached unless every purpose allows."""
    bound = purpose_bound(transfer)
    options = domain(taxonomy, "purpose", transfer)
    if bound is None or options is None or len(options) < 2 or len(options) > MAX_BRANCHES:
        return decision, assumed
    results = [(str(value), resolve(set_fact(transfer, "purpose", value))) for value, _ in options]
    branches = [((p,), d) for p, (d, _) in results]
    summary = [Branch(values={"purpose": p}, verdict=d.verdict) for p, (d, _) in results]
    verdicts = {d.verdict for _, d in branches}
    strictest = Verdict.strictest(list(verdicts))
    among = (
        f" (purpose among those {transfer.purpose_bound.source} can serve)" if transfer.purpose_bound else ""
    )
    taken = list(assumed)
    for _, (_, more) in results:
        taken += [a for a in more if a not in taken]
    if len(verdicts) == 1:
        verdict = verdicts.pop()
        if verdict is decision.verdict:
            return decision, assumed
        cases = CaseAnalysis(facts=["purpose"], branches=summary)
        return _merge(decision, ["purpose"], branches, verdict, cases, among), taken
    if strictest.rank < decision.verdict.rank:
        cases = CaseAnalysis(facts=["purpose"], branches=summary, splits=["purpose"])
        note = (
            f"Review: the verdict depends on the purpose{among}, and none of them gives "
            f"{decision.verdict.value}; state purpose to decide."
        )
        return _merge(decision, ["purpose"], branches, Verdict.REVIEW, cases, among, note), taken
    return decision, assumed


def decided_by_bound(decision: Decision, transfer: Transfer) -> bool:
    """Whether ``decision`` was decided purpose by purpose over ``transfer``'s bound."""
    cases = decision.cases
    return purpose_bound(transfer) is not None and cases is not None and cases.facts == ["purpose"]


def _splits(facts: Sequence[str], branches: Sequence[tuple[tuple[Value, ...], Verdict]]) -> list[str]:
    """The facts whose value alone changes the verdict in some branch."""
    by_combo = dict(branches)
    out = []
    for n, fact in enumerate(facts):
        for combo, verdict in by_combo.items():
            if any(
                by_combo.get(other) not in (None, verdict)
                for other in by_combo
                if other[:n] == combo[:n] and other[n + 1 :] == combo[n + 1 :] and other[n] != combo[n]
            ):
                out.append(fact)
                break
    return out


def _merge(
    decision: Decision,
    facts: Sequence[str],
    branches: Sequence[tuple[tuple[Value, ...], Decision]],
    verdict: Verdict,
    cases: CaseAnalysis,
    among: str = "",
    note: str | None = None,
) -> Decision:
    """One decision from branches that agree: reasons common to every branch once, the
    rest each prefixed with the values its branch assumed."""
    whatever = ", ".join(facts)
    every = [r for r in branches[0][1].reasons if all(r in d.reasons for _, d in branches[1:])]
    reasons: list[Reason] = list(every)
    for combo, d in branches:
        label = "If " + " and ".join(f"{f} is {show_value(v)}" for f, v in zip(facts, combo, strict=True))
        for r in d.reasons:
            if r not in every:
                prefixed = updated(r, {"sentence": f"{label}: {r.sentence}"})
                if prefixed not in reasons:
                    reasons.append(prefixed)
    reasons.sort(key=lambda r: -r.verdict.rank if r.kind not in ("exemption", "green_lane") else 0)
    refs = {(c.jurisdiction, c.version): c for _, d in branches for c in d.catalogues}
    expiries = [d.expires for _, d in branches if d.expires is not None]
    warnings = sorted({w for _, d in branches for w in d.warnings})
    warnings.append(
        note
        or f"Decided {verdict.value} whatever {whatever} is{among}: every one of the {len(branches)} "
        "possible combinations gives that verdict."
    )
    return updated(
        decision,
        {
            "verdict": verdict,
            "reasons": reasons,
            "catalogues": [refs[k] for k in sorted(refs)],
            "conditions": sorted({c for _, d in branches for c in d.conditions}),
            "expires": min(expiries) if expiries else None,
            "warnings": warnings,
            "cases": cases,
        },
    )


def by_totals(
    transfer: Transfer,
    decision: Decision,
    totals: Sequence[Total],
    decide: Callable[[Transfer], Decision],
    verdict: Callable[[Transfer], Verdict] | None = None,
) -> Decision:
    """``decision``, open only on counts of individuals that a volume bound caps, decided
    for each range of each capped total (engine/volume.py): several open counts, of this
    transfer and of earlier records, that no single-count split can decide.

    Each total takes every range between its least (the stated counts) and its cap, split
    at each bound a rule compares it with, independently of the others: a superset of the
    worlds the counts can make, so when every combination gives the same verdict other
    than review, that is the verdict; otherwise the decision stands."""
    facts = open_facts(decision)
    if not facts or not totals or not all(OPEN_COUNT.search(f) for f in facts):
        return decision
    size = 1
    for _, _, options in totals:
        size *= len(options)
    if size > MAX_BRANCHES or size < 2:
        return decision
    names = [name for _, name, _ in totals]
    worlds: list[tuple[tuple[Value, ...], Transfer]] = []
    for combo in itertools.product(*(options for _, _, options in totals)):
        forced = {key: value for (key, _, _), (value, _) in zip(totals, combo, strict=True)}
        worlds.append((tuple(label for _, label in combo), force_totals(transfer, forced)))
    judged = _judge(worlds, decide, verdict)
    verdicts = {v for _, v in judged}
    if len(verdicts) > 1 or verdicts == {Verdict.REVIEW}:
        return decision
    branches = [(combo, decide(t)) for combo, t in worlds]
    summary = [Branch(values=dict(zip(names, combo, strict=True)), verdict=v) for combo, v in judged]
    among = " (each total within the organisation's volume)"
    return _merge(
        decision, names, branches, verdicts.pop(), CaseAnalysis(facts=names, branches=summary), among
    )
