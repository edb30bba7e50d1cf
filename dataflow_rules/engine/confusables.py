"""One party however its name is spelled with look-alike letters: the key counting compares
exporters and recipients by (:func:`party_fold`).

The laws count per party: China the individuals one exporter has provided abroad since 1
January (2024 Provisions Arts 7-8), the US rule the U.S. persons of a transaction with one
foreign person over 12 months (28 CFR 202.205). Keyed by the name as written, 'Example CN
Retailer' with a Cyrillic 'Е' (U+0415) was another exporter than the same words in Latin
letters, and 60,000 people sent under each spelling in one year were both allowed: a wrong
allow by a spelling no reader of the name can see.

The fold is Unicode's confusable skeleton (UTS #39 section 4: NFD, each code point replaced
by its prototype in confusables.txt, NFD again) combined with the case folding the key
already had (NFKC, then casefold). The two cannot be applied one after the other without
losing either: the skeleton is case-sensitive (Cyrillic 'В' looks like 'B', its small 'в'
like no Latin letter; Latin 'I' is drawn like 'l', 'i' is not), so a skeleton after casefold
misses 'ВANK' = 'BANK', and a casefold after the skeleton splits 'Intel' from 'intel'. The
fold therefore maps each code point to a representative of its class under both relations
together: two code points are in one class when one is the other's case fold or its
prototype (and so on, transitively). The classes are a superset of both relations, so the
fold only ever merges parties, never splits two that either relation joins: the stricter
reading. Its price is that some names a reader tells apart count as one (the class of 'l'
holds 'I', hence 'i': 'Mili' and 'Mill' are one party), which over-counts, never under-counts.

Format characters (general category Cf: zero-width space and joiners, soft hyphen, bidi
controls), variation selectors and the combining grapheme joiner draw nothing and are
left out, for the same reason: 'Exa\u200bmple' is 'Example' on every screen.

The data is Unicode's confusables.txt, version :data:`VERSION`, trimmed to its mapping and
shipped beside this module (``data/confusables.txt``, with its licence in
``data/LICENSE-UNICODE``; where it came from: docs/confusables.md). It is read once, on the
first fold, never from the network.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib import resources

VERSION = "17.0.0"
"""The version of Unicode's confusables.txt shipped (its header names it; :func:`_read` checks)."""

_INVISIBLE = frozenset([0x034F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0), *range(0x180B, 0x1810)])
"""Code points that draw nothing besides the format characters (Cf): the combining grapheme
joiner, the variation selectors and the Mongolian free variation selectors."""


@lru_cache(maxsize=8192)
def party_fold(text: str) -> str:
    """``text`` as a party key: NFKC, casefold, NFD, each code point replaced by its class's
    representative (or left out if it draws nothing), NFD again, runs of white space as one
    space. Two names that look alike, or differ only in case, width or spacing, fold alike."""
    mapped = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    folded = unicodedata.normalize("NFD", mapped.translate(_table()))
    return " ".join(folded.split())


class _Table(dict[int, str | None]):
    """The translation table of :func:`party_fold`, filled as code points are met: each
    code point's fold (itself when nothing maps it), None for one that draws nothing.
    Made lazily, so a process that folds a few names reads the data and folds the few
    dozen code points they hold, not every code point Unicode's data lists."""

    def __init__(self, prototypes: dict[str, str]) -> None:
        super().__init__()
        self.prototypes = prototypes

    def __missing__(self, code: int) -> str | None:
        c = chr(code)
        if code in _INVISIBLE or unicodedata.category(c) == "Cf":
            self[code] = None
            return None
        out = c
        for _ in range(4):  # to the fixed point: a prototype folds to itself (bounded)
            step = "".join(_fold(self.prototypes, d) for d in _cased(out))
            if step == out:
                break
            out = step
        self[code] = out
        return out


@cache
def _table() -> _Table:
    return _Table(_read())


def candidates() -> list[str]:
    """The case-folded, decomposed code points whose fold may not be themselves: those with a
    prototype, and the small letters of capitals with one (what tests walk)."""
    out: set[str] = set()
    for c in _read():
        for d in unicodedata.normalize("NFD", c.casefold()):
            out.add(d)
    return sorted(out)


def _fold(prototypes: dict[str, str], c: str) -> str:
    """One case-folded code point's look-alike, case-folded: its own prototype, or its
    capital's (a casefolded 'е' may have been written 'Е', and 'ε' 'Ε', which look like
    'E'). When both differ from what they map, the one written in ASCII letters wins, and
    of two such the small letter's ('ν' looks like 'v', its capital 'Ν' like 'N': one of
    the two must give way, and names are written in small letters but for their initials)."""
    routes: list[str] = []
    own = prototypes.get(c)
    if own is not None:
        routes.append(_cased(own))
    capital = unicodedata.normalize("NFD", c.upper())
    mapped = "".join(prototypes.get(d, d) for d in capital)
    if mapped != capital:
        routes.append(_cased(mapped))
    if not routes:
        return c
    ascii_ = [r for r in routes if r.isascii()]
    return (ascii_ or routes)[0]


def _cased(text: str) -> str:
    """A prototype as the fold writes text: NFKC, casefold, NFD (a prototype may hold a
    compatibility character: '%' -> 'º/₀')."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())


@cache
def _read() -> dict[str, str]:
    """The shipped mapping: source code point -> its prototype (read once)."""
    text = resources.files(__package__).joinpath("data", "confusables.txt").read_text("ascii")
    if f"Version: {VERSION}," not in text.split("\n", 2)[1]:
        raise RuntimeError(f"the shipped confusables.txt is not version {VERSION}")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        source, target = line.split(";")
        out[chr(int(source, 16))] = "".join(chr(int(cp, 16)) for cp in target.split())
    return out
