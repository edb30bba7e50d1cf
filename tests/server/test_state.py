"""Swapping catalogues: a request keeps its snapshot; retired engines are closed safely."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from dataflow_rules import read_transfers
from dataflow_rules.server.state import PolicyState

from ..conftest import EXAMPLES


def test_a_request_keeps_its_snapshot_through_a_reload() -> None:
    state = PolicyState(None)
    [located] = read_transfers(EXAMPLES / "us-cn-genomic-101.yaml", state.current.policies)
    with state.use() as old:
        expected = old.engines[next(iter(old.engines))].decide(located.transfer)
        fresh = state.reload()
        assert fresh.generation == old.generation + 1 and state.current is fresh
        assert state.retired() == 1
        # Still usable: its engines were not closed under it.
        engine = old.engines[next(iter(old.engines))]
        assert engine.decide(located.transfer) == expected
        rulesets = engine._all()
    assert state.retired() == 0
    assert all(rs._handle is None for rs in rulesets)  # closed once the request ended
    with state.use() as now:
        assert now is fresh
        assert now.engines[next(iter(now.engines))].decide(located.transfer) == expected
    state.reload()  # unused: closed at once
    assert state.retired() == 0


def test_no_deadlock_when_the_collector_runs_inside_the_engine_lock() -> None:
    """The hazard, reproduced: an unclosed ruleset freed by the cyclic collector in a thread
    that holds durable-rules' lock deadlocks (RuleSet.__del__ takes the same lock). Retired
    snapshots never reach that point. Run in a subprocess: a deadlock would hang it."""
    script = textwrap.dedent(
        """
        import gc
        import dataflow_rules.engine.durable as durable
        from dataflow_rules.server.state import PolicyState

        gc.disable()
        state = PolicyState(None)
        for _ in range(3):
            with state.use() as snapshot:
                cycle = [snapshot]
                cycle.append(cycle)  # the snapshot is now garbage only the collector frees
                state.reload()
            del snapshot, cycle
        with durable._LOCK:
            gc.collect()
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr
