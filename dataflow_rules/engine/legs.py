"""The hops of a transfer with onward legs (docs/semantics.md, section 8a).

One statement of how onward legs are described, shared by the engine (which decides
them) and by explain (which traces them), so the two can never walk different legs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.policies import Policies
from ..models.transfer import Roles, Transfer


@dataclass(frozen=True)
class Hop:
    """One onward hop to decide: its label, the transfer as that hop, and whether only the
    origin's outbound rules apply (the origin's export rules following the data)."""

    label: str
    transfer: Transfer
    leg: int
    """The index of the onward leg (``transfer.onward[leg]``) this hop decides."""
    outbound_only: bool = False

    def path(self, fact: str) -> str:
        """``fact``, as this hop's rules name it, as a path of the whole transfer: a fact of
        the leg's own recipient (and, on the leg's own hop, of its exporter) is the leg's,
        ``onward[0].recipient.designated``, so that a presumption or a case fills the
        leg's recipient, not the first one. Every other fact the hop reads it inherits
        when the leg leaves it unstated (the data, date, context, security, purpose,
        transaction; on the export rules' hop the exporter too), so its path stays the
        transfer's: setting it there reaches the leg. The leg's impact assessment and
        roles are its own too, but no presumption or case sets them."""
        head = fact.partition(".")[0]
        if head == "recipient" or (head == "exporter" and not self.outbound_only):
            return f"onward[{self.leg}].{fact}"
        return fact


def onward_hops(policies: Policies, transfer: Transfer) -> list[Hop]:
    """Every onward hop after the first leg, in order: each leg decided as its own transfer,
    and, where a leg leaves the origin's jurisdiction, the origin's export rules for data
    reaching that leg's destination."""
    hops = [transfer.origin, transfer.destination, *(leg.destination for leg in transfer.onward)]
    origin = policies.jurisdiction_of(transfer.origin)
    out: list[Hop] = []
    for k, leg in enumerate(transfer.onward):
        here, there = hops[k + 1], hops[k + 2]
        carried = transfer.model_copy(
            update={
                "origin": here,
                "destination": there,
                "exporter": leg.exporter,
                "recipient": leg.recipient,
                "purpose": leg.purpose or transfer.purpose,
                "transaction": leg.transaction or transfer.transaction,
                "context": {**transfer.context, **leg.context},
                "safeguards": list(leg.safeguards),
                "onward": [],
                "roles": Roles(),
                "impact_assessment": leg.impact_assessment,
            }
        )
        out.append(Hop(f"Onward leg {k + 1} ({here} to {there})", carried, k))
        j_here, j_there = policies.jurisdiction_of(here), policies.jurisdiction_of(there)
        if origin is not None and origin not in (j_here, j_there):
            reach = transfer.model_copy(
                update={
                    "destination": there,
                    "recipient": leg.recipient,
                    "transaction": leg.transaction or transfer.transaction,
                    "safeguards": [*transfer.safeguards, *leg.safeguards],
                    "onward": [],
                    "roles": Roles(),
                    "impact_assessment": leg.impact_assessment,
                }
            )
            label = f"Onward leg {k + 1} ({transfer.origin}'s export rules for data reaching {there})"
            out.append(Hop(label, reach, k, outbound_only=True))
    return out
