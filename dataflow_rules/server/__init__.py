"""The HTTP service and web page: ``dataflow-rules serve``.

Only :func:`register` is imported with the command line; FastAPI, uvicorn and Jinja2 are
imported when ``serve`` runs (they come with the ``serve`` extra).
"""

from __future__ import annotations

from .command import register

__all__ = ["register"]
