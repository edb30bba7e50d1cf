"""Remediation: the smallest changes to a transfer that would lower its verdict.

Nothing here reasons about the catalogues' logic: candidate variants of the transfer
(put in place a safeguard a standing reason names, anonymise an item, leave an item out,
stay under a threshold the engine's trace shows a rule compared, use an affiliate
recipient, send the data to another country the exporter could use) are each decided
by the engine itself, and a
change is offered only with the verdict the engine gave the changed transfer.
Single changes are tried first; pairs are offered only when they reach a verdict lower
than either of their parts alone.

Suggestions are ranked by how small and plausible the change is, not by field name: a
safeguard to put in place or a count to stay under first, then anonymising, then a
different recipient or leaving data out, and a different destination last. A destination
is suggested only when the caller names the countries the exporter could actually send
to (its facts or configuration, ``alternatives``): a list of every country the catalogues
happen to name, in alphabetical order, is not advice.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..engine.engine import Engine
from ..engine.trace import Trace
from ..models.catalogue import COUNTS
from ..models.common import country_code
from ..models.decision import Change, Decision, Remediation, Verdict
from ..models.policies import Policies
from ..models.transfer import Safeguard, Transfer

MAX_DESTINATIONS = 5
"""Most "send it elsewhere" remediations shown (the least strict first)."""
MAX_PAIR_CANDIDATES = 30

_ITEM = re.compile(r"^data\[(\d+)\](?:\.(\w+))?$")
PLANNED = "to be obtained (remediation)"
"""The reference of a safeguard a remediation adds: it does not exist yet."""


def planned_safeguard(mechanism: str, day: dt.date) -> dict[str, str]:
    """The safeguard an ``add`` change stands for: in place from ``day``, unlimited scope."""
    return {"mechanism": mechanism, "reference": PLANNED, "obtained": day.isoformat()}


def apply(transfer: Transfer, changes: Sequence[Change], day: dt.date | None = None) -> Transfer:
    """The transfer with ``changes`` made; paths refer to the original transfer's items.

    An added safeguard counts as obtained on ``day`` (the decision's date), else on the
    transfer's date, else today."""
    body: dict[str, Any] = transfer.model_dump(mode="json", exclude_none=True)
    removals: list[int] = []
    for change in changes:
        if change.op == "add":
            if change.path != "safeguards" or not isinstance(change.value, str):
                raise ValueError(f"only a safeguard mechanism can be added: {change.path}")
            when = day or transfer.date or dt.date.today()
            body.setdefault("safeguards", []).append(planned_safeguard(change.value, when))
            continue
        m = _ITEM.match(change.path)
        if m and m.group(2) is None:
            if change.op != "remove":
                raise ValueError(f"only 'remove' applies to a whole item: {change.path}")
            removals.append(int(m.group(1)))
        elif m:
            body["data"][int(m.group(1))][m.group(2)] = change.value
        else:
            target = body
            *parents, last = change.path.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = change.value
    for index in sorted(removals, reverse=True):
        del body["data"][index]
    return Transfer.model_validate(body)


def effort(change: Change) -> int:
    """How large a change is for the exporter, for ranking: a safeguard (paperwork) or a
    smaller count 1, anonymising 2, another recipient or less data 3, another country 4."""
    if change.op == "add":
        return 1
    if change.path == "destination":
        return 4
    if change.path == "recipient.controlled_by":
        return 0  # goes with a destination change
    if change.op == "remove" or change.path.startswith("recipient."):
        return 3
    if change.path.endswith(".anonymised"):
        return 2
    return 1


def remediate(
    engine: Engine, transfer: Transfer, decision: Decision, alternatives: Sequence[str] = ()
) -> list[Remediation]:
    """Remediations for a review or restrict decision (none for allow), smallest and most
    plausible first. ``alternatives``: countries the exporter could send the data to
    instead (from its facts or configuration); without them no destination is suggested."""
    if decision.verdict is Verdict.ALLOW:
        return []
    day = decision.as_of

    def verdict_of(changes: Sequence[Change]) -> Verdict:
        return engine.decide(apply(transfer, changes, day), day).verdict

    traced = engine.trace(transfer, day)
    singles = list(_candidates(engine.policies, traced, transfer, decision, alternatives))
    results = [(group, verdict_of(group)) for group in singles]
    better = [(g, v) for g, v in results if v.rank < decision.verdict.rank]
    better = _best_counts(better)
    destinations = sorted(
        (gv for gv in better if gv[0][0].path == "destination"), key=lambda gv: (gv[1].rank, gv[0][0].value)
    )[:MAX_DESTINATIONS]
    chosen = [gv for gv in better if gv[0][0].path != "destination"] + destinations
    # Pairs of two non-destination changes, offered when they beat both parts alone.
    alone = {_key(g): v for g, v in results}
    pool = [g for g, _ in results if g[0].path not in ("destination",)][:MAX_PAIR_CANDIDATES]
    best_single = min((v.rank for _, v in results), default=decision.verdict.rank)
    if best_single > Verdict.ALLOW.rank:
        for a, b in itertools.combinations(pool, 2):
            if _touched(a) & _touched(b):
                continue
            if sum(c.op == "remove" for c in (*a, *b)) >= len(transfer.data):
                continue  # a transfer keeps at least one data item
            v = verdict_of([*a, *b])
            if v.rank < min(alone[_key(a)].rank, alone[_key(b)].rank, decision.verdict.rank):
                chosen.append(([*a, *b], v))
    out = [
        Remediation(
            changes=list(group),
            verdict=v,
            sentence=f"{'; '.join(c.sentence for c in group)}: the verdict would be {v.value}.",
        )
        for group, v in chosen
    ]
    out.sort(
        key=lambda r: (
            sum(effort(c) for c in r.changes),
            r.verdict.rank,
            len(r.changes),
            [c.path for c in r.changes],
            r.sentence,
        )
    )
    return out


def _touched(group: Sequence[Change]) -> set[str]:
    """Fields a change group sets or removes (two safeguards can be added side by side)."""
    return {c.path if c.op != "add" else f"{c.path}+{c.value}" for c in group}


def _key(group: Sequence[Change]) -> tuple[tuple[str, str], ...]:
    return tuple((c.path, repr(c.value)) for c in group)


def _best_counts(found: list[tuple[list[Change], Verdict]]) -> list[tuple[list[Change], Verdict]]:
    """Of the count reductions on one field reaching one verdict, keep the largest count:
    the smallest change ("stay under N")."""
    keep: dict[tuple[str, Verdict], tuple[list[Change], Verdict]] = {}
    out = []
    for group, v in found:
        c = group[0]
        if len(group) == 1 and isinstance(c.value, int) and not isinstance(c.value, bool):
            k = (c.path, v)
            if k not in keep or c.value > (keep[k][0][0].value or 0):  # type: ignore[operator]
                keep[k] = (group, v)
        else:
            out.append((group, v))
    return out + list(keep.values())


def _candidates(
    policies: Policies, traced: Trace, transfer: Transfer, decision: Decision, alternatives: Sequence[str]
) -> Iterable[list[Change]]:
    """Single changes worth trying: on the items the standing reasons are about (a count
    just under each bound the engine's trace shows a rule compared), then on the
    recipient and the destination."""
    taxonomy = policies.taxonomy
    yield from _safeguards(policies, transfer, decision)
    standing = sorted(
        {i for r in decision.reasons if r.kind in ("entry", "localisation", "missing_fact") for i in r.items}
        or set(range(len(transfer.data)))
    )
    for i in standing:
        item = transfer.data[i]
        label = f"data[{i}] ({item.category})"
        if taxonomy.get(item.category).personal and item.anonymised is not True:
            yield [Change(op="set", path=f"data[{i}].anonymised", value=True, sentence=f"anonymise {label}")]
        if len(transfer.data) > 1:
            yield [Change(op="remove", path=f"data[{i}]", sentence=f"leave {label} out of the transfer")]
        for name in COUNTS:
            value = getattr(item, name)
            if value is None:
                continue
            for bound in _lower_bounds(traced, i, name, transfer.safeguards):
                if 0 < bound <= value:
                    yield [
                        Change(
                            op="set",
                            path=f"data[{i}].{name}",
                            value=bound - 1,
                            sentence=f"reduce {label} to at most {bound - 1:,} {name}",
                        )
                    ]
    if transfer.recipient.affiliate is not True:
        yield [
            Change(
                op="set",
                path="recipient.affiliate",
                value=True,
                sentence="use a recipient in the exporter's own corporate group (an affiliate)",
            )
        ]
    for country in _destinations(transfer, alternatives):
        changes = [
            Change(
                op="set", path="destination", value=country, sentence=f"send the data to {country} instead"
            )
        ]
        if transfer.recipient.controlled_by == transfer.destination:
            changes.append(
                Change(
                    op="set",
                    path="recipient.controlled_by",
                    value=country,
                    sentence=f"with a recipient controlled from {country}",
                )
            )
        yield changes


def _safeguards(policies: Policies, transfer: Transfer, decision: Decision) -> Iterable[list[Change]]:
    """Each way a standing entry says it can be met (its mechanisms: alternatives, each a
    set needed together), as safeguards to put in place. A prohibition names none."""
    had = {s.mechanism for s in transfer.safeguards}
    seen: set[tuple[str, ...]] = set()
    for reason in decision.reasons:
        if reason.kind not in ("entry", "localisation") or reason.verdict is Verdict.ALLOW:
            continue
        for alternative in reason.mechanisms:
            wanted = tuple(sorted(alternative))
            if not wanted or wanted in seen:
                continue
            seen.add(wanted)
            yield [
                Change(
                    op="add",
                    path="safeguards",
                    value=m,
                    sentence=(
                        f"obtain a current {m} that covers this transfer"
                        if m in had
                        else f"put {m} in place ({_describe(policies, m)})"
                    ),
                )
                for m in wanted
            ]


def _describe(policies: Policies, mechanism: str) -> str:
    found = policies.taxonomy.mechanisms.get(mechanism)
    text = found.description.rstrip(".") if found else mechanism
    return text[:1].lower() + text[1:]


def _lower_bounds(t: Trace, item: int, name: str, safeguards: Sequence[Safeguard] = ()) -> list[int]:
    """Every lower bound on ``name`` that a designation compared for data item ``item``,
    read off the engine's trace: the rules about this item's data (its category within
    the designation's, or broader), on every side and leg the engine decided; for
    individuals also one above each cap on a safeguard's scope (``safeguards``)."""
    bounds: set[int] = set()
    for side in t.sides:
        for a in side.attempts:
            if a.kind not in ("entry", "localisation") or a.item != item or not a.checks:
                continue
            if a.checks[0].condition != "category" or a.checks[0].status == "failed":
                continue
            bounds |= {th.lower for th in a.thresholds if th.unit == name and th.lower is not None}
    if name == "individuals":
        # A safeguard granted for at most N individuals covers the item again below N + 1
        # (the same breakpoint case analysis uses: docs/semantics.md, section 4b).
        bounds |= {s.scope.max_individuals + 1 for s in safeguards if s.scope.max_individuals is not None}
    return sorted(bounds)


def _destinations(transfer: Transfer, alternatives: Sequence[str]) -> list[str]:
    """The countries the exporter named as possible destinations, less the transfer's own
    ends; never a jurisdiction that is not a country."""
    return sorted({c for c in alternatives if _is_country(c)} - {transfer.origin, transfer.destination})


def _is_country(code: str) -> bool:
    try:
        country_code(code)
    except ValueError:
        return False
    return True


def with_remediations(
    engine: Engine, transfer: Transfer, decision: Decision, alternatives: Sequence[str] = ()
) -> Decision:
    """The decision with its ``remediations`` filled in."""
    return decision.model_copy(update={"remediations": remediate(engine, transfer, decision, alternatives)})
