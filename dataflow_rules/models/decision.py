"""The shape of a decision: a verdict and the reasons for it, in a stable order.

This is the one result model every renderer (text, JSON, and later SARIF, JUnit, HTML)
draws from. Its JSON form is documented in docs/semantics.md and is stable: fields are
only ever added.
"""

import datetime as dt
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .common import Citation, new_list


class Verdict(StrEnum):
    """Ordered from most permissive to strictest."""

    ALLOW = "allow"
    REVIEW = "review"
    RESTRICT = "restrict"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @staticmethod
    def strictest(verdicts: list["Verdict"]) -> "Verdict":
        """The strictest of ``verdicts`` (allow when there are none); a plain loop, not
        ``max`` with a key: the engine asks this several times for every decision."""
        found = Verdict.ALLOW
        for verdict in verdicts:
            if verdict is Verdict.RESTRICT:
                return verdict
            if verdict is Verdict.REVIEW:
                found = verdict
            elif verdict is not Verdict.ALLOW:
                raise TypeError(f"not a verdict: {verdict!r}")
        return found


_RANK = {Verdict.ALLOW: 0, Verdict.REVIEW: 1, Verdict.RESTRICT: 2}


SafeguardStatus = Literal["met", "expired", "not_yet_valid", "out_of_scope"]


class SafeguardCheck(BaseModel):
    """One safeguard in place, checked against one finding on the as-of date."""

    model_config = ConfigDict(frozen=True)

    mechanism: str
    reference: str
    obtained: dt.date
    expires: dt.date | None
    """Last valid day: the stated expiry or the law's validity period, whichever is earlier."""
    status: SafeguardStatus
    detail: str


ReasonKind = Literal[
    "entry",  # a restricted/sensitive designation applies
    "localisation",  # the data must stay in the country
    "missing_fact",  # an entry may apply but the description omits a fact it needs
    "safeguarded",  # an entry applies and the safeguards in place meet its requirement
    "exemption",  # an exemption cleared an entry's finding
    "green_lane",  # a green lane cleared an entry's finding, or applies to the transfer
    "default",  # nothing designated: the catalogue's default
    "no_catalogue",  # no catalogue is loaded for one side
    "domestic",  # origin and destination are the same country
]


class Reason(BaseModel):
    """One reason for the verdict, traceable to a catalogue entry and its legal source."""

    model_config = ConfigDict(frozen=True)

    jurisdiction: str
    side: Literal["outbound", "inbound"]
    kind: ReasonKind
    verdict: Verdict
    """What this reason alone would make the decision."""
    entry_id: str | None = None
    title: str | None = None
    requirement: str | None = None
    items: list[int] = Field(default_factory=new_list)
    """Indices of the transfer's data items this reason is about."""
    categories: list[str] = Field(default_factory=new_list)
    """The items' categories, in item order."""
    missing: list[str] = Field(default_factory=new_list)
    """Facts the description must state before the entry can be decided."""
    cleared: list[str] = Field(default_factory=new_list)
    """For exemptions and green lanes: the entry ids whose findings they cleared."""
    citations: list[Citation] = Field(default_factory=new_list)
    mechanisms: list[list[str]] = Field(default_factory=new_list)
    """What would satisfy the entry: alternatives, each a list of mechanisms needed together."""
    safeguards: list[SafeguardCheck] = Field(default_factory=new_list)
    """For safeguarded reasons the safeguards relied on; otherwise those that fall short."""
    expires: dt.date | None = None
    """For safeguarded reasons: the earliest last valid day of the safeguards relied on."""
    counted_with: list[str] = Field(default_factory=new_list)
    """Earlier transfers whose counts were added to this finding's (``record 17``: the
    audit trail's record; ``t2``: another transfer of the same run)."""
    sentence: str


class CatalogueRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    jurisdiction: str
    version: str
    digest: str
    """sha256 of the catalogue file's bytes, so a decision names exactly what decided it."""


class Change(BaseModel):
    """One change to a transfer description: set a field, remove a data item, or add a
    safeguard (``op: add``, ``path: safeguards``, ``value``: the mechanism to put in place)."""

    model_config = ConfigDict(frozen=True)

    op: Literal["set", "remove", "add"]
    path: str
    """The field as users write it: ``data[0].anonymised``, ``destination``, ``data[1]``,
    ``safeguards``."""
    value: bool | int | str | None = None
    sentence: str


class Remediation(BaseModel):
    """A smallest change found to lower a review or restrict verdict, with the verdict the
    engine gives the changed transfer (docs/workbench.md, "Remediation")."""

    model_config = ConfigDict(frozen=True)

    changes: list[Change]
    verdict: Verdict
    sentence: str


class Assumption(BaseModel):
    """A fact the decision took as given because the description left it unstated: a
    presumption of a catalogue's law, or a fact stated once in a facts file."""

    model_config = ConfigDict(frozen=True)

    fact: str
    """As users write it: ``data[0].anonymised``, ``exporter.ciio``."""
    value: bool | str
    source: str
    """``presumption CN`` (the catalogue whose law presumes it) or the facts file's path."""
    sentence: str
    override: str
    """How to say otherwise."""
    citations: list[Citation] = Field(default_factory=new_list)


class Branch(BaseModel):
    """One combination of values of the facts a case analysis tried, and its verdict."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, bool | str]
    """Each fact's value; a count's is the range it stands for (``"0 to 9,999"``)."""
    verdict: Verdict


class CaseAnalysis(BaseModel):
    """The decision taken for every value of facts the description leaves open.

    ``facts`` were left open; every combination of their values was decided (``branches``).
    When every branch gives the same verdict that is the decision's verdict, whatever the
    facts are; otherwise the verdict is review and ``splits`` names the facts whose value
    changes it."""

    model_config = ConfigDict(frozen=True)

    facts: list[str]
    branches: list[Branch]
    splits: list[str] = Field(default_factory=new_list)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    transfer_id: str
    origin: str
    destination: str
    verdict: Verdict
    as_of: dt.date
    reasons: list[Reason]
    catalogues: list[CatalogueRef]
    conditions: list[str] = Field(default_factory=new_list)
    """The safeguards an allow (or lower) verdict relies on, one sentence each."""
    expires: dt.date | None = None
    """The earliest last valid day among the safeguards relied on: decide again after it."""
    warnings: list[str] = Field(default_factory=new_list)
    remediations: list[Remediation] = Field(default_factory=new_list)
    """Changes that would lower the verdict; computed only on request (``check --remediate``,
    ``explain``), empty otherwise."""
    assumptions: list[Assumption] = Field(default_factory=new_list)
    """Facts taken as given (presumptions, the facts file): each with how to override it."""
    cases: CaseAnalysis | None = None
    """Set when open facts were decided value by value (docs/semantics.md, section 4b)."""
    retrospective: bool = False
    """Decided as of a day before the day it was made: it describes the law then, and no
    gate passes on it."""


_Built = TypeVar("_Built", bound=BaseModel)

_SHAPES: dict[
    type[BaseModel],
    tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], frozenset[str], frozenset[str]],
] = {}
"""A model class -> (its plain defaults in field order, its default factories, its field
names, its required field names): read once from ``model_fields``."""


def built(model: type[_Built], values: dict[str, Any]) -> _Built:
    """``model(**values)`` for a :class:`Reason` or :class:`Decision` the engine writes from
    values it made itself, of the fields' types: the same object (fields in order, fields
    set, defaults from the same factories) without pydantic's validation. Only the shape is
    checked: every required field given, no unknown one. The caller passes lists no one
    else holds (validation would have copied them). Measured (pydantic 2.12.5): a reason
    built so costs 30% less than one validated; ``model_construct`` costs four times more
    than validating, so it is not used."""
    shape = _SHAPES.get(model)
    if shape is None:
        shape = _SHAPES[model] = _shape(model)
    defaults, factories, names, required = shape
    keys = values.keys()
    if not (required <= keys and keys <= names):
        missing, unknown = sorted(required - keys), sorted(keys - names)
        raise TypeError(f"{model.__name__}: missing {missing}, unknown {unknown}")
    fields = defaults.copy()
    for name, make in factories:
        if name not in values:
            fields[name] = make()
    fields.update(values)
    new = object.__new__(model)
    setattr_ = object.__setattr__
    setattr_(new, "__dict__", fields)
    setattr_(new, "__pydantic_fields_set__", set(keys))
    setattr_(new, "__pydantic_extra__", None)
    setattr_(new, "__pydantic_private__", None)
    return new


def _shape(
    model: type[BaseModel],
) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], frozenset[str], frozenset[str]]:
    if model.__private_attributes__ or model.model_config.get("extra") == "allow":
        raise TypeError(f"{model.__name__}: built() makes models without private attributes or extras")
    defaults: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    required: set[str] = set()
    for name, info in model.model_fields.items():
        defaults[name] = None  # (a placeholder keeping the field order; always replaced)
        if info.is_required():
            required.add(name)
        elif info.default_factory is not None:
            factories.append((name, info.default_factory))  # type: ignore[arg-type]
        else:
            defaults[name] = info.default
    return defaults, tuple(factories), frozenset(defaults), frozenset(required)
