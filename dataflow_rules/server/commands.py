"""``serve`` and ``tokens``, registered on the app by :func:`register` as every capability's
``commands.py`` registers its own. FastAPI, uvicorn and Jinja2 load inside the commands."""

from __future__ import annotations

import typer

from .command import register as register_serve
from .token_commands import register as register_tokens


def register(app: typer.Typer) -> None:
    register_serve(app)
    register_tokens(app)
