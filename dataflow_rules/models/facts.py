"""Facts stated once for every transfer of a repository or organisation.

Most manifests a data team keeps say where data goes and what it is, not who the
exporter is in law. Whether the exporter is a critical-information-infrastructure
operator, a data broker, in which zone it is registered: those are facts about the
organisation, true for every one of its transfers. A facts file states them once (the
``facts:`` section of ``dataflow-rules.yaml`` at the repository root, or ``--facts FILE``);
a transfer that states a fact itself keeps its own value, and every decision names each
fact it took from the file (docs/semantics.md, section 4a).
"""

from __future__ import annotations

from pydantic import Field, StrictBool

from .common import CountryCode, Identifier, Strict, Text, new_dict, new_list


class ExporterFacts(Strict):
    id: Identifier | None = None
    name: Text | None = None
    ciio: StrictBool | None = None
    zone: Identifier | None = None


class RecipientFacts(Strict):
    """Defaults for recipients the transfer does not describe otherwise."""

    type: Identifier | None = None
    affiliate: StrictBool | None = None
    controlled_by: CountryCode | None = None
    designated: StrictBool | None = None


class Facts(Strict):
    exporter: ExporterFacts = Field(default_factory=ExporterFacts)
    recipient: RecipientFacts = Field(default_factory=RecipientFacts)
    context: dict[Identifier, StrictBool] = Field(default_factory=new_dict)
    """Catalogue context facts true of every transfer (e.g. ``exporter_is_data_broker: false``)."""
    security: dict[Identifier, StrictBool] = Field(default_factory=new_dict)
    excluded_purposes: list[Identifier] = Field(default_factory=new_list, max_length=100)
    """Purposes no transfer of the organisation has unless it says so (e.g. ``law_enforcement``:
    no pipeline answers a foreign court's request); a transfer stating no purpose is decided
    over the other purposes only, and the decision names this file (issue 19)."""
    alternatives: list[CountryCode] = Field(default_factory=new_list, max_length=50)
    """Countries the organisation could send data to instead; remediation suggests only these."""
    source: str = "facts file"
    """Where the facts were read (a path), named in every decision that uses one."""
