"""The closed vocabularies of a transfer description, and a commented template of one.

Generated from the loaded taxonomy and catalogues, never written by hand: ``vocab`` prints
them (render/vocab_report.py writes the tables), docs/transfers.md embeds ``vocab --format markdown`` output (a test regenerates it,
so the page cannot drift from the taxonomy), and ``new transfer`` writes a template whose
comments list the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the CLI imports Kind at start-up, and nothing else with it
    from .models.policies import Policies
    from .models.taxonomy import Taxonomy


class Kind(StrEnum):
    """A closed vocabulary, named for the transfer field that uses it (and the ``vocab``
    command's argument)."""

    purposes = "purposes"
    recipients = "recipients"
    transactions = "transactions"
    categories = "categories"
    mechanisms = "mechanisms"
    security = "security"
    context = "context"
    lanes = "lanes"


FIELD = {
    Kind.purposes: "purpose",
    Kind.recipients: "recipient.type",
    Kind.transactions: "transaction",
    Kind.categories: "data[].category",
    Kind.mechanisms: "safeguards[].mechanism",
    Kind.security: "security (keys)",
    Kind.context: "context (keys)",
    Kind.lanes: "green lane",
}


def words(policies: Policies, kind: Kind) -> dict[str, str]:
    """Each word of a vocabulary with its one-line meaning, in taxonomy order."""
    tax: Taxonomy = policies.taxonomy
    if kind is Kind.purposes:
        return dict(tax.purposes)
    if kind is Kind.recipients:
        return dict(tax.recipient_types)
    if kind is Kind.transactions:
        return dict(tax.transactions)
    if kind is Kind.categories:
        out = {}
        for cid, c in tax.categories.items():
            flags = [
                f for f, on in (("personal", c.personal), ("national security", c.national_security)) if on
            ]
            meaning = " ".join(c.description.split())
            out[cid] = meaning + (f" [{', '.join(flags)}]" if flags else "")
        return out
    if kind is Kind.mechanisms:
        return {k: " ".join(m.description.split()) for k, m in tax.mechanisms.items()}
    if kind is Kind.security:
        return dict(tax.security_measures)
    if kind is Kind.context:
        facts: dict[str, str] = {}
        for code, lc in [*sorted(policies.catalogues.items()), *sorted(policies.layers.items())]:
            for name, meaning in lc.catalogue.context_facts.items():
                facts.setdefault(
                    name, f"{' '.join(meaning.split())} ({code if isinstance(code, str) else code[1]})"
                )
        return dict(sorted(facts.items()))
    return lanes(policies)


def lanes(policies: Policies) -> dict[str, str]:
    """Every green lane of the loaded catalogues and what a transfer needs to reach it."""
    out: dict[str, str] = {}
    for code, lc in sorted(policies.catalogues.items()):
        for lane in lc.catalogue.green_lanes:
            side = {"outbound": f"exports from {code}", "inbound": f"imports into {code}"}.get(
                lane.direction, f"exports from and imports into {code}"
            )
            need = [f"purpose one of {', '.join(lane.purposes)}"]
            when = lane.when.model_dump(exclude_defaults=True)
            if when.get("transactions"):
                need.append(f"transaction {' or '.join(when['transactions'])}")
            if lane.categories:
                need.append(f"data only in {', '.join(lane.categories)}")
            out[lane.id] = f"{lane.title} ({side}): {'; '.join(need)}"
    return out


def _choices(table: Mapping[str, str]) -> str:
    return ", ".join(table)


def template(policies: Policies) -> str:
    """A commented transfer description that ``check`` decides as written (allow: ordinary
    business records), to be edited into a real one; the comments list the vocabularies."""
    tax = policies.taxonomy
    return f"""\
# A transfer description for `dataflow-rules check`. Every field is explained in
# docs/transfers.md; `dataflow-rules vocab KIND` lists the closed vocabularies.
# Required: id, origin, destination, data. Anything else left out that a matching
# catalogue entry needs makes the decision review, naming the missing fact.
id: my-first-transfer            # letters, digits, _ . : - ; unique in a run
description: What is sent, to whom, and why.
origin: US                       # ISO 3166-1 alpha-2 country code of the exporter
destination: CN                  # ISO 3166-1 alpha-2 country code of the recipient
date: 2026-03-01                 # when the transfer happens (YYYY-MM-DD); rules in force then apply
exporter:
  name: Example Exporter Inc.
  ciio: false                    # China: a critical-information-infrastructure operator?
recipient:
  name: Example Recipient Ltd.
  type: company                  # {_choices(tax.recipient_types)}
  controlled_by: CN              # country whose state or nationals own or control it
purpose: business_operations     # {_choices(tax.purposes)}
transaction: vendor_agreement    # {_choices(tax.transactions)}
data:                            # one item per kind of data (categories: `dataflow-rules vocab categories`)
  - category: business.operations
    records: 1000                # counts the law's thresholds use: individuals, records, devices
    anonymised: false            # for personal data: anonymised as the law defines it?
# safeguards:                    # mechanisms already in place (`dataflow-rules vocab mechanisms`)
#   - mechanism: cn.standard_contract
#     reference: FILING-2026-001 # filing or approval number an auditor looks up
#     obtained: 2026-01-15       # date obtained (YYYY-MM-DD)
#     expires: 2029-01-15        # expiry stated on it, if any
#     scope: {{destinations: [CN], max_individuals: 50000}}
# security:                      # measures in place: {_choices(tax.security_measures)}
#   encryption_in_transit: true
"""
