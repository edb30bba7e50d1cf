"""Binding corporate rules bind the members of the exporter's group only (GDPR Art 4(20),
47(1)(a); UK GDPR the same; PDP Regulations 2021 reg 11(3)(c)): a safeguard of such a
mechanism is met only for a recipient stated ``affiliate: true``. Before s10 the rules were
met for any recipient, so a transfer to an unrelated company under the group's BCRs was a
wrong allow (law cases ``*_bcr_recipient_*``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from dataflow_rules import Policies, Transfer
from dataflow_rules.engine.safeguards import check
from dataflow_rules.models.taxonomy import Mechanism

BCR = {"EU": ("DE", "eu.bcr"), "GB": ("GB", "uk.bcr"), "SG": ("SG", "sg.bcr")}


def _transfer(origin: str, mechanism: str, affiliate: bool | None) -> Transfer:
    recipient: dict[str, Any] = {"name": "Example Recipient", "type": "company"}
    if affiliate is not None:
        recipient["affiliate"] = affiliate
    return Transfer.model_validate(
        {
            "id": "bcr",
            "origin": origin,
            "destination": "IN",
            "date": "2026-03-02",
            "recipient": recipient,
            "data": [{"category": "personal.contact", "individuals": 10, "anonymised": False}],
            "safeguards": [{"mechanism": mechanism, "reference": "BCR-1", "obtained": "2025-01-01"}],
        }
    )


@pytest.mark.parametrize("jurisdiction", sorted(BCR))
@pytest.mark.parametrize(
    ("affiliate", "status"), [(True, "met"), (False, "out_of_scope"), (None, "out_of_scope")]
)
def test_bcr_is_met_only_for_a_stated_group_member(
    policies: Policies, jurisdiction: str, affiliate: bool | None, status: str
) -> None:
    origin, mechanism = BCR[jurisdiction]
    t = _transfer(origin, mechanism, affiliate)
    result = check(t.safeguards[0], t, 0, policies.taxonomy, dt.date(2026, 3, 2))
    assert result.status == status
    if status != "met":
        assert "recipient.affiliate" in result.detail
        assert ("stated not to be" in result.detail) is (affiliate is False)


def test_only_the_binding_corporate_rules_are_limited_to_group_members(policies: Policies) -> None:
    limited = {name for name, m in policies.taxonomy.mechanisms.items() if m.related_recipients_only}
    assert limited == {"eu.bcr", "uk.bcr", "sg.bcr"}


def test_the_limit_must_be_cited() -> None:
    with pytest.raises(ValidationError, match="related_citation"):
        Mechanism.model_validate({"description": "Group rules.", "related_recipients_only": True})
