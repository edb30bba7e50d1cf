"""The HTTP service and web page: ``dataflow-rules serve``.

Only :func:`register` is imported with the command line; FastAPI, uvicorn and Jinja2 are
imported when ``serve`` runs (they come with the ``serve`` extra).
"""

from __future__ import annotations

import typer

from .command import register as register_serve
from .token_commands import register as register_tokens


def register(app: typer.Typer) -> None:
    """``serve`` and ``tokens``."""
    register_serve(app)
    register_tokens(app)


__all__ = ["register"]
