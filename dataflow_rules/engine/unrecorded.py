"""The presumption a decision makes when no ledger was read: that no earlier transfer of
the same exporter inside the law's window counts with this one.

China counts the individuals an exporter has provided abroad since 1 January (2024
Provisions Arts 7-8), the US rule over the preceding 12 months with the same counterparty
(28 CFR 202.205). A decision made without the audit trail (``check`` without ``--ledger``,
``batch`` without ``--cumulative``, ``Engine.decide`` without ``prior``) compares this
transfer's own totals only. That may be the law's answer or an undercount; the decision
must say which it assumed and how to count for real (docs/semantics.md, section 3a).
"""

from __future__ import annotations

import datetime as dt

from ..models.catalogue import Catalogue, Counting, Entry, LocalisationEntry
from ..models.decision import Assumption, Decision, Verdict
from ..models.policies import Policies
from ..models.transfer import Transfer
from .counting import _relation, window_start

_UNITS = ("individuals", "records", "devices")

_PER = {
    "exporter": "of the same exporter",
    "exporter_and_recipient": "of the same exporter to the same recipient",
}


def unrecorded_assumptions(
    policies: Policies, transfer: Transfer, decision: Decision, day: dt.date
) -> list[Assumption]:
    """One assumption per catalogue checked whose count conditions count across transfers
    and could apply to one of the transfer's items (whatever its count: a total below the
    threshold is exactly where earlier transfers would matter). None for a restrict:
    earlier transfers only ever add to a total, so they cannot change that answer."""
    if decision.verdict is Verdict.RESTRICT:
        return []
    sides = sorted({(r.jurisdiction, r.side) for r in decision.reasons if r.kind != "domestic"})
    out: list[Assumption] = []
    seen: set[str] = set()
    for code, side in sides:
        loaded = policies.catalogues.get(code)
        if loaded is None or code in seen:
            continue
        found = _counted_across(policies, loaded.catalogue, side, transfer)
        if found is None:
            continue
        seen.add(code)
        entry, how = found
        since = window_start(how.window, day)
        window = f"since {since}" if since is not None else ""
        out.append(
            Assumption(
                fact="ledger",
                value="no earlier transfers",
                source=f"presumption {code}",
                sentence=(
                    f"No earlier transfer {_PER[how.per]} {window} was counted with this one: "
                    f"{code} counts its thresholds across transfers ({entry.id} and others), and "
                    "no ledger was read, so this decision compares this transfer's own totals only."
                ),
                override=(
                    "give the audit trail of earlier decisions with --ledger DB (or --record), "
                    "or decide a corpus together with batch --cumulative"
                ),
                citations=list(entry.citations[-1:]),
            )
        )
    return out


def _counted_across(
    policies: Policies, catalogue: Catalogue, side: str, transfer: Transfer
) -> tuple[Entry | LocalisationEntry, Counting] | None:
    """The first designation of ``catalogue`` on ``side`` with a count condition counted
    across transfers that one of the transfer's items falls within (or may contain)."""
    designations: list[Entry | LocalisationEntry] = [
        e for e in catalogue.entries if e.direction in (side, "both")
    ]
    if side == "outbound":
        designations += catalogue.localisation
    for entry in designations:
        how = entry.counting or catalogue.counting
        if how.window == "transfer" or all(getattr(entry.when, u) is None for u in _UNITS):
            continue
        categories = tuple(entry.categories)
        if any(_relation(policies.taxonomy, categories, item.category) for item in transfer.data):
            return entry, how
    return None
