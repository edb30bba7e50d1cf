"""Turning pydantic's errors into the one-line, located messages users see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import DataflowRulesError
from .loading import Document, dotted

M = TypeVar("M", bound=BaseModel)


STRING_KINDS = ("string_type", "literal_error", "enum", "string_pattern_mismatch")
"""Errors that mean "a string was wanted": where YAML 1.1 read a bare word as a boolean."""


def describe(error: Any, boolean_text: str | None = None) -> str:
    """A plain message for one pydantic error, naming the field and the value's fault.

    ``boolean_text``: the bare word the value was written as, if YAML read it as a boolean
    (``origin: NO`` is Norway to a person and ``false`` to YAML 1.1)."""
    kind = error.get("type", "")
    loc = error.get("loc", ())
    name = dotted(loc) or "document"
    if boolean_text is not None and isinstance(error.get("input"), bool) and kind in STRING_KINDS:
        value = str(error["input"]).lower()
        return f"{boolean_text} is read by YAML as the boolean {value}; quote it: '{boolean_text}'"
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1] if loc else name}'"
    if kind == "missing":
        return f"required field '{name}' is missing"
    msg = str(error.get("msg", "invalid value"))
    if not loc and kind in ("model_type", "dict_type"):
        return "the document must be a mapping of fields"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    value = error.get("input")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        return f"{msg[0].lower() + msg[1:]} (got {shown})"
    return msg[0].lower() + msg[1:] if msg else msg


def validate(
    model: type[M],
    document: Document,
    error: type[DataflowRulesError],
    value: Any = None,
    prefix: Sequence[str | int] = (),
) -> M:
    """Validate ``value`` (default: the whole document) or raise a located ``error``.

    The first error (in document order) is reported; ``validate`` command users who want
    every error at once get them from :func:`all_errors`.
    """
    try:
        return model.model_validate(document.value if value is None else value)
    except ValidationError as exc:
        errors = all_errors(exc, document, prefix)
        first = errors[0]
        raise error(first[1], first[0]) from None


def all_errors(
    exc: ValidationError,
    document: Document,
    prefix: Sequence[str | int] = (),
    model: type[BaseModel] | None = None,
) -> list[tuple[Any, str]]:
    """Every error as (location, message), sorted by position in the file. With ``model``
    (the one validated), an unknown field also names the field it most likely meant."""
    out = []
    errors = exc.errors()
    missing: dict[tuple[Any, ...], list[str]] = {}
    for err in errors:
        if err.get("type") == "missing" and err["loc"]:
            missing.setdefault(tuple(err["loc"][:-1]), []).append(str(err["loc"][-1]))
    for err in errors:
        path = (*prefix, *err["loc"])
        message = describe({**err, "loc": path}, document.booleans.get(path))
        if err.get("type") == "extra_forbidden" and err["loc"]:
            # An unknown field beside a missing required one is usually that field misnamed
            # (date_obtained for obtained): say so on the unknown field's line.
            parent = tuple(err["loc"][:-1])
            siblings = missing.get(parent, [])
            hint = _closest(str(err["loc"][-1]), siblings)
            if hint:
                message += f" (did you mean '{hint}', which is missing?)"
            elif model is not None:
                hint = _closest(str(err["loc"][-1]), _fields_at(model, parent))
                if hint:
                    message += f" (did you mean '{hint}'?)"
        out.append((document.locate(path), message))
    out.sort(key=lambda pair: (pair[0].line or 0, pair[0].column or 0, pair[1]))
    return out


def _closest(name: str, candidates: list[str]) -> str | None:
    """The missing field an unknown one most likely stands for: the only one missing, else
    a near spelling or one whose name is part of the other's."""
    import difflib

    for c in sorted(candidates):
        if len(c) > 3 and (c in name or name in c):
            return c
    near = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
    return near[0] if near else None


def _fields_at(model: type[BaseModel], path: Sequence[Any]) -> list[str]:
    """The field names of the model nested at ``path`` inside ``model`` (list indexes and
    mapping keys skipped), or none when the path leaves the models."""
    import typing

    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _model_in(field.annotation, typing)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any, typing: Any) -> Any:
    """The pydantic model inside an annotation (``X | None``, ``list[X]``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg, typing)
        if found is not None:
            return found
    return None
