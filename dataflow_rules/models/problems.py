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


_TABLE: dict[str, str] = {
    # code: "default-severity name: what it means"
    "DFR001": "error schema: a value does not fit the catalogue schema",
    "DFR002": "error unreadable: the file cannot be read or is not valid YAML",
    "DFR010": "error unknown-group: a counterparty names a group the catalogue does not define",
    "DFR011": "error unknown-category: a category is not in the taxonomy",
    "DFR012": "error unknown-country: a country is not an ISO 3166-1 alpha-2 code",
    "DFR013": "error unknown-entry: an exemption applies to an entry id that does not exist",
    "DFR014": "error unknown-term: a purpose, transaction, recipient type, requirement, mechanism, security measure or context fact is not defined",
    "DFR015": "error duplicate-id: two entries, lanes or exemptions share an id",
    "DFR016": "error duplicate-jurisdiction: two catalogues for one jurisdiction (or layers for one zone), or a country covered twice",
    "DFR017": "error inconsistent-entry: fields of one entry contradict each other",
    "DFR020": "error citation-missing: an entry, lane, exemption or group cites nothing",
    "DFR021": "warning citation-malformed: a citation is a placeholder, malformed or dated in the future",
    "DFR030": "warning expired: an entry, lane or exemption is past its end date",
    "DFR040": "error threshold-order: a count's bounds are in the wrong order (empty range)",
    "DFR041": "error dates-reversed: expires is before effective",
    "DFR050": "warning shadowed-entry: a broader entry with a stronger outcome applies whenever this one does: this entry can never change a verdict",
    "DFR051": "warning conflicting-overlap: two entries can apply to the same data with different outcomes",
    "DFR052": "warning dead-green-lane: a green lane that can never apply",
    # Zone layers (docs/semantics.md, section 2a): a layer is checked against its base.
    "DFR060": "error layer-without-base: a layer extends a jurisdiction no catalogue is loaded for",
    "DFR061": "error unknown-disable: a layer disables an id that is not a designation of its base",
    "DFR062": "error protected-disable: a layer disables a national-security designation of its base",
    "DFR063": "error layer-not-outbound: a layer's entry or green lane is not outbound only",
    "DFR064": "warning duplicate-disable: a layer disables the same designation twice",
    "DFR065": "warning empty-layer: a layer that changes no decision of its zone's exporters",
    "DFR066": "warning dead-exemption-target: a layer's exemption names an entry it can never clear for the zone's exporters",
    "DFR067": "warning redundant-layer-entry: a base entry still in force for the zone applies whenever this layer entry does, with the same outcome: the layer entry never changes a verdict",
    "DFR068": "warning group-redefined: a layer group redefines a base group, changing what base rules match for the zone",
}
"""Every code of ``validate`` and ``lint``, one line each (docs/workbench.md lists them)."""


def _code(text: str) -> tuple[str, Severity, str]:
    """A line of :data:`_TABLE` as (name, default severity, meaning)."""
    head, _, meaning = text.partition(": ")
    severity, _, name = head.partition(" ")
    return name, Severity(severity), meaning


CODES: dict[str, tuple[str, Severity, str]] = {code: _code(text) for code, text in _TABLE.items()}
"""code: (name, default severity, what it means)."""


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
