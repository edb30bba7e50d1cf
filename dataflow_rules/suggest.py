""" "Did you mean" for closed vocabularies: a near spelling, else a word whose meaning says it.

A new user types what they mean (``Scientific Research``, ``university``, ``data_sharing``),
not the taxonomy's id. Spelling distance alone finds typos; the taxonomy's one-line
meanings find the rest ("A university or research institute." is ``research_institution``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[a-z0-9]+")


def normalise(value: str) -> str:
    """How an id would be spelled: lower case, words joined by underscores."""
    return "_".join(_WORD.findall(value.lower()))


def _meaning(value: object) -> str:
    """The one-line meaning of a vocabulary entry (a string, or a model with a description)."""
    if isinstance(value, str):
        return value
    return str(getattr(value, "description", ""))


def suggest(value: str, known: Mapping[str, object]) -> str | None:
    """The known id most likely meant by ``value``, or None when nothing is close."""
    if not known:
        return None
    wanted = normalise(value)
    if wanted in known:
        return wanted
    near = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.75)
    if near:
        return near[0]
    words = {w for w in _WORD.findall(wanted.replace("_", " ")) if len(w) > 2}
    if not words:
        return None
    best: tuple[float, str] | None = None
    for key, meaning in known.items():
        text = set(_WORD.findall(f"{key.replace('_', ' ').replace('.', ' ')} {_meaning(meaning)}".lower()))
        score = len(words & text) / len(words)
        if score > 0 and (best is None or score > best[0] or (score == best[0] and key < best[1])):
            best = (score, key)
    if best is not None and best[0] >= 0.5:
        return best[1]
    return None


def did_you_mean(value: str, known: Mapping[str, object]) -> str:
    """`` (did you mean 'x'?)`` or nothing, to append to an "unknown ..." message."""
    hint = suggest(value, known)
    return f" (did you mean '{hint}'?)" if hint else ""


def unknown_context_fact(key: str, declared: Iterable[str]) -> str:
    """The message for a context fact no loaded catalogue declares (a transfer's, a facts
    file's): the declared fact it most resembles, and every declared one."""
    known = {name: "" for name in sorted(declared)}
    return f"unknown context fact '{key}'{did_you_mean(key, known)}; the loaded catalogues declare: {', '.join(known) or 'none'}"
