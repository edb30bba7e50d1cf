"""The only module that touches durable-rules.

We drive durable-rules' C core (``durable_rules_engine``, shipped by the durable-rules
package) directly rather than through ``durable.engine.Host``, because the Host starts
two background timer threads that call into the same rulesets while we assert, and the
core is not thread-safe (shared/reference/durable-rules-notes.md, point 5). What this
module promises, point by point against those notes:

1. Facts are asserted, never posted, so *every* matching rule fires, not only the first.
2. "No rule matched" is a result code here, not an exception: an empty list.
3. Each fact a rule matched is retracted before ``match`` returns, whatever happens; a
   fact no rule matched is never stored by the core. Nothing persists (tested).
4. Rulesets are built by the compiler in chunks well under the rule-count cliff.
5. One process-wide lock serialises every call into the C core.
6. Facts are asserted one at a time; large batches are never used.
7. Facts are flat dictionaries of a few dozen scalar properties.
9. Rulesets are JSON data; names carry a process-unique counter, so two versions of a
   catalogue can be loaded side by side.

Because nothing persists (3), which rules a fact fires is a pure function of the ruleset
and the fact's text: ``match_body`` remembers the answer per ruleset (a bounded LRU memo,
``MEMO_SIZE`` facts), so a fact seen before costs a dictionary lookup, not the core. The
engine sends facts whose ordered properties are *quantised* (engine.py ``_Payload``), so
transfers whose counts and dates fall in the same intervals of the ruleset's bounds send
the same text and share the answer.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import durable_rules_engine as _core

from ..errors import EngineError

_LOCK = threading.Lock()
_RETIRED: list[Any] = []
"""Handles of rulesets garbage-collected while the lock may have been held; freed by the
next call that takes the lock (``__del__`` must never wait for it: the collector can run
inside a locked section of the same thread, which would then hang)."""


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    with _LOCK:
        _drain()
        yield


def _drain() -> None:
    """Free the retired rulesets; the caller holds the lock."""
    while _RETIRED:
        handle, used = _RETIRED.pop()
        _free(handle, used)


def _free(handle: Any, used: bool) -> None:
    if used:
        _core.delete_state(handle, "0")
    _core.delete_ruleset(handle)


_NAMES = itertools.count(1)
_FACT_IDS = itertools.count(1)
_HANDLED, _NOT_HANDLED = 0, 1

Fact = Mapping[str, int | str]
MEMO_SIZE = 16_384
"""Facts remembered per ruleset (least recently used dropped first). A fact's text is a few
hundred bytes, so a full memo holds about 6 MB; on generated transfers only the CN and US
outbound rulesets fill it (about 88% of matches are then answered from the memo, 82% with
4,096), the others hold a few hundred facts."""

MAX_PROPERTIES = 240
"""Below the core's MAX_OBJECT_PROPERTIES (255), leaving room for sid and id."""


def json_value(value: int | str) -> str:
    """A fact property's JSON text (facts carry small integers and short strings)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value)


class RuleSet:
    """A compiled ruleset of single-pattern rules; ``match`` names every rule a fact meets."""

    _handle: Any

    def __init__(self, rules: Mapping[str, Mapping[str, Any]], label: str, reads: Iterable[str]) -> None:
        definition = {name: {"all": [{"m": condition}]} for name, condition in rules.items()}
        self.name = f"dfr{next(_NAMES)}_{label}"
        self.size = len(rules)
        self.rules = frozenset(rules)
        """The names of the rules this ruleset holds."""
        self.reads = tuple(sorted(reads))
        """The only fact properties this ruleset's rules read; ``match`` sends just these."""
        if len(self.reads) > MAX_PROPERTIES:
            raise EngineError(
                f"ruleset {label} reads {len(self.reads)} properties; the limit is {MAX_PROPERTIES}"
            )
        self._memo: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        """Fact text -> the rules it fires (sound because nothing persists in the core)."""
        self.hits = 0
        self.misses = 0
        """Memo lookups answered from the memo, and those that asked the core."""
        self._used = False
        """Whether some fact was ever handled, so the core holds state "0": delete_state()
        is only safe then (it reads freed memory when only unmatched facts were asserted)."""
        with _locked():
            try:
                self._handle = _core.create_ruleset(self.name, json.dumps(definition))
            except _core.error as exc:
                raise EngineError(f"durable-rules rejected ruleset {label}: {exc}") from None

    def match(self, fact: Fact) -> list[str]:
        """Assert ``fact`` (the properties this ruleset reads), collect every rule it fires,
        retract it; return rule names sorted.

        One compact payload per call; only the fired rules' names are read back (each
        action message is ``{"<rule>":{"m":...}}``: the name is its first key). A fact no
        rule matched is not stored by the core (notes point 2: "not handled"), so it costs
        one call; a matched fact costs assert, one call per fired rule, and retract."""
        return self.match_body(",".join(f'"{k}":{json_value(fact[k])}' for k in self.reads if k in fact))

    def match_body(self, body: str) -> list[str]:
        """``match`` of a fact given as its JSON members (``"k0":1,"day":739000``), only
        properties this ruleset reads: callers that decide many items build the shared part
        of that text once (engine.py). Memoised: the same text fires the same rules."""
        with _LOCK:  # not _locked(): a generator context manager adds microseconds per call
            memo = self._memo
            found = memo.get(body)
            if found is not None:
                memo.move_to_end(body)
                self.hits += 1
                return list(found)
            self.misses += 1
            fired = self._match_locked(body)
            memo[body] = tuple(fired)
            if len(memo) > MEMO_SIZE:
                memo.popitem(last=False)
            return fired

    def match_direct(self, body: str) -> list[str]:
        """``match_body`` asking the core every time (what the memo is tested against)."""
        with _LOCK:
            return self._match_locked(body)

    def clear_memo(self) -> None:
        with _LOCK:
            self._memo.clear()

    def _match_locked(self, body: str) -> list[str]:
        """Assert, collect, retract; the caller holds the lock."""
        if _RETIRED:
            _drain()
        text = f'{{"sid":"0","id":{next(_FACT_IDS)}{"," if body else ""}{body}}}'
        fired: list[str] = []
        handled = False
        try:
            code, state = _core.assert_fact(self._handle, text)
            if code == _HANDLED:
                handled = self._used = True
                result = _core.start_action_for_state(self._handle, state)
                while result:
                    message = result[1] if isinstance(result, tuple) else result
                    fired.append(message[2 : message.index('"', 2)])
                    result = _core.complete_and_start_action(self._handle, state)
            elif code != _NOT_HANDLED:
                raise EngineError(f"durable-rules returned code {code} for a fact")
        except _core.error as exc:
            raise EngineError(f"durable-rules failed: {exc}") from None
        finally:
            if handled:
                with contextlib.suppress(_core.error):
                    _core.retract_fact(self._handle, text)
        fired.sort()
        return fired

    def stored_facts(self) -> list[Any]:
        """What the core still holds; always empty between calls (tested)."""
        with _locked():
            if not self._used:
                return []  # the core has no state "0" until a first fact (error 309)
            try:
                return list(json.loads(_core.get_facts(self._handle, "0")))
            except _core.error as exc:
                raise EngineError(f"durable-rules could not list facts: {exc}") from None

    def close(self) -> None:
        with _locked():
            if self._handle is not None:
                _free(self._handle, self._used)
                self._handle = None

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            self._handle = None
            _RETIRED.append((handle, self._used))  # list.append is atomic; freed under the lock later
