"""``dataflow-rules scan``: find every transfer in a tree of files and decide each, for CI.

The Python API::

    from dataflow_rules.scan import ScanOptions, scan
    result = scan(ScanOptions(paths=[Path("manifests")]))
    for transfer in result.transfers():
        print(transfer.id, transfer.verdict, [f.rule_id for f in transfer.findings])
    raise SystemExit(result.exit_code())

Stages, one module each: ``config`` (dataflow-rules.yaml), ``walk`` (which files),
``runner`` (recognise, adapt, decide), ``gate`` (fail closed on what could not be read),
``fides``/``odcs``/``dbt``/``openlineage``/``terraform``/``flows``/``sidecar``/``mapping``
(other manifest formats), ``waivers``/``baseline``. The one model every format renders is
``dataflow_rules.models.scan``; formats are registered in ``dataflow_rules.render.formats``
and written by ``dataflow_rules.render`` (``scan_text``, ``scan_json``, ``sarif``, ``junit``,
``github``, ``html_report``).
Importing this package is cheap; the stages load when :func:`scan` is first called.
For a large tree, ``scan_spooled`` keeps each file's result in a private spool instead of
in memory and gives the writers (``dataflow_rules.render.formats.write_scan``) the files one
at a time; close it (``with``) to remove the spool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models.scan import FailOn, Finding, ScanResult, TransferResult
    from .flows import Defaults
    from .runner import ScanOptions, scan, scan_spooled

__all__ = [
    "Defaults",
    "FailOn",
    "Finding",
    "ScanOptions",
    "ScanResult",
    "TransferResult",
    "scan",
    "scan_spooled",
]

_WHERE = {
    "Defaults": ".flows",
    "FailOn": "..models.scan",
    "Finding": "..models.scan",
    "ScanResult": "..models.scan",
    "TransferResult": "..models.scan",
    "ScanOptions": ".runner",
    "scan": ".runner",
    "scan_spooled": ".runner",
}
"""Where each name lives (the result model moved to models/; ``.result`` is no more)."""


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(name)
