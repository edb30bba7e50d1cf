"""The web form: the vocabularies it offers, and turning its fields into a transfer.

The form only gathers fields; the transfer it builds goes through the same reading and
checking as a file on the command line (:func:`dataflow_rules.transfers.parse_transfers`),
so the form can never accept what ``check`` would refuse. Yes/no facts have three choices,
*not stated*, *yes* and *no*, because an unstated fact means something different (review)
from a stated *no*; security measures are yes/no facts too, for the same reason.

Data items and safeguards are repeatable rows named ``data-N-field`` and
``safeguard-N-field``; a row left wholly blank is not part of the transfer, so the page can
always offer one empty safeguard row without inventing a safeguard nobody described.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import DataflowRulesError, Location
from ..models.policies import Policies

FORM_SOURCE = "form"
PASTE_SOURCE = "pasted"
MAX_ITEMS = 200
_ROW = re.compile(r"^(data|safeguard)-(\d{1,3})-([a-z_]+)$")
ITEM_FIELDS = ("category", "individuals", "records", "devices", "anonymised", "pseudonymised", "description")
SAFEGUARD_FIELDS = (
    "mechanism",
    "reference",
    "obtained",
    "expires",
    "recipient",
    "destinations",
    "categories",
    "max_individuals",
)
_ROW_FIELDS = {"data": ITEM_FIELDS, "safeguard": SAFEGUARD_FIELDS}
_LIST_SEPARATOR = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Vocabulary:
    """Everything the form offers to choose from, taken from the loaded policies."""

    countries: list[tuple[str, str]]
    catalogued: list[str]
    categories: list[tuple[str, str, int]]
    """(id, description, depth) in taxonomy order."""
    purposes: dict[str, str]
    transactions: dict[str, str]
    recipient_types: dict[str, str]
    context_facts: dict[str, str]
    mechanisms: dict[str, str] = field(default_factory=dict)
    """Safeguard mechanisms (id -> description), for the safeguard rows."""
    security_measures: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def of(policies: Policies) -> Vocabulary:
        import pycountry

        tax = policies.taxonomy
        facts: dict[str, str] = {}
        for lc in policies.catalogues.values():
            for name, text in lc.catalogue.context_facts.items():
                facts.setdefault(name, f"({lc.catalogue.jurisdiction}) {text}")
        return Vocabulary(
            countries=sorted((c.alpha_2, c.name) for c in pycountry.countries),
            catalogued=list(policies.catalogues),
            categories=[(cid, c.description, len(c.ancestors) - 1) for cid, c in tax.categories.items()],
            purposes=dict(tax.purposes),
            transactions=dict(tax.transactions),
            recipient_types=dict(tax.recipient_types),
            context_facts=dict(sorted(facts.items())),
            mechanisms={name: m.description for name, m in tax.mechanisms.items()},
            security_measures=dict(tax.security_measures),
        )


@dataclass
class FormData:
    """The submitted fields, kept to show the form again after an error."""

    values: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)
    safeguards: list[dict[str, str]] = field(default_factory=list)

    @staticmethod
    def parse(pairs: list[tuple[str, str]]) -> FormData:
        values: dict[str, str] = {}
        rows: dict[str, dict[int, dict[str, str]]] = {"data": {}, "safeguard": {}}
        for key, value in pairs:
            match = _ROW.match(key)
            if match and match.group(3) in _ROW_FIELDS[match.group(1)]:
                kind, index, name = match.group(1), int(match.group(2)), match.group(3)
                rows[kind].setdefault(index, {})[name] = value.strip()
            else:
                values[key] = value

        def filled(kind: str) -> list[dict[str, str]]:
            found = rows[kind]
            return [found[i] for i in sorted(found) if any(found[i].values())][:MAX_ITEMS]

        return FormData(values, filled("data"), filled("safeguard"))

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()

    def _answered(self, prefix: str, names: Iterable[str]) -> dict[str, bool]:
        """The yes/no answers given for ``names`` (fields ``PREFIX-NAME``), unanswered ones left out."""
        answers = {name: _tri(self.get(f"{prefix}-{name}")) for name in names}
        return {name: stated for name, stated in answers.items() if isinstance(stated, bool)}

    def transfer(self, vocabulary: Vocabulary) -> dict[str, Any]:
        """The transfer description these fields describe (unstated fields left out)."""
        out: dict[str, Any] = {}
        _put(out, "id", self.get("id"))
        _put(out, "description", self.get("description"))
        _put(out, "origin", self.get("origin").upper())
        _put(out, "destination", self.get("destination").upper())
        _put(out, "date", self.get("date"))
        exporter: dict[str, Any] = {}
        _put(exporter, "name", self.get("exporter_name"))
        _put(exporter, "ciio", _tri(self.get("exporter_ciio")))
        if exporter:
            out["exporter"] = exporter
        recipient: dict[str, Any] = {}
        _put(recipient, "name", self.get("recipient_name"))
        _put(recipient, "type", self.get("recipient_type"))
        _put(recipient, "affiliate", _tri(self.get("recipient_affiliate")))
        _put(recipient, "controlled_by", self.get("recipient_controlled_by").upper())
        if recipient:
            out["recipient"] = recipient
        _put(out, "purpose", self.get("purpose"))
        _put(out, "transaction", self.get("transaction"))
        data = []
        for row in self.items:
            item: dict[str, Any] = {}
            _put(item, "category", row.get("category", ""))
            for count in ("individuals", "records", "devices"):
                _put(item, count, _number(row.get(count, "")))
            _put(item, "anonymised", _tri(row.get("anonymised", "")))
            if row.get("pseudonymised") in ("on", "yes", "true"):
                item["pseudonymised"] = True
            _put(item, "description", row.get("description", ""))
            data.append(item)
        out["data"] = data
        for key, names in (("context", vocabulary.context_facts), ("security", vocabulary.security_measures)):
            answered = self._answered(key, names)
            if answered:
                out[key] = answered
        safeguards = [_safeguard(row) for row in self.safeguards]
        if safeguards:
            out["safeguards"] = safeguards
        return out

    def transfer_text(self, vocabulary: Vocabulary) -> str:
        """The transfer as JSON text, ready for the same reader as a file."""
        return json.dumps(self.transfer(vocabulary), indent=2, ensure_ascii=False)


def _safeguard(row: Mapping[str, str]) -> dict[str, Any]:
    """One safeguard row as the transfer description writes it. Lists (destinations,
    categories) are typed as text separated by commas or spaces; an empty scope field means
    the safeguard is not limited that way, as in YAML, so it is left out."""
    out: dict[str, Any] = {}
    for name in ("mechanism", "reference", "obtained", "expires"):
        _put(out, name, row.get(name, ""))
    scope: dict[str, Any] = {}
    _put(scope, "recipient", row.get("recipient", ""))
    destinations = [code.upper() for code in _split(row.get("destinations", ""))]
    _put(scope, "destinations", destinations or None)
    _put(scope, "categories", _split(row.get("categories", "")) or None)
    _put(scope, "max_individuals", _number(row.get("max_individuals", "")))
    if scope:
        out["scope"] = scope
    return out


def _split(text: str) -> list[str]:
    return [part for part in _LIST_SEPARATOR.split(text.strip()) if part]


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value not in ("", None):
        target[key] = value


def _tri(value: str) -> bool | str | None:
    if value == "":
        return None
    if value == "yes":
        return True
    if value == "no":
        return False
    return value  # anything else is left for the schema to refuse, with its message


def _number(value: str) -> int | str | None:
    text = value.replace(",", "").replace("_", "").strip()
    if text == "":
        return None
    return int(text) if text.isdigit() else value


def form_message(error: DataflowRulesError) -> str:
    """The one-line message for a form error: the field, without the line numbers of the
    JSON the form was turned into (they would mean nothing to the person at the form)."""
    loc = error.location
    if loc is None or loc.file != FORM_SOURCE:
        return error.one_line()
    where = Location(FORM_SOURCE, field=loc.field)
    return " ".join(f"{where}: {error.message}".split())


def items_for_display(form: FormData | None) -> Sequence[Mapping[str, str]]:
    if form is None or not form.items:
        return [{}]
    return form.items


def safeguards_for_display(form: FormData | None) -> Sequence[Mapping[str, str]]:
    """The safeguard rows to show: the submitted ones, or one blank row (ignored if left
    blank) for the page's script to copy."""
    if form is None or not form.safeguards:
        return [{}]
    return form.safeguards
