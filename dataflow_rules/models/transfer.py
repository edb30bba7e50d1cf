"""The shape of a transfer description: who sends what data to whom, and why.

Every fact a catalogue condition may read is optional here, because users describe what
they know; a fact that a matching entry needs but the description omits makes the
decision review (see docs/semantics.md), never allow.
"""

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, PrivateAttr, StrictBool, ValidationInfo, field_validator
from pydantic_core import PydanticUndefined

from .common import CountryCode, Date, Flags, Identifier, Strict, Text, new_dict, new_list

Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000_000)]
"""Counts up to ten billion: more than every person alive, so any larger value is an error.
Strict: a yes/no or a text where a count belongs is an error, not the count 1."""


_M = TypeVar("_M", bound=BaseModel)


def _shared(model: type[_M]) -> Callable[[], _M]:
    """A default factory giving one shared, empty instance of ``model``, made on first use
    (not at import: the models' schemas are built when first needed, for a cold start).

    Every transfer that states no ``roles``, ``impact_assessment``, ``exporter`` or
    ``recipient`` (most of them) built an empty model through ``BaseModel.__init__``, a
    validation each, for every line ``batch`` and ``diff`` read. The models are frozen and
    every copy the engine makes is a new object (:func:`updated`, ``model_copy``), so one
    instance serves them all; the schema is unchanged (a factory's default is not written
    into it) and so is every dump (fields set: none, as for a fresh instance)."""
    held: list[_M] = []

    def factory() -> _M:
        if not held:
            held.append(model())
        return held[0]

    factory.__doc__ = f"The shared empty {model.__name__}."
    return factory


# -- Whether a flow is a transfer at all, and the transfer impact assessment (issue 18) -----
#
# Kept apart from the US and CN "employment agreement" (``transaction``): that is a kind of
# deal the US rule counts; these say who hands the data to whom, which decides whether GDPR
# or UK GDPR Chapter V applies at all (EDPB Guidelines 05/2021; ICO, "Are we making a
# restricted transfer?"). Each catalogue encodes its own answer from these facts.

Discloser = Literal["controller", "processor", "data_subject"]
"""Who hands the data over: a controller, a processor acting for its controller, or the
data subject sending their own data (then no exporter discloses it)."""

RecipientRole = Literal["other_party", "exporters_controller", "same_entity", "exporters_employee"]
"""Who receives it, seen from the discloser: another controller or processor (a separate
legal person, including a company of the same group); the controller on whose behalf the
discloser (a processor) processes; the discloser's own legal entity (a branch or office
abroad); or the discloser's own employee acting for it."""

AssessmentOutcome = Literal["not_impinged", "impinged"]
"""The conclusion of the assessment of the destination's law and practice for this transfer
(EDPB Recommendations 01/2020, Step 3; the ICO's transfer risk assessment): nothing in them
impinges on the safeguard relied on, or something does, so that only an effective
supplementary measure (the transfer's ``security`` measures) lets the transfer go ahead."""


class Roles(Strict):
    """Who discloses the data and who receives it; unstated: unknown (the catalogues then
    treat the flow as the transfer it may be)."""

    discloser: Discloser | None = None
    recipient: RecipientRole | None = None


class ImpactAssessment(Strict):
    """The transfer impact (UK: risk) assessment made for a transfer relying on standard
    clauses, binding corporate rules or another Art 46 safeguard."""

    outcome: AssessmentOutcome | None = None
    reference: Text | None = None
    """Where the assessment is documented: what an auditor looks up."""


class DataItem(Strict):
    """One kind of data in the dataset, with the counts the law's thresholds use.

    Counts are the totals over the law's own aggregation window (China: individuals since
    1 January of the year, this transfer included; the US rule: the preceding 12 months
    with the same counterparty), as the describer states them.
    """

    category: Annotated[str, Field(min_length=1, max_length=200)]
    individuals: Count | None = None
    records: Count | None = None
    devices: Count | None = None
    anonymised: StrictBool | None = None
    pseudonymised: StrictBool = False
    description: Text | None = None
    population: Identifier | None = None
    """Who the item describes: items (in this transfer or earlier ones) naming the same
    population describe the same people and are not added up; unstated, every item is
    taken to describe different people (the stricter reading, said in the reason)."""
    bulk: StrictBool | None = None
    """Stated without a count: true is read as meeting every count threshold."""

    @field_validator("pseudonymised")
    @classmethod
    def _not_both(cls, value: bool, info: ValidationInfo) -> bool:
        """Pseudonymised data stays personal data (PIPL Art 73(3)-(4); GDPR Recital 26;
        28 CFR 202.206), so an item stated both anonymised and pseudonymised describes two
        things at once: the catalogues would read it as anonymised (outside every personal-data
        entry), a wrong allow. The contradiction is an input error, not a guess either way."""
        if value and info.data.get("anonymised") is True:
            raise ValueError(
                "an item cannot be both anonymised and pseudonymised: pseudonymised data can be"
                " re-identified with additional information and stays personal data (PIPL Art"
                " 73(3)-(4), GDPR Recital 26); state anonymised: false"
            )
        return value


class Exporter(Strict):
    id: Identifier | None = None
    """A stable identity (registration number, LEI): earlier recorded transfers of the same
    exporter are counted together where the law counts cumulatively."""
    name: Text | None = None
    ciio: StrictBool | None = None
    """Whether the exporter is a critical-information-infrastructure operator (China)."""
    zone: Identifier | None = None
    """The zone the exporter is registered in (e.g. a Chinese pilot free trade zone); a
    loaded layer catalogue for that zone then decides the origin's outbound side."""


class Recipient(Strict):
    id: Identifier | None = None
    """A stable identity of the counterparty, for counting per counterparty."""
    name: Text | None = None
    type: Identifier | None = None
    affiliate: StrictBool | None = None
    """Whether the recipient belongs to the exporter's own corporate group."""
    controlled_by: CountryCode | None = None
    """Country whose state or nationals own or control the recipient, or where it has its
    principal place of business; the recipient's own country if none other."""
    designated: StrictBool | None = None
    """Whether the recipient is on a restricted-party designation of the exporting country
    (US: designated a covered person under 28 CFR 202.211(a)(5), wherever located)."""
    us_person: StrictBool | None = None
    """Whether the recipient is a U.S. person (28 CFR 202.256(a)): a U.S. citizen, national
    or lawful permanent resident, an individual admitted as a refugee or granted asylum, an
    entity organised solely under U.S. law (including its foreign branches), or any person
    in the United States; a citizen is one wherever located (202.256(b) Examples 2, 3, 5).
    The recipient's own fact: an onward leg's recipient states its own (section 8a), never
    inheriting this one. A U.S. person is none of the covered persons of 202.211(a)(1)-(4),
    which are foreign persons, but the Attorney General may still designate one
    (202.211(a)(5)): entries with ``counterparties.except_us_persons`` then match it only
    through ``designated``. Unstated: not known, decided as the location and control say."""


class SafeguardScope(Strict):
    """What a safeguard was granted for; an unset field means it is not limited that way."""

    recipient: Text | None = None
    """The recipient's name as the approval or contract names it."""
    destinations: Annotated[list[CountryCode], Field(min_length=1, max_length=300)] | None = None
    categories: Annotated[list[str], Field(min_length=1, max_length=200)] | None = None
    max_individuals: Count | None = None


class Safeguard(Strict):
    """A mechanism in place for this transfer: an assessment passed, a contract filed, ..."""

    mechanism: Identifier
    reference: Text
    """Filing or approval number, contract id: what an auditor looks up."""
    obtained: Date
    expires: Date | None = None
    """Expiry stated on the approval, if any; the law's own validity period also applies."""
    scope: SafeguardScope = Field(default_factory=_shared(SafeguardScope))


class OnwardLeg(Strict):
    """A further hop of the same data: the previous recipient sends it on.

    The leg is decided as a transfer of its own (see docs/semantics.md, section 8a): the
    data, date, purpose and context carry over; the exporter, recipient, transaction and
    safeguards are the leg's own (unstated: unknown).
    """

    destination: CountryCode
    exporter: Exporter = Field(default_factory=_shared(Exporter))
    """The intermediary sending the data on."""
    recipient: Recipient = Field(default_factory=_shared(Recipient))
    purpose: Identifier | None = None
    """Unset: the transfer's purpose."""
    transaction: Identifier | None = None
    context: Flags = Field(default_factory=new_dict)
    """Overrides the transfer's context facts for this leg."""
    safeguards: Annotated[list[Safeguard], Field(max_length=100)] = Field(default_factory=new_list)
    impact_assessment: ImpactAssessment = Field(default_factory=_shared(ImpactAssessment))
    """The origin exporter's assessment of the law at this leg's destination (unset:
    unknown); the leg's own roles are not described, so they are unknown."""


class PurposeBound(Strict):
    """What a description says about a purpose it does not state: the purposes the transfer
    can have (e.g. those a Fides ``data_use`` can serve), and what says so.

    Read only while ``purpose`` is unstated: a condition on the purpose holds when every
    purpose of the bound meets it, fails when none does, and is open otherwise; case
    analysis then decides over the bound's purposes only (docs/semantics.md, 4b)."""

    purposes: Annotated[list[Identifier], Field(min_length=1, max_length=100)]
    source: Text
    """What bounds it, as the decision names it: ``Fides data_use 'analytics.reporting'``."""


class Transfer(Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")]
    description: Text | None = None
    origin: CountryCode
    destination: CountryCode
    date: Date | None = None
    exporter: Exporter = Field(default_factory=_shared(Exporter))
    recipient: Recipient = Field(default_factory=_shared(Recipient))
    purpose: Identifier | None = None
    purpose_bound: PurposeBound | None = None
    """The purposes an unstated ``purpose`` can be; ignored when ``purpose`` is stated."""
    transaction: Identifier | None = None
    data: Annotated[list[DataItem], Field(min_length=1, max_length=1000)]
    context: Flags = Field(default_factory=new_dict)
    security: Flags = Field(default_factory=new_dict)
    """Security measures in place (taxonomy ``security_measures``): true, false or unstated."""
    safeguards: Annotated[list[Safeguard], Field(max_length=100)] = Field(default_factory=new_list)
    onward: Annotated[list[OnwardLeg], Field(max_length=10)] = Field(default_factory=new_list)
    """Successive further hops: destination -> onward[0].destination -> onward[1]..."""
    roles: Roles = Field(default_factory=_shared(Roles))
    """Who discloses and who receives (issue 18): whether the flow is a transfer at all."""
    impact_assessment: ImpactAssessment = Field(default_factory=_shared(ImpactAssessment))
    """The transfer impact assessment's outcome, read with ``security`` measures."""
    _volume: object = PrivateAttr(default=None)
    """A facts file's volume bound (engine/volume.py), set by the engine, never by a
    description: not a field of the schema; every copy keeps it."""


def updated(model: _M, update: Mapping[str, Any]) -> _M:
    """``model.model_copy(update=update)`` for a model of this module or of models/decision.py
    (the engine copies decisions and reasons as it annotates and merges them): the same object
    (fields, fields set, private attributes such as a transfer's volume bound), made
    without pydantic's generic path. Case analysis and presumptions copy a transfer and a
    part of it for every fact they set, several times a decision. Like ``model_copy``, the
    values are not validated: the caller's are already values of the field's type. None of
    these models allows extra fields, so none are copied."""
    new = object.__new__(type(model))
    setattr_ = object.__setattr__
    setattr_(new, "__dict__", {**model.__dict__, **update})
    setattr_(new, "__pydantic_extra__", None)
    setattr_(new, "__pydantic_fields_set__", model.__pydantic_fields_set__ | update.keys())
    private = model.__pydantic_private__
    setattr_(
        new,
        "__pydantic_private__",
        None if private is None else {k: v for k, v in private.items() if v is not PydanticUndefined},
    )
    return new
