"""A cheap first look at a validated transfer's references, for the per-line hot path.

:func:`..transfers.check_references` dumps the transfer to JSON (``model_dump``) and walks
the dump for unknown categories, vocabulary words, zones and context facts: about half
the cost of reading a batch line or a diff transfer, spent on a check almost every line
passes. :class:`Vocabulary` holds the same word lists as sets, built once per set of
policies, and :meth:`Vocabulary.clean` reads the same fields straight from the model (the
values a JSON dump holds: the model's own strings, stripped and upper-cased as validated).

It only ever answers "nothing to report": anything else, including a safeguard that
expires before it was obtained, goes to ``check_references`` itself, which finds and
words every problem exactly as before. So a line is refused for the same faults, with
the same messages, either way (tests/test_batch_vocabulary.py checks both against each
other field by field).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..loading import Document
from ..models.policies import Policies
from ..models.transfer import OnwardLeg, Transfer
from ..transfers import Located, check_references


@dataclass(frozen=True)
class Vocabulary:
    """The words :func:`..transfers.reference_problems` accepts, for one set of policies."""

    policies: Policies
    categories: frozenset[str]
    purposes: frozenset[str]
    transactions: frozenset[str]
    recipient_types: frozenset[str]
    mechanisms: frozenset[str]
    security_measures: frozenset[str]
    context_facts: frozenset[str]
    zones: dict[str, frozenset[str]]
    """Jurisdiction -> the zones of its loaded layers."""

    @classmethod
    def of(cls, policies: Policies) -> Vocabulary:
        tax = policies.taxonomy
        zones: dict[str, set[str]] = {}
        for code, zone in policies.layers:
            zones.setdefault(code, set()).add(zone)
        return cls(
            policies,
            frozenset(tax.categories),
            frozenset(tax.purposes),
            frozenset(tax.transactions),
            frozenset(tax.recipient_types),
            frozenset(tax.mechanisms),
            frozenset(tax.security_measures),
            frozenset(policies.context_facts()),
            {code: frozenset(zs) for code, zs in zones.items()},
        )

    def clean(self, transfer: Transfer) -> bool:
        """True only if ``check_references`` would find nothing wrong with ``transfer``."""
        categories = self.categories
        if any(item.category not in categories for item in transfer.data):
            return False
        if not self._side(transfer) or not all(self._side(leg) for leg in transfer.onward):
            return False
        if not self.security_measures.issuperset(transfer.security):
            return False
        if not self.context_facts.issuperset(transfer.context):
            return False
        if not all(self.context_facts.issuperset(leg.context) for leg in transfer.onward):
            return False  # (a leg's context overrides are checked as the transfer's are)
        zone = transfer.exporter.zone
        if zone is not None:
            code = self.policies.jurisdiction_of(transfer.origin)
            if code is None or zone not in self.zones.get(code, ()):
                return False
        return True

    def _side(self, side: Transfer | OnwardLeg) -> bool:
        """The words of a transfer's first hop or of one onward leg."""
        if side.purpose is not None and side.purpose not in self.purposes:
            return False
        bound = getattr(side, "purpose_bound", None)  # an onward leg has none
        if bound is not None and not self.purposes.issuperset(bound.purposes):
            return False
        if side.transaction is not None and side.transaction not in self.transactions:
            return False
        kind = side.recipient.type
        if kind is not None and kind not in self.recipient_types:
            return False
        for safeguard in side.safeguards:
            if safeguard.mechanism not in self.mechanisms:
                return False
            scoped: Iterable[str] = safeguard.scope.categories or ()
            if not self.categories.issuperset(scoped):
                return False
            if safeguard.expires is not None and safeguard.expires < safeguard.obtained:
                return False
        return True

    def check(self, transfer: Transfer, document: Callable[[], Document]) -> None:
        """``check_references`` for a transfer read from ``document()`` (made only to
        place a fault), cheaply when clean."""
        if not self.clean(transfer):
            check_references(Located(transfer, document(), ()), self.policies)
