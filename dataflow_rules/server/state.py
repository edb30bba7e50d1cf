"""The catalogues a running service decides with, swapped whole on reload.

A :class:`Snapshot` is immutable: policies plus engines compiled from them. A request takes
one with ``state.use()`` and decides with it to the end, so a reload that happens meanwhile
never mixes two versions of a catalogue in one decision: the new snapshot is fully loaded
and compiled before one assignment publishes it.

Retiring a snapshot is explicit: when the last request using a retired snapshot
finishes, its engines are closed here, so their durable-rules memory is given back at once
rather than whenever the collector runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..audit.records import now_utc
from ..catalogues import load_policies
from ..engine.engine import Engine
from ..models.decision import Verdict
from ..models.policies import Policies


@dataclass(frozen=True)
class Snapshot:
    generation: int
    loaded_at: str
    policies: Policies
    engines: Mapping[Verdict | None, Engine]
    """By ``--unlisted`` verdict; None: the default."""
    """One engine per choice of verdict for a side with no catalogue (review, allow)."""

    def describe(self) -> dict[str, Any]:
        p = self.policies
        return {
            "generation": self.generation,
            "loaded_at": self.loaded_at,
            "taxonomy": {"version": p.taxonomy.version, "digest": p.taxonomy_digest},
            "catalogues": [
                {
                    "jurisdiction": code,
                    "title": lc.catalogue.title,
                    "version": lc.catalogue.version,
                    "effective": lc.catalogue.effective.isoformat(),
                    "digest": lc.digest,
                    "source": lc.source,
                    "entries": len(lc.catalogue.entries),
                    "localisation": len(lc.catalogue.localisation),
                    "green_lanes": len(lc.catalogue.green_lanes),
                    "exemptions": len(lc.catalogue.exemptions),
                }
                for code, lc in p.catalogues.items()
            ],
            "layers": [
                {
                    "jurisdiction": code,
                    "zone": zone,
                    "title": lc.catalogue.title,
                    "version": lc.catalogue.version,
                    "digest": lc.digest,
                    "source": lc.source,
                }
                for (code, zone), lc in sorted(p.layers.items())
            ],
        }


def build(policies: Policies, generation: int) -> Snapshot:
    engines = {v: Engine(policies, v) for v in (None, Verdict.REVIEW, Verdict.ALLOW)}
    return Snapshot(generation, now_utc(), policies, engines)


class PolicyState:
    """Loads the policy directory at start and on :meth:`reload`."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._reloading = threading.Lock()
        self._lock = threading.Lock()  # guards the three fields below
        self._current = build(load_policies(directory), 1)
        self._users: dict[int, int] = {}
        self._retired: dict[int, Snapshot] = {}

    @property
    def current(self) -> Snapshot:
        """The snapshot in use now, to read (catalogue list, vocabulary); to decide, use :meth:`use`."""
        return self._current

    @contextmanager
    def use(self) -> Iterator[Snapshot]:
        """The current snapshot, kept open until the block ends even if a reload retires it."""
        with self._lock:
            snapshot = self._current
            self._users[snapshot.generation] = self._users.get(snapshot.generation, 0) + 1
        try:
            yield snapshot
        finally:
            done: Snapshot | None = None
            with self._lock:
                left = self._users[snapshot.generation] - 1
                if left:
                    self._users[snapshot.generation] = left
                else:
                    del self._users[snapshot.generation]
                    done = self._retired.pop(snapshot.generation, None)
            if done is not None:
                self._close(done)

    def reload(self) -> Snapshot:
        """Load and compile everything again, then publish it; on error keep the old one.

        Raises CatalogueError (or EngineError) and leaves the current snapshot in use.
        """
        with self._reloading:
            fresh = build(load_policies(self.directory), self._current.generation + 1)
            with self._lock:
                old, self._current = self._current, fresh
                busy = old.generation in self._users
                if busy:
                    self._retired[old.generation] = old
            if not busy:
                self._close(old)
            return fresh

    def _close(self, snapshot: Snapshot) -> None:
        for engine in snapshot.engines.values():
            engine.close()

    def retired(self) -> int:
        """Snapshots replaced by a reload but still in use by a request."""
        with self._lock:
            return len(self._retired)
