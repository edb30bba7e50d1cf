"""dataflow-rules: decide whether a cross-border dataset transfer may go ahead.

The public API::

    from dataflow_rules import load_policies, Engine, read_transfers
    engine = Engine(load_policies())            # compile the shipped catalogues once
    for located in read_transfers(Path("t.yaml"), engine.policies):
        decision = engine.decide(located.transfer)
        print(decision.verdict, [r.sentence for r in decision.reasons])
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers and readers; at run time see __getattr__
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

_WHERE = {
    "load_policies": ".catalogues",
    "Engine": ".engine.engine",
    **dict.fromkeys(
        ("CatalogueError", "DataflowRulesError", "EngineError", "InputError", "Location"), ".errors"
    ),
    **dict.fromkeys(("Decision", "Reason", "Verdict"), ".models.decision"),
    "Policies": ".models.policies",
    **dict.fromkeys(("DataItem", "Transfer"), ".models.transfer"),
    **dict.fromkeys(("parse_transfers", "read_transfers"), ".transfers"),
}
"""Where each public name lives. They are imported on first use, not with the package, so
``import dataflow_rules.cli`` (every command's start) or ``dataflow_rules.__version__``
does not pay for the engine and every model."""


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dataflow_rules' has no attribute '{name}'")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
