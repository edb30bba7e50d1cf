"""The spellings of each party an earlier transfer was recorded under, so that a decision
which counted an earlier transfer as the same party because the two names look alike
(:mod:`.confusables`) says so.

Folding look-alike letters is a presumption: 'Еxample CN Retailer' with a Cyrillic 'Е' is
taken to be the exporter 'Example CN Retailer', and their transfers are counted together
(the stricter reading). A reason names the earlier transfers it added (``counted_with``),
but not why a transfer written under another name is this party's; the reader, who cannot
see the difference, would not know. The decision therefore lists the assumption, naming
both spellings and the code points that tell them apart, and how to say otherwise.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from ..models.decision import Assumption
from ..models.transfer import Transfer
from .confusables import VERSION, party_fold

NAMED = 3
"""Earlier transfers named for each other spelling."""

SHOWN = 4
"""Code points named for each spelling."""


def plain(text: str) -> str:
    """A name as the key compared it before look-alike letters were folded (NFKC, case,
    spacing): two spellings that differ only so are not reported as look-alikes."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True, slots=True)
class Written:
    """How one earlier item's parties were written (as stated, stripped)."""

    source: str
    date: dt.date
    exporter: str
    """``exporter.id``, else ``exporter.name`` ('' when neither)."""
    exporter_name: str
    exporter_has_id: bool
    recipient: str
    recipient_name: str
    recipient_has_id: bool


@dataclass
class _Seen:
    shown: str
    """The first spelling recorded of this plain form."""
    sources: list[tuple[str, dt.date, bool]] = field(default_factory=list)
    """(source, date, whether it stated an id), each source once."""


Role = tuple[str, str, str]
"""(the fact, the exporter it is counted under ('' for the exporter's own), its fold)."""


class Spellings:
    """Every spelling of each folded party of a ledger (bounded: each plain spelling keeps
    the sources of its first dates, one entry per source)."""

    def __init__(self) -> None:
        self._seen: dict[Role, dict[str, _Seen]] = {}

    def add(self, w: Written) -> None:
        exporter = party_fold(w.exporter)
        self._put(("exporter", "", exporter), w.exporter, w, w.exporter_has_id)
        if w.exporter_name:
            self._put(
                ("exporter.name", "", party_fold(w.exporter_name)), w.exporter_name, w, w.exporter_has_id
            )
        if w.recipient:
            self._put(("recipient", exporter, party_fold(w.recipient)), w.recipient, w, w.recipient_has_id)
        if w.recipient_name:
            role = ("recipient.name", exporter, party_fold(w.recipient_name))
            self._put(role, w.recipient_name, w, w.recipient_has_id)

    def _put(self, role: Role, text: str, w: Written, has_id: bool) -> None:
        if not text:
            return
        spellings = self._seen.setdefault(role, {})
        seen = spellings.get(plain(text))
        if seen is None:
            seen = spellings[plain(text)] = _Seen(text)
        if len(seen.sources) < 64 and (not seen.sources or seen.sources[-1][0] != w.source):
            seen.sources.append((w.source, w.date, has_id))

    def assumptions(self, transfer: Transfer, cutoff: dt.date | None) -> list[Assumption]:
        """One assumption per party of ``transfer`` that the ledger also holds under a
        spelling that only looks like its own: by its key (its id, else its name), or by
        its name where one of the two states no id (counting.Ledger, counting.same_party)."""
        e, r = transfer.exporter, transfer.recipient
        exporter = party_fold(e.id or e.name or "")
        out: list[Assumption] = []
        for party, scope, key, name, has_id in (
            ("exporter", "", e.id or e.name or "", e.name or "", bool(e.id)),
            ("recipient", exporter, r.id or r.name or "", r.name or "", bool(r.id)),
        ):
            asked: list[tuple[str, str, list[tuple[Role, bool]]]] = []
            key_role: Role = (party, scope, party_fold(key))
            name_role: Role = (f"{party}.name", scope, party_fold(name))
            if has_id:
                asked.append((f"{party}.id", key, [(key_role, False)]))
                if name:
                    asked.append((f"{party}.name", name, [(name_role, True)]))
            elif key:
                asked.append((f"{party}.name", key, [(key_role, False), (name_role, False)]))
            for fact, text, roles in asked:
                found: dict[str, tuple[str, list[str]]] = {}
                for role, ids_apart in roles:
                    self._others(found, role, text, ids_apart, cutoff)
                if found:
                    out.append(_assumption(fact, text, [found[k] for k in sorted(found)]))
        return out

    def _others(
        self,
        found: dict[str, tuple[str, list[str]]],
        role: Role,
        text: str,
        has_id: bool,
        cutoff: dt.date | None,
    ) -> None:
        """Add to ``found`` the other spellings of ``role`` and their sources (those dated
        by ``cutoff``; of an item with an id of its own only when ``text``'s has none)."""
        if not text:
            return
        for key, seen in self._seen.get(role, {}).items():
            if key == plain(text):
                continue
            _, sources = found.setdefault(key, (seen.shown, []))
            for source, day, their_id in seen.sources:
                if (cutoff is None or day <= cutoff) and not (has_id and their_id) and source not in sources:
                    sources.append(source)
            if not sources:
                del found[key]


def _assumption(fact: str, text: str, others: list[tuple[str, list[str]]]) -> Assumption:
    party = fact.split(".")[0]
    theirs = "; ".join(
        f"{_shown(shown)} ({', '.join(sources[:NAMED])}{', ...' if len(sources) > NAMED else ''})"
        for shown, sources in others
    )
    return Assumption(
        fact=fact,
        value=text,
        source="ledger",
        sentence=(
            f"This {party}'s {fact.split('.')[1]} {_shown(text)} and the earlier {theirs} differ only in"
            f" letters that look alike (Unicode's confusable characters, UTS #39, version {VERSION}),"
            f" in case or in width: they were taken to be one {party}, and its earlier transfers"
            " counted with this one (the stricter reading)."
        ),
        override=(f"state {party}.id for each of them (ids that do not look alike) if they are two {party}s"),
    )


def _shown(text: str) -> str:
    """``text`` quoted, with the code points outside ASCII named: a reader cannot see
    which letter is Cyrillic."""
    odd = sorted({c for c in text if not c.isascii() or not c.isprintable()})
    named = [f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in odd[:SHOWN]]
    if len(odd) > SHOWN:
        named.append(f"{len(odd) - SHOWN} more")
    return f"'{text}'" + (f" (with {', '.join(named)})" if named else "")
