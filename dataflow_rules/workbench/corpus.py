"""Corpora of transfers: a seeded generator of realistic ones, and a reader.

A corpus is a JSON-lines file (one transfer per line, the fast form for large corpora),
a YAML or JSON file of transfers, or a directory of such files. The generator writes
JSON lines; the same seed and count give the same bytes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, Location
from ..loading import parse_documents, read_text
from ..models.taxonomy import Taxonomy

CORPUS_SUFFIXES = (".jsonl", ".yaml", ".yml", ".json")

Raw = tuple[str, int, Any]
"""(source file, line, the transfer as read: a JSON text for JSON lines, else a mapping)."""


def iter_corpus(path: Path) -> Iterator[Raw]:
    """Every transfer in the corpus at ``path``, unparsed (workers validate them)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in CORPUS_SUFFIXES)
        if not files:
            raise InputError("no corpus files (*.jsonl, *.yaml, *.yml, *.json) found", Location(str(path)))
    elif path.is_file():
        files = [path]
    else:
        raise InputError("corpus not found", Location(str(path)))
    for file in files:
        yield from _iter_file(file)


def _iter_file(file: Path) -> Iterator[Raw]:
    if file.suffix == ".jsonl":
        with file.open("rb") as f:
            for number, raw in enumerate(f, 1):
                if raw.strip():
                    yield str(file), number, raw
        return
    for document in parse_documents(read_text(file, InputError), str(file), InputError):
        value = document.value
        prefix: tuple[str | int, ...] = ()
        if isinstance(value, dict) and set(value) == {"transfers"}:
            value, prefix = value["transfers"], ("transfers",)
        values = value if isinstance(value, list) else [value]
        for i, item in enumerate(values):
            where = document.locate((*prefix, i) if isinstance(value, list) else prefix)
            yield str(file), where.line or 1, item


def count_corpus(path: Path) -> int | None:
    """The number of transfers for a progress bar, when cheap to know (JSON lines)."""
    if path.is_file() and path.suffix == ".jsonl":
        with path.open("rb") as f:
            return sum(1 for line in f if line.strip())
    return None


# -- the generator --------------------------------------------------------------------

COUNTRIES = ["CN", "US", "HK", "SG", "DE", "JP", "GB", "FR", "RU", "IR", "IN", "KR"]
_WEIGHTS = [30, 30, 6, 5, 5, 5, 4, 3, 2, 1, 5, 4]
_THRESHOLDS = [100, 1000, 10_000, 100_000, 1_000_000]


def _count(rng: random.Random) -> int:
    """Mostly near a threshold the catalogues use (n-1, n, n+1), else anywhere on a log scale."""
    if rng.random() < 0.4:
        return max(0, rng.choice(_THRESHOLDS) + rng.choice([-1, 0, 1]))
    return int(10 ** rng.uniform(0, 7))


def generate_transfer(rng: random.Random, taxonomy: Taxonomy, ident: str) -> dict[str, Any]:
    """One plausible transfer: two distinct countries, one to three data items, most
    facts stated and some left out (as real descriptions leave them out)."""
    categories = sorted(taxonomy.categories)
    personal = [c for c in categories if taxonomy.get(c).personal]
    origin = rng.choices(COUNTRIES, _WEIGHTS)[0]
    destination = rng.choices(
        [c for c in COUNTRIES if c != origin],
        [w for c, w in zip(COUNTRIES, _WEIGHTS, strict=True) if c != origin],
    )[0]
    items = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        category = rng.choice(personal) if rng.random() < 0.6 else rng.choice(categories)
        item: dict[str, Any] = {"category": category}
        if rng.random() < 0.85:
            item["individuals"] = _count(rng)
        if category.startswith("personal.location") and rng.random() < 0.7:
            item["devices"] = _count(rng)
        if taxonomy.get(category).personal and rng.random() < 0.9:
            item["anonymised"] = rng.random() < 0.25
        items.append(item)
    transfer: dict[str, Any] = {
        "id": ident,
        "origin": origin,
        "destination": destination,
        "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "exporter": {"ciio": rng.random() < 0.1} if rng.random() < 0.8 else {},
        "recipient": {
            "type": rng.choice(sorted(taxonomy.recipient_types)),
            "affiliate": rng.random() < 0.3,
            "controlled_by": destination if rng.random() < 0.85 else rng.choice(COUNTRIES),
        },
        "purpose": rng.choice(sorted(taxonomy.purposes)),
        "transaction": rng.choice(sorted(taxonomy.transactions)),
        "data": items,
    }
    if rng.random() < 0.1:
        del transfer["recipient"]["controlled_by"]
    if rng.random() < 0.05:
        del transfer["purpose"]
    return transfer


def generate_corpus(taxonomy: Taxonomy, count: int, seed: int) -> Iterator[str]:
    """``count`` JSON lines, reproducible from ``seed``."""
    rng = random.Random(seed)
    width = len(str(max(count, 1)))
    for n in range(count):
        yield json.dumps(generate_transfer(rng, taxonomy, f"t{n:0{width}d}"), separators=(",", ":")) + "\n"
