"""The shape of a jurisdiction's catalogue of sensitive or restricted data.

A catalogue is law-shaped data: every entry, green lane, exemption and group cites its
source. Cross-references (categories, groups, entry ids, vocabularies) are checked
against the taxonomy and the rest of the catalogue by :mod:`dataflow_rules.catalogues`,
not here: these models only describe.
"""

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, model_validator

from .common import (
    Citation,
    Count,
    CountryCode,
    Date,
    Flags,
    Identifier,
    Strict,
    Text,
    country_code,
    new_dict,
    new_list,
)
from .transfer import AssessmentOutcome, Discloser, RecipientRole

Direction = Literal["outbound", "inbound", "both"]
Outcome = Literal["restrict", "review"]
Window = Literal["transfer", "calendar_year", "previous_and_current_year", "preceding_12_months"]
"""Over which days a threshold counts (Counting; the engine's arithmetic: engine/counting.py)."""
Per = Literal["exporter", "exporter_and_recipient"]
"""Whose earlier transfers a threshold adds (Counting)."""
Citations = Annotated[list[Citation], Field(min_length=1, max_length=20)]
Ids = Annotated[list[Identifier], Field(min_length=1, max_length=200)]
Mechanisms = Annotated[
    list[Identifier | Annotated[list[Identifier], Field(min_length=1, max_length=10)]], Field(max_length=20)
]


def alternatives(mechanisms: list[str | list[str]]) -> list[tuple[str, ...]]:
    """Each alternative as a tuple of mechanisms that together satisfy a requirement."""
    return [(m,) if isinstance(m, str) else tuple(m) for m in mechanisms]


NOT_A_COUNTRY = frozenset({"EU"})
"""Jurisdictions that are not countries: ISO 3166-1 reserves ``EU`` for the European Union.
A catalogue for one must say which countries it ``covers``."""


def _jurisdiction(code: str) -> str:
    upper = code.upper() if isinstance(code, str) else code
    return str(upper) if upper in NOT_A_COUNTRY else country_code(code)


Jurisdiction = Annotated[str, AfterValidator(_jurisdiction)]


class Counterparties(Strict):
    """Which other countries an entry applies to.

    Empty ``countries`` and ``groups`` mean every country. ``include_controlled`` also
    matches a recipient anywhere that is owned or controlled from a listed country (the
    US rule's "covered persons"). ``except_countries`` and ``except_groups`` then take
    countries out ("every country without an adequacy decision" is every country except
    the adequacy group); an excluded peer never matches, whoever controls the recipient.
    """

    countries: list[CountryCode] = Field(default_factory=new_list, max_length=300)
    groups: list[Identifier] = Field(default_factory=new_list, max_length=50)
    include_controlled: StrictBool = False
    include_designated: StrictBool = False
    """Also match a recipient stated to be designated (``recipient.designated``), wherever it is."""
    except_us_persons: StrictBool = False
    """A recipient stated to be a U.S. person (``recipient.us_person: true``, 28 CFR
    202.256(a)) is matched only as designated (``include_designated``), never by where it
    is or who controls it: the covered persons of 202.211(a)(1)-(4) are all foreign
    persons, and only a designation (202.211(a)(5), "any person, wherever located") makes a
    U.S. person one. Outbound rules only; an unstated ``us_person`` matches as before."""
    except_countries: list[CountryCode] = Field(default_factory=new_list, max_length=300)
    except_groups: list[Identifier] = Field(default_factory=new_list, max_length=50)

    def is_all(self) -> bool:
        """Every country, with no exclusion: no counterparty condition at all."""
        return (
            self.lists_all()
            and not self.except_countries
            and not self.except_groups
            and not self.include_designated
            and not self.except_us_persons
        )

    def lists_all(self) -> bool:
        """No countries or groups listed: every country before exclusions."""
        return not self.countries and not self.groups


class Counting(Strict):
    """How the law counts a threshold: over which window and per whom.

    ``transfer``: this transfer's items only. ``calendar_year``: since 1 January of the
    as-of year (China, 2024 Provisions Arts 7-8). ``previous_and_current_year``: since 1
    January of the year before the as-of year (China before 22 March 2024, 2022 Measures
    for the Security Assessment of Outbound Data Transfers Art 4: 自上年1月1日起).
    ``preceding_12_months``: the year before the as-of date (28 CFR 202.205). ``per``:
    whose earlier transfers are added (the same exporter; or the same exporter and the same
    recipient, the US rule's "same U.S. person and the same foreign person"). Earlier transfers come from a ledger of recorded
    decisions (docs/semantics.md, section 3a).
    """

    window: Window = "transfer"
    per: Per = "exporter"


COUNTS = ("individuals", "records", "devices")
"""Count conditions: the data item's count must fall within the bounds."""

CHOICES = (
    "recipient_types",
    "purposes",
    "transactions",
    "disclosers",
    "recipient_roles",
    "assessment_outcomes",
)
"""Choice conditions: the transfer's value must be one of those listed."""


class Conditions(Strict):
    """Facts about the transfer or a data item that must all hold for an entry to apply.

    A condition whose fact the transfer does not state cannot be decided: for an entry
    that makes the verdict review (a missing fact), for an exemption or green lane it
    means the exemption does not apply.
    """

    individuals: Count | None = None
    records: Count | None = None
    devices: Count | None = None
    anonymised: StrictBool | None = None
    exporter_ciio: StrictBool | None = None
    recipient_affiliate: StrictBool | None = None
    recipient_types: list[Identifier] | None = Field(default=None, min_length=1)
    purposes: list[Identifier] | None = Field(default=None, min_length=1)
    transactions: list[Identifier] | None = Field(default=None, min_length=1)
    context: Flags | None = Field(default=None, min_length=1)
    security: Flags | None = Field(default=None, min_length=1)
    """Security measures of the transfer (taxonomy ``security_measures``) required or excluded."""
    # Issue 18: whether the flow is a transfer at all, and the impact assessment's outcome.
    disclosers: list[Discloser] | None = Field(default=None, min_length=1)
    """Who discloses (``roles.discloser``) is one of these."""
    recipient_roles: list[RecipientRole] | None = Field(default=None, min_length=1)
    """Who receives, seen from the discloser (``roles.recipient``), is one of these."""
    assessment_outcomes: list[AssessmentOutcome] | None = Field(default=None, min_length=1)
    """The transfer impact assessment's outcome (``impact_assessment.outcome``) is one of these."""

    def facts(self) -> list[str]:
        """The transfer facts these conditions read, in a stable order."""
        names = []
        for name in (*COUNTS, "anonymised", "exporter_ciio", "recipient_affiliate", *CHOICES):
            if getattr(self, name) is not None:
                names.append(name)
        for key in sorted(self.context or {}):
            names.append(f"context.{key}")
        for key in sorted(self.security or {}):
            names.append(f"security.{key}")
        return names


class _Dated(Strict):
    effective: Date | None = None
    """First day the rule applies; before it the entry is skipped."""
    expires: Date | None = None
    """Last day the rule applies."""

    @model_validator(mode="after")
    def _ordered(self) -> "_Dated":
        if self.effective and self.expires and self.expires < self.effective:
            raise ValueError("expires is before effective")
        return self

    def in_force(self, on: dt.date) -> bool:
        return (self.effective is None or on >= self.effective) and (
            self.expires is None or on <= self.expires
        )


class Entry(_Dated):
    """A restricted or sensitive designation: what data, to whom, under which conditions."""

    id: Identifier
    title: Text
    description: Text | None = None
    categories: Ids
    direction: Direction
    counterparties: Counterparties = Field(default_factory=Counterparties)
    when: Conditions = Field(default_factory=Conditions)
    outcome: Outcome
    requirement: Identifier
    mechanisms: Mechanisms = Field(default_factory=new_list)
    """What satisfies the requirement: any one alternative; an alternative written as a
    list needs all of its mechanisms. Empty for a prohibition: nothing satisfies it."""
    national_security: StrictBool = False
    """A national-security designation: no green lane can clear it."""
    overrides_green_lanes: StrictBool = False
    """The law applies whatever the purpose (e.g. the US rule ignores anonymisation)."""
    counting: Counting | None = None
    """How its count thresholds are counted; unset: the catalogue's ``counting``."""
    wherever_located: list[Literal["designated", "controlled", "stated_foreign"]] = Field(
        default_factory=new_list, max_length=3
    )
    """Who the rule reaches wherever they are, so it is also checked for transfers inside
    the country: a recipient ``designated`` (28 CFR 202.211(a)(5), a covered person
    designated "wherever located"), one ``controlled`` from a listed country (PADFA's
    "controlled by a foreign adversary"), or, ``stated_foreign``, an entity stated not to
    be a U.S. person (``recipient.us_person: false``) and controlled from a listed country:
    a company organised under a country of concern's laws is a foreign person "including
    its U.S. branch" (28 CFR 202.256(b) Example 7), so being in the country does not make
    it a U.S. person, while an individual there always is one (202.256(a), Example 1).
    Location alone never brings it in at home."""
    overlaps: list[Identifier] = Field(default_factory=new_list, max_length=50)
    """Designations the law makes apply together with this one to the same data, the
    stricter deciding: ``lint`` does not report the pair as a conflicting overlap (DFR051).
    Each id must be an entry or localisation entry of the catalogue (DFR013)."""
    citations: Citations


class LocalisationEntry(_Dated):
    """Data that must be stored in the jurisdiction; export only through ``requirement``."""

    id: Identifier
    title: Text
    description: Text | None = None
    categories: Ids
    counterparties: Counterparties = Field(default_factory=Counterparties)
    when: Conditions = Field(default_factory=Conditions)
    outcome: Outcome = "restrict"
    requirement: Identifier = "local_storage"
    mechanisms: Mechanisms = Field(default_factory=new_list)
    national_security: StrictBool = False
    overrides_green_lanes: StrictBool = True
    counting: Counting | None = None
    overlaps: list[Identifier] = Field(default_factory=new_list, max_length=50)
    """Designations the law makes apply together with this one to the same data, the
    stricter deciding: ``lint`` does not report the pair as a conflicting overlap (DFR051).
    Each id must be an entry or localisation entry of the catalogue (DFR013)."""
    citations: Citations


Designation = Entry | LocalisationEntry
"""A rule that designates data and gives it a verdict: an entry or a localisation entry."""


class GreenLane(_Dated):
    """A sector or purpose whose transfers are free of this catalogue's restrictions.

    Per the seeds, a lane never covers national-security data or personal data that is not
    anonymised; ``categories`` narrows it further, ``when`` adds conditions.
    """

    id: Identifier
    title: Text
    direction: Direction = "both"
    """Which side's transfers the lane frees: the catalogue country's exports, imports or both."""
    purposes: Ids
    categories: list[str] | None = Field(default=None, min_length=1, max_length=200)
    counterparties: Counterparties = Field(default_factory=Counterparties)
    when: Conditions = Field(default_factory=Conditions)
    citations: Citations


class Exemption(_Dated):
    """A carve-out the law itself makes from named entries (e.g. contract necessity)."""

    id: Identifier
    title: Text
    applies_to: Ids
    when: Conditions
    citations: Citations

    @model_validator(mode="after")
    def _has_conditions(self) -> "Exemption":
        if not self.when.facts():
            raise ValueError("an exemption needs at least one condition in 'when'")
        return self


class Presumption(_Dated):
    """A fact the law presumes when the description is silent, stated in the decision.

    ``fact`` is a transfer fact an entry reads: ``data.anonymised`` (each item; limited to
    items within ``categories`` if given), ``exporter.ciio``, ``recipient.affiliate``,
    ``recipient.designated``, ``recipient.us_person``, ``context.<name>`` or ``security.<name>``. A presumption
    only fills a fact an open finding lacks; it never clears a finding standing on stated
    facts (docs/semantics.md, section 4a). ``effective``/``expires``: the days the law
    that presumes it is in force (China presumes unnotified data not important only from
    the 2024 Provisions); on other days the fact stays open.
    """

    fact: Annotated[
        str,
        Field(
            pattern=r"^(data\.anonymised|exporter\.ciio|recipient\.(affiliate|designated|us_person)|(context|security)\.[a-z][a-z0-9_]*)$"
        ),
    ]
    value: StrictBool
    categories: list[str] | None = Field(default=None, min_length=1, max_length=200)
    sentence: Text
    """Why the law presumes it, in one sentence."""
    citations: Citations


class Combined(Strict):
    """Combined data: a set holding more than one of ``thresholds``' categories is bulk
    where any one category's count meets the lowest of their thresholds (28 CFR
    202.205(g)). Each designation of this catalogue that tests one of these categories
    against a lower count bound is then also tested against that lowest threshold
    (docs/semantics.md, section 3a)."""

    id: Identifier
    title: Text
    thresholds: Annotated[dict[str, Count], Field(min_length=2, max_length=100)]
    """Each category's own threshold, as the law words it (``{more_than: 1000}``)."""
    citations: Citations


class ContextScope(Strict):
    """The recipients a context fact can be true of, as the law it reads says.

    Some yes/no facts can only hold for some kinds of recipient: only organisations under
    the FTC's or the Department of Transportation's jurisdiction can be on the Data
    Privacy Framework List, so a recipient *stated* to be a government body cannot be
    certified. A transfer stating the fact true of a recipient whose stated
    ``recipient.type`` is not in ``recipient_types`` states something the law makes
    impossible; it is decided with the fact false, and the decision says so (an
    assumption and a warning naming both stated facts and citing this scope). An unstated
    type never contradicts it: a case analysis trying each type (docs/semantics.md, 4b)
    does not read scopes, so a certified recipient of unstated type is decided as before.
    Keyed by the context fact, in ``context_scopes`` beside ``context_facts`` (a separate
    map, so a catalogue without it loads unchanged)."""

    recipient_types: Annotated[list[Identifier], Field(min_length=1, max_length=50)]
    """The recipient types the fact can be true of (taxonomy ``recipient_types``)."""
    sentence: Text
    """Why the fact cannot hold for any other recipient type, in one sentence."""
    citations: Citations


RecipientClaim = Literal["us_person"]
"""The yes/no recipient fields a catalogue may scope (``recipient_scopes``)."""


class Group(Strict):
    """A named list of countries, dated because such lists change."""

    title: Text
    countries: Annotated[list[CountryCode], Field(min_length=1, max_length=300)]
    as_of: Date
    citations: Citations


class Catalogue(Strict):
    """One jurisdiction's catalogue: its designations, lanes, exemptions and default.

    A catalogue with ``zone`` is a *layer*: it extends the catalogue of the same
    jurisdiction for exporters registered in that zone (``exporter.zone`` of a transfer),
    adding its own entries, lanes, exemptions, groups and context facts and turning off
    the base designations it ``disables``. See docs/semantics.md, section 2a.
    """

    jurisdiction: Jurisdiction
    """An ISO 3166-1 alpha-2 code, or ``EU`` with ``covers``."""
    covers: list[CountryCode] = Field(default_factory=new_list, max_length=300)
    """The countries whose transfers this catalogue decides (the EU's member states);
    empty: the jurisdiction's own country only."""
    zone: Identifier | None = None
    """Set on a layer: the zone whose exporters it applies to."""
    disables: list[Identifier] = Field(default_factory=new_list, max_length=1000)
    """Layer only: ids of base designations and exemptions that do not apply to the
    zone's exporters (never a national-security designation)."""
    title: Text
    version: Annotated[str, Field(min_length=1, max_length=64)]
    effective: Date
    sources: Citations
    default: Literal["allow", "review"] = "allow"
    counting: Counting = Field(default_factory=Counting)
    """How this catalogue's count thresholds are counted, unless an entry says otherwise."""
    presumptions: list[Presumption] = Field(default_factory=new_list, max_length=100)
    """Facts this catalogue's law presumes when a transfer leaves them unstated."""
    combined: list[Combined] = Field(default_factory=new_list, max_length=20)
    """Sets of categories counted together at the lowest of their thresholds."""
    groups: dict[Identifier, Group] = Field(default_factory=new_dict)
    context_facts: dict[Identifier, Text] = Field(default_factory=new_dict)
    """Yes/no facts a transfer may state in its ``context`` for this catalogue's conditions."""
    context_scopes: dict[Identifier, ContextScope] = Field(default_factory=new_dict)
    """For some of ``context_facts``: the recipient types each can be true of (ContextScope)."""
    recipient_scopes: dict[RecipientClaim, ContextScope] = Field(default_factory=new_dict)
    """For a yes/no fact a recipient states about itself (``recipient.us_person``): the
    recipient types it can be true of. Read as ``context_scopes`` are (a stated
    contradiction is decided with the fact false, and says so), but on each recipient's
    own field: an onward leg's recipient is checked on its own, inheriting nothing."""
    entries: list[Entry] = Field(default_factory=new_list, max_length=20000)
    localisation: list[LocalisationEntry] = Field(default_factory=new_list, max_length=20000)
    green_lanes: list[GreenLane] = Field(default_factory=new_list, max_length=1000)
    exemptions: list[Exemption] = Field(default_factory=new_list, max_length=1000)

    @model_validator(mode="after")
    def _shape(self) -> "Catalogue":
        if self.jurisdiction in NOT_A_COUNTRY and not self.covers:
            raise ValueError(
                f"jurisdiction '{self.jurisdiction}' is not a country: list the countries it covers in 'covers'"
            )
        if self.zone is not None and self.covers:
            raise ValueError("a layer (zone) takes the countries of the catalogue it extends: no 'covers'")
        if self.disables and self.zone is None:
            raise ValueError("only a layer (a catalogue with 'zone') may disable entries")
        return self
