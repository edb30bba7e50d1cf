"""dataflow-rules: decide whether a cross-border dataset transfer may go ahead.

The public API::

    from dataflow_rules import load_policies, Engine, read_transfers
    engine = Engine(load_policies())            # compile the shipped catalogues once
    for located in read_transfers(Path("t.yaml"), engine.policies):
        decision = engine.decide(located.transfer)
        print(decision.verdict, [r.sentence for r in decision.reasons])
"""

from .catalogues import load_policies
from .engine.engine import Engine
from .errors import CatalogueError, DataflowRulesError, EngineError, InputError, Location
from .models.decision import Decision, Reason, Verdict
from .models.policies import Policies
from .models.transfer import DataItem, Transfer
from .transfers import parse_transfers, read_transfers

__version__ = "0.1.0"

__all__ = [
    "CatalogueError",
    "DataItem",
    "DataflowRulesError",
    "Decision",
    "Engine",
    "EngineError",
    "InputError",
    "Location",
    "Policies",
    "Reason",
    "Transfer",
    "Verdict",
    "__version__",
    "load_policies",
    "parse_transfers",
    "read_transfers",
]
