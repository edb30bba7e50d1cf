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
from functools import lru_cache

from ..models.decision import Assumption
from ..models.transfer import Transfer
from .confusables import VERSION, party_fold

NAMED = 3
"""Earlier transfers named for each other spelling."""

SHOWN = 4
"""Code points named for each spelling."""


@lru_cache(maxsize=4096)
def plain(text: str) -> str:
    """A name as the key compared it before look-alike letters were folded (NFKC, case,
    spacing): two spellings that differ only so are not reported as look-alikes."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


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
        self._slots: dict[tuple[tuple[str, str, str, str], bool, bool], list[tuple[_Seen, bool]]] = {}
        """Where an item written so goes (a run repeats its parties' spellings: each is
        folded once, not once per item)."""

    def add(
        self,
        source: str,
        date: dt.date,
        spelled: tuple[str, str, str, str],
        exporter_id: bool,
        recipient_id: bool,
    ) -> None:
        """An earlier item of ``source``: its parties as written (:attr:`.counting.PriorItem.spelled`)
        and whether each stated an id."""
        key = (spelled, exporter_id, recipient_id)
        slots = self._slots.get(key)
        if slots is None:
            if len(self._slots) >= 65536:
                self._slots.clear()
            slots = self._slots[key] = self._places(spelled, exporter_id, recipient_id)
        for seen, has_id in slots:
            sources = seen.sources
            if len(sources) < 64 and (not sources or sources[-1][0] != source):
                sources.append((source, date, has_id))

    def _places(
        self, spelled: tuple[str, str, str, str], exporter_id: bool, recipient_id: bool
    ) -> list[tuple[_Seen, bool]]:
        """The spellings an item written as ``spelled`` is one of, for each role it holds."""
        e, e_name, r, r_name = spelled
        exporter = party_fold(e)
        roles: list[tuple[Role, str, bool]] = [
            (("exporter", "", exporter), e, exporter_id),
            (("exporter.name", "", party_fold(e_name)), e_name, exporter_id),
            (("recipient", exporter, party_fold(r)), r, recipient_id),
            (("recipient.name", exporter, party_fold(r_name)), r_name, recipient_id),
        ]
        out: list[tuple[_Seen, bool]] = []
        for role, text, has_id in roles:
            if not text:
                continue
            spellings = self._seen.setdefault(role, {})
            seen = spellings.get(plain(text))
            if seen is None:
                seen = spellings[plain(text)] = _Seen(text)
            out.append((seen, has_id))
        return out

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
