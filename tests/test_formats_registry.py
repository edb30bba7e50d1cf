"""The one format registry (render/formats.py): every workbench writer it names exists and
is what the command's --format offers, so a format cannot be listed without a writer."""

from __future__ import annotations

import importlib

import pytest

from dataflow_rules.render.formats import FORMATS, WRITERS, choices, write


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_each_writer_named_is_there_and_offered(kind: str) -> None:
    assert choices(kind) == tuple(WRITERS[kind])
    for name, (module, function) in WRITERS[kind].items():
        assert name in FORMATS
        assert callable(getattr(importlib.import_module(module), function)), (kind, name)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(KeyError):
        write("diff", "sarif", object())
