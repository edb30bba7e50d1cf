"""OpenLineage run events (JSON, a JSON list, or NDJSON): a job's reads and writes as transfers.

A run event says which datasets a job read (``inputs``) and wrote (``outputs``), each with
its ``namespace``, ``name`` and facets (issue 15). Each pair of an input and an output is a
transfer from the input's country to the output's, carrying what the input holds:

- what it holds: the input's ``tags`` facet (``{key, value, field}``: a column's tag when
  ``field`` names it), and its ``schema`` facet's fields, read with the ODCS labels
  (docs/scan.md, "ODCS"): ``key: classification`` is a classification; a tag whose value is
  ``true``/``yes``/empty is the label ``key`` (``pii``); ``false``/``no`` says the field
  holds nothing designated; any other value is ``key:value`` (``dataflow:personal.contact``).
  A schema field with no tag may hold anything: a dataset with countries and no labelled
  data is a review ``no-data-categories``.
- countries: the dataset's facet ``dataflow_rules: {country: CN}``, else the sidecar's
  origin (inputs) and destinations (outputs), else ``--origin``/``--destination``. The
  datasource's URI does not say a country by itself, so it is not guessed from.

Transfer ids are ``<job name>:<input name>:<output name>:<O>-<D>`` (the job's namespace
is its name in reports); each event is decided, so a job's START and COMPLETE events are
both reported.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError, Location
from ..loading import Document, parse_documents
from .adapted import AdaptedTransfer
from .flows import Found, Reading, Stated, country
from .odcs import Labels

Path_ = tuple[str | int, ...]
FACET = "dataflow_rules"
_YES = {"true", "yes", "1", ""}
_NO = {"false", "no", "0"}


def is_event(value: object) -> bool:
    """An OpenLineage run event: a run, a job, and inputs or outputs."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("run"), dict)
        and isinstance(value.get("job"), dict)
        and ("inputs" in value or "outputs" in value)
        and ("eventTime" in value or "eventType" in value)
    )


def is_openlineage(value: object) -> bool:
    if isinstance(value, list):
        return bool(value) and all(is_event(v) for v in value)
    return is_event(value)


def ndjson_documents(text: str, source: str, error: type[InputError]) -> list[Document]:
    """One document a non-empty line, with the lines of the file (NDJSON, JSON Lines)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"not a JSON value: {exc.msg}", Location(source, number, exc.colno)) from None
        (doc,) = list(parse_documents(line, source, error))
        marks = {path: (number, col) for path, (_, col) in doc.marks.items()}
        out.append(Document(source, doc.value, marks))
    return out


def has_event_line(text: str) -> bool:
    """Whether any line of ``text`` is a run event: then a bad line elsewhere is an error of
    a lineage log, never a reason to skip the file (gates fail closed)."""
    for line in text.splitlines()[:100_000]:
        try:
            if is_event(json.loads(line)):
                return True
        except (ValueError, RecursionError):
            continue
    return False


def _name(dataset: dict[str, Any]) -> str:
    return f"{dataset.get('namespace', '')}/{dataset.get('name', '')}".strip("/") or "dataset"


def _stated_country(doc: Document, dataset: dict[str, Any], path: Path_) -> str | None:
    facets = dataset.get("facets")
    ours = facets.get(FACET) if isinstance(facets, dict) else None
    if isinstance(ours, dict) and "country" in ours:
        where = (*path, "facets", FACET, "country")
        return country(ours["country"], doc.locate(where))
    return None


def _labels(doc: Document, dataset: dict[str, Any], path: Path_, labels: Labels) -> None:
    facets = dataset.get("facets")
    if not isinstance(facets, dict):
        labels.items.unlabelled += 1
        return
    fields: list[str] = []
    schema = facets.get("schema")
    if isinstance(schema, dict) and isinstance(schema.get("fields"), list):
        fields = [
            f["name"] for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)
        ]
    labelled: set[str] = set()
    cleared: set[str] = set()
    tags = facets.get("tags")
    listed = tags.get("tags") if isinstance(tags, dict) else None
    for k, tag in enumerate(listed if isinstance(listed, list) else []):
        where = (*path, "facets", "tags", "tags", k)
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
            raise InputError("a tag must be a mapping with a string 'key'", doc.locate(where))
        key, value = tag["key"].strip(), str(tag.get("value", "")).strip()
        field = tag.get("field") if isinstance(tag.get("field"), str) else None
        if key.lower() == "classification":
            outcome = labels.label(value, (*where, "value"), True)
        elif value.lower() in _NO:
            outcome = "clear"
        elif value.lower() in _YES:
            outcome = labels.label(key, (*where, "key"), False)
        else:
            outcome = labels.label(f"{key}:{value}", (*where, "value"), False)
        target = field or ""
        if outcome in ("category", "gap"):
            labelled.add(target)
        elif outcome == "clear":
            cleared.add(target)
    for name in fields:
        if name in labelled or (name not in cleared and "" in labelled):
            continue  # its own label, or the dataset's, says what it holds
        if name in cleared or "" in cleared:
            labels.items.cleared += 1
        else:
            labels.items.unlabelled += 1
    if not fields and not labelled:
        if cleared:
            labels.items.cleared += 1
        else:
            labels.items.unlabelled += 1


def adapt(documents: list[Document], reading: Reading) -> tuple[list[AdaptedTransfer], list[str]]:
    found = Found(reading)
    for doc in documents:
        events = doc.value if isinstance(doc.value, list) else [doc.value]
        for e, event in enumerate(events):
            base: Path_ = (e,) if isinstance(doc.value, list) else ()
            job = event["job"]
            job_key = f"{job.get('namespace', '')}/{job.get('name', '')}".strip("/") or "job"
            inputs = event.get("inputs") or []
            outputs = event.get("outputs") or []
            if not isinstance(inputs, list) or not isinstance(outputs, list):
                raise InputError("inputs and outputs must be lists", doc.locate(base))
            for i, source in enumerate(inputs):
                source_path = (*base, "inputs", i)
                if not isinstance(source, dict):
                    raise InputError("an input dataset must be a mapping", doc.locate(source_path))
                origin_stated = _stated_country(doc, source, source_path)
                for o, target in enumerate(outputs):
                    target_path = (*base, "outputs", o)
                    if not isinstance(target, dict):
                        raise InputError("an output dataset must be a mapping", doc.locate(target_path))
                    dest_stated = _stated_country(doc, target, target_path)
                    stated = Stated(
                        (origin_stated, doc.locate(source_path)) if origin_stated else None,
                        ((dest_stated,), doc.locate(target_path)) if dest_stated else None,
                    )
                    key = f"{job.get('name', 'job')}:{source.get('name', 'in')}:{target.get('name', 'out')}"
                    where = found.countries(stated, f"{_name(source)} -> {_name(target)}")
                    if where is None:
                        continue
                    labels = Labels(doc, reading.policies, reading.omap, reading.fmap)
                    _labels(doc, source, source_path, labels)
                    found.add(
                        key=key,
                        source="openlineage_run",
                        name=job_key,
                        place=doc.locate(source_path),
                        items=labels.items,
                        origin=where[0],
                        destinations=where[1],
                    )
    return found.result()
