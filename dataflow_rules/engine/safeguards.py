"""Whether the safeguards a transfer has in place meet an entry's requirement.

Pure Python over one finding (entry x data item): the engine decided the entry applies;
this decides whether what the exporter already obtained satisfies it on the as-of date.
See docs/semantics.md, section "Safeguards".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..models.decision import SafeguardCheck, SafeguardStatus, built
from ..models.taxonomy import Taxonomy
from ..models.transfer import Safeguard, Transfer
from .counting import Tally

WARN_DAYS = 60
"""A safeguard relied on that expires within this many days of the as-of date is warned about."""


def last_valid_day(safeguard: Safeguard, taxonomy: Taxonomy) -> dt.date | None:
    """The earlier of the stated expiry and the law's validity period (counted from the
    day obtained: a three-year result obtained 2024-03-22 is valid to 2027-03-21)."""
    mechanism = taxonomy.mechanisms[safeguard.mechanism]
    candidates = [safeguard.expires] if safeguard.expires else []
    if mechanism.available_until:
        # The law's end for the mechanism itself (a transitional period's last day).
        candidates.append(mechanism.available_until)
    if mechanism.validity_years:
        obtained = safeguard.obtained
        year = obtained.year + mechanism.validity_years
        if year > dt.MAXYEAR:
            # Valid past the calendar's last day (obtained in 9998): a crash with a
            # traceback (exit 1) in check, scan and the service, never a decision.
            candidates.append(dt.date.max)
        else:
            try:
                anniversary = obtained.replace(year=year)
            except ValueError:  # 29 February in a year that has none
                anniversary = dt.date(year, 3, 1)
            candidates.append(anniversary - dt.timedelta(days=1))
    return min(candidates) if candidates else None


def check(
    safeguard: Safeguard,
    transfer: Transfer,
    item: int,
    taxonomy: Taxonomy,
    as_of: dt.date,
    total: Tally | None = None,
) -> SafeguardCheck:
    """The status of one safeguard for one data item on ``as_of``.

    A safeguard obtained after ``as_of``, or before its mechanism existed in law (the
    mechanism's ``available_from``), is ``not_yet_valid``: it is not in place.

    ``total``: the individuals the finding counts together (its designation's tally); a
    cap on individuals is checked against the most that total can be, so a transfer split
    into items (or into transfers) is covered only as the whole is."""
    until = last_valid_day(safeguard, taxonomy)
    data = transfer.data[item]
    scope = safeguard.scope

    def result(status: SafeguardStatus, detail: str) -> SafeguardCheck:
        # The safeguard's own validated values, a date or None, a status and a sentence
        # made here: built without validation (models/decision.built).
        return built(
            SafeguardCheck,
            {
                "mechanism": safeguard.mechanism,
                "reference": safeguard.reference,
                "obtained": safeguard.obtained,
                "expires": until,
                "status": status,
                "detail": detail,
            },
        )

    if safeguard.obtained > as_of:
        return result("not_yet_valid", f"obtained {safeguard.obtained}, after the as-of date {as_of}")
    available = taxonomy.mechanisms[safeguard.mechanism].available_from
    if available is not None and safeguard.obtained < available:
        # Whatever was obtained then, it cannot be this mechanism: never a safeguard met.
        return result(
            "not_yet_valid",
            f"obtained {safeguard.obtained}, before the mechanism existed on {available}",
        )
    concluded_until = taxonomy.mechanisms[safeguard.mechanism].concluded_until
    if concluded_until is not None and safeguard.obtained > concluded_until:
        # Concluded after its instrument was repealed for new contracts: it cannot be this mechanism.
        return result(
            "expired",
            f"obtained {safeguard.obtained}, after the last day it could be concluded, {concluded_until}",
        )
    if until is not None and as_of > until:
        return result("expired", f"expired on {until}")
    if (
        taxonomy.mechanisms[safeguard.mechanism].related_recipients_only
        and transfer.recipient.affiliate is not True
    ):
        # Binding corporate rules bind the group's members only: a recipient outside the
        # group, or one not stated to be in it, is not bound by them (never met on silence).
        stated = "is stated not to be" if transfer.recipient.affiliate is False else "is not stated to be"
        return result(
            "out_of_scope",
            f"binds only recipients in the exporter's corporate group, and the recipient {stated} one (recipient.affiliate)",
        )
    if scope.recipient is not None and scope.recipient != transfer.recipient.name:
        named = f"'{transfer.recipient.name}'" if transfer.recipient.name else "an unnamed recipient"
        return result("out_of_scope", f"granted for recipient '{scope.recipient}', not {named}")
    if scope.destinations is not None and transfer.destination not in scope.destinations:
        return result(
            "out_of_scope", f"granted for {', '.join(scope.destinations)}, not {transfer.destination}"
        )
    if scope.categories is not None:
        ancestors = taxonomy.get(data.category).ancestors
        if not any(c in ancestors for c in scope.categories):
            return result(
                "out_of_scope",
                f"covers {', '.join(scope.categories)}, not data[{item}] ({data.category})",
            )
    if scope.max_individuals is not None:
        cap = scope.max_individuals
        if total is not None and len(total.items) + len(total.records) > 1:
            # Counted together: the cap covers the whole, not each part.
            count = total.high
            unstated, there = (
                "the individuals counted together are not all stated",
                "counted together there are",
            )
        else:
            count = data.individuals
            unstated, there = f"data[{item}].individuals is not stated", f"data[{item}] has"
        if count is None:
            return result("out_of_scope", f"covers at most {cap:,} individuals and {unstated}")
        if count > cap:
            return result("out_of_scope", f"covers at most {cap:,} individuals; {there} {count:,}")
    tail = f", valid until {until}" if until else ", no expiry"
    return result("met", f"obtained {safeguard.obtained}{tail}")


@dataclass(frozen=True)
class Outcome:
    """How an entry's requirement stands for one item given the safeguards in place."""

    met: bool
    used: tuple[SafeguardCheck, ...]
    """The safeguards relied on when met."""
    problems: tuple[SafeguardCheck, ...]
    """Relevant safeguards that do not meet it (expired, out of scope, not yet valid)."""


def evaluate(
    alternatives: Sequence[tuple[str, ...]],
    transfer: Transfer,
    item: int,
    taxonomy: Taxonomy,
    as_of: dt.date,
    total: Tally | None = None,
) -> Outcome:
    """Is any alternative fully met? Prefer the one that stays valid longest."""
    relevant = {m for alt in alternatives for m in alt}
    checks = [
        check(s, transfer, item, taxonomy, as_of, total)
        for s in transfer.safeguards
        if s.mechanism in relevant
    ]
    best: tuple[SafeguardCheck, ...] | None = None
    for alt in alternatives:
        chosen: list[SafeguardCheck] = []
        for mechanism in alt:
            met = [c for c in checks if c.mechanism == mechanism and c.status == "met"]
            if not met:
                break
            chosen.append(max(met, key=_lasting))
        else:
            if best is None or min(map(_lasting, chosen)) > min(map(_lasting, best)):
                best = tuple(chosen)
    if best is not None:
        return Outcome(True, best, ())
    problems = tuple(
        sorted((c for c in checks if c.status != "met"), key=lambda c: (c.mechanism, c.reference))
    )
    return Outcome(False, (), problems)


def _lasting(c: SafeguardCheck) -> tuple[int, dt.date, str]:
    # No expiry lasts longest; ties broken by reference for a deterministic choice.
    return (1, dt.date.max, c.reference) if c.expires is None else (0, c.expires, c.reference)
