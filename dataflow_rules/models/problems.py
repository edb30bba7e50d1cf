"""One result model for ``validate`` and ``lint``: a located problem with a stable code.

Codes never change meaning once published (docs/workbench.md lists them); a writer in
``dataflow_rules.render`` (``problems`` for text and JSON, ``sarif``) only chooses how to show a
list of problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..errors import Location


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


CODES: dict[str, tuple[str, Severity, str]] = {
    # code: (name, default severity, what it means)
    "DFR001": ("schema", Severity.ERROR, "a value does not fit the catalogue schema"),
    "DFR002": ("unreadable", Severity.ERROR, "the file cannot be read or is not valid YAML"),
    "DFR010": ("unknown-group", Severity.ERROR, "a counterparty names a group the catalogue does not define"),
    "DFR011": ("unknown-category", Severity.ERROR, "a category is not in the taxonomy"),
    "DFR012": ("unknown-country", Severity.ERROR, "a country is not an ISO 3166-1 alpha-2 code"),
    "DFR013": ("unknown-entry", Severity.ERROR, "an exemption applies to an entry id that does not exist"),
    "DFR014": (
        "unknown-term",
        Severity.ERROR,
        "a purpose, transaction, recipient type, requirement, "
        "mechanism, security measure or context fact is not defined",
    ),
    "DFR015": ("duplicate-id", Severity.ERROR, "two entries, lanes or exemptions share an id"),
    "DFR016": (
        "duplicate-jurisdiction",
        Severity.ERROR,
        "two catalogues for one jurisdiction (or layers for one zone), or a country covered twice",
    ),
    "DFR017": ("inconsistent-entry", Severity.ERROR, "fields of one entry contradict each other"),
    "DFR020": ("citation-missing", Severity.ERROR, "an entry, lane, exemption or group cites nothing"),
    "DFR021": (
        "citation-malformed",
        Severity.WARNING,
        "a citation is a placeholder, malformed or dated in the future",
    ),
    "DFR030": ("expired", Severity.WARNING, "an entry, lane or exemption is past its end date"),
    "DFR040": ("threshold-order", Severity.ERROR, "a count's bounds are in the wrong order (empty range)"),
    "DFR041": ("dates-reversed", Severity.ERROR, "expires is before effective"),
    "DFR050": (
        "shadowed-entry",
        Severity.WARNING,
        "a broader entry with a stronger outcome applies "
        "whenever this one does: this entry can never change a verdict",
    ),
    "DFR051": (
        "conflicting-overlap",
        Severity.WARNING,
        "two entries can apply to the same data with different outcomes",
    ),
    "DFR052": ("dead-green-lane", Severity.WARNING, "a green lane that can never apply"),
    # Zone layers (docs/semantics.md, section 2a): a layer is checked against its base.
    "DFR060": (
        "layer-without-base",
        Severity.ERROR,
        "a layer extends a jurisdiction no catalogue is loaded for",
    ),
    "DFR061": (
        "unknown-disable",
        Severity.ERROR,
        "a layer disables an id that is not a designation of its base",
    ),
    "DFR062": (
        "protected-disable",
        Severity.ERROR,
        "a layer disables a national-security designation of its base",
    ),
    "DFR063": ("layer-not-outbound", Severity.ERROR, "a layer's entry or green lane is not outbound only"),
    "DFR064": ("duplicate-disable", Severity.WARNING, "a layer disables the same designation twice"),
    "DFR065": ("empty-layer", Severity.WARNING, "a layer that changes no decision of its zone's exporters"),
    "DFR066": (
        "dead-exemption-target",
        Severity.WARNING,
        "a layer's exemption names an entry it can never clear for the zone's exporters",
    ),
    "DFR067": (
        "redundant-layer-entry",
        Severity.WARNING,
        "a base entry still in force for the zone applies whenever this layer entry does, "
        "with the same outcome: the layer entry never changes a verdict",
    ),
    "DFR068": (
        "group-redefined",
        Severity.WARNING,
        "a layer group redefines a base group, changing what base rules match for the zone",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem: where, which code, how severe, and a plain message."""

    file: str
    line: int
    column: int
    field: str
    code: str
    severity: Severity
    message: str

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @classmethod
    def at(cls, location: Location, code: str, message: str, severity: Severity | None = None) -> Problem:
        return cls(
            file=location.file,
            line=location.line or 1,
            column=location.column or 1,
            field=location.field or "",
            code=code,
            severity=severity or CODES[code][1],
            message=" ".join(message.split()),
        )

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        return (self.file, self.line, self.column, self.code, self.field, self.message)

    def one_line(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return (
            f"{self.file}:{self.line}:{self.column}:{field} {self.severity.value} {self.code} "
            f"[{self.name}] {self.message}"
        )


def ordered(problems: Sequence[Problem]) -> list[Problem]:
    """Problems in file order, duplicates removed: the same input gives the same output."""
    return sorted(set(problems), key=Problem.sort_key)
