"""Facts stated once for every transfer of a repository or organisation.

Most manifests a data team keeps say where data goes and what it is, not who the
exporter is in law. Whether the exporter is a critical-information-infrastructure
operator, a data broker, in which zone it is registered: those are facts about the
organisation, true for every one of its transfers. A facts file states them once (the
``facts:`` section of ``dataflow-rules.yaml`` at the repository root, or ``--facts FILE``);
a transfer that states a fact itself keeps its own value, and every decision names each
fact it took from the file (docs/semantics.md, section 4a).
"""

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, field_validator

from .common import CountryCode, Flags, Identifier, Strict, Text, new_dict, new_list

VOLUME_MAX = 10**10
"""The largest count a facts file's ``volume`` may state (as a transfer's count)."""

CategoryPrefix = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=200)]
"""A category of the taxonomy, standing for itself and every category under it."""

VolumeCount = Annotated[StrictInt, Field(ge=0, le=VOLUME_MAX)]


RECIPIENT_CLAIM = (
    "a facts file cannot state whether a recipient is a U.S. person (28 CFR 202.256(a)): that is "
    "one recipient's own status, and a facts file's recipient stands for every transfer's; "
    "state recipient.us_person in the transfer (or onward[...].recipient.us_person in a leg)"
)
"""Why a facts file refuses ``recipient.us_person`` (and the context fact it replaced).

A facts file names no party: its ``recipient`` fills the first recipient of *every*
transfer that leaves a field unstated, whoever that recipient is, and reaches no onward
leg. A U.S. person is a recipient's own status (a citizen, a lawful permanent resident, an
entity organised under U.S. law, a person in the United States), true of one recipient and
not of the next. And the claim only ever permits: ``true`` makes the DSP entries match the
recipient only as designated, which the US catalogue presumes it is not (202.211(a)(5)),
so one line would clear the prohibitions for every unstated recipient in a country of
concern on no fact about any of them; ``false`` decides as leaving it unstated. Never a
wrong allow: the claim is made only where the recipient is described."""

CLAIMS: dict[tuple[str, str], str] = {
    ("recipient", "us_person"): RECIPIENT_CLAIM,
    ("context", "recipient_us_person"): "no longer a context fact; " + RECIPIENT_CLAIM,
}
"""(section, key) a facts file may not state -> the message saying why (facts_file.py
reports each on its own line; the model refuses them for API callers too)."""


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
    context: Flags = Field(default_factory=new_dict)
    """Catalogue context facts true of every transfer (e.g. ``exporter_is_data_broker: false``)."""
    security: Flags = Field(default_factory=new_dict)
    excluded_purposes: list[Identifier] = Field(default_factory=new_list, max_length=100)
    """Purposes no transfer of the organisation has unless it says so (e.g. ``law_enforcement``:
    no pipeline answers a foreign court's request); a transfer stating no purpose is decided
    over the other purposes only, and the decision names this file (issue 19)."""
    volume: Annotated[dict[CategoryPrefix, VolumeCount], Field(max_length=100)] = Field(
        default_factory=new_dict
    )
    """At most how many individuals' data of each category prefix the organisation sends
    abroad in any 12 months, all its transfers together (``personal: 60000``,
    ``personal.sensitive: 0``). It caps what an unstated count can be in every tally whose
    window is at most 12 months, never a stated count; counts stated above it contradict it
    and it is then not used (engine/volume.py; docs/semantics.md, section 4a)."""
    alternatives: list[CountryCode] = Field(default_factory=new_list, max_length=50)
    """Countries the organisation could send data to instead; remediation suggests only these."""
    source: str = "facts file"
    """Where the facts were read (a path), named in every decision that uses one."""

    @field_validator("context")
    @classmethod
    def _no_recipient_claim(cls, value: dict[str, bool]) -> dict[str, bool]:
        """The context fact ``recipient_us_person`` is a recipient's own claim (:data:`CLAIMS`)."""
        if "recipient_us_person" in value:
            raise ValueError("context.recipient_us_person: " + CLAIMS[("context", "recipient_us_person")])
        return value
