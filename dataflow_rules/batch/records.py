"""One JSON line in, one JSON record out: the unit that ``batch`` and Spark share.

A *record* is what a batch output line holds: the input line number first, then either
the decision exactly as ``check --format json`` gives it (``Decision.model_dump``) or an
``error`` object for a line that could not be read or decided. An error record has no
``verdict`` field, so nothing that filters on verdicts can mistake it for a decision.

Input lines are read strictly: UTF-8 only, one JSON object, no duplicate keys, no NaN or
infinite numbers, no nesting beyond :data:`MAX_LINE_DEPTH`, at most
:data:`MAX_LINE_BYTES` bytes. Then the same schema and reference checks as ``check``
apply, so a line gives the same decision (or is refused for the same fault) either way.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import math
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from .. import __version__
from ..engine.engine import Engine
from ..errors import DataflowRulesError, EngineError, InputError, Location
from ..loading import Document
from ..models.decision import Decision, Verdict
from ..models.policies import Policies
from ..models.transfer import Transfer
from ..transfers import Located, check_references
from ..validation import validate
from .cumulative import CorpusLedger, line_key
from .jsonline import transfer_from_json
from .jsonline import unique_pairs as _pairs
from .vocabulary import Vocabulary

MAX_LINE_BYTES = 1024 * 1024
"""Longest input line accepted (1 MiB): a transfer of 1,000 data items fits many times."""
MAX_LINE_DEPTH = 32
"""Deepest nesting accepted in a line; a transfer nests four levels."""

CRASH_EXIT = 1
"""Exit code of an error record for an unexpected failure (a bug: please report it)."""

# Outcome of one line, for the exit code and the summary.
ALLOW, REVIEW, RESTRICT = "allow", "review", "restrict"
OUTCOMES = (ALLOW, REVIEW, RESTRICT, "input_error", "engine_error", "crash")


def _error_outcome(exit_code: int) -> str:
    return {InputError.exit_code: "input_error", EngineError.exit_code: "engine_error"}.get(
        exit_code, "crash"
    )


def dumps(record: dict[str, Any]) -> bytes:
    """The one serialisation of a record: compact, key order kept, one line, newline-ended."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    # A lone surrogate (a JSON \ud800 escape echoed in a message) is written back as that escape.
    return text.encode("utf-8", "backslashreplace")


def decision_record(line: int | None, decision: Decision) -> bytes:
    """``dumps({"line": line, **decision.model_dump(mode="json")})``, several times faster:
    pydantic's serialiser writes the same compact JSON (tested)."""
    # model_dump_json's own call, without its decoding the bytes to str (encoded again here)
    body = type(decision).__pydantic_serializer__.to_json(decision)
    if line is None:
        return body + b"\n"
    return b"".join((b'{"line":%d,' % line, memoryview(body)[1:], b"\n"))


def _constant(name: str) -> float:
    raise ValueError(f"number {name} is not finite")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is not finite")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
"""The strict decoder, made once: ``json.loads`` with these options builds one per call."""


def _loads(text: str) -> Any:
    """``json.loads(text, object_pairs_hook=_pairs, ...)``, with its BOM check and errors."""
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _DECODER.decode(text)


def _depth(value: Any, limit: int) -> bool:
    """True if ``value`` nests no deeper than ``limit`` (iterative: no recursion to abuse)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def parse_line(raw: bytes | str, source: str, line: int | None) -> dict[str, Any]:
    """One input line as a JSON object, or an :class:`InputError` naming the line."""
    if len(raw) > MAX_LINE_BYTES:
        raise InputError(f"line is longer than {MAX_LINE_BYTES} bytes", Location(source, line))
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                Location(source, line),
            ) from None
    else:
        text = raw
    try:
        value = _loads(text)
    except RecursionError:
        raise InputError(f"line nests deeper than {MAX_LINE_DEPTH} levels", Location(source, line)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", Location(source, line)) from None
    except ValueError as exc:  # duplicate keys, NaN, overlong integers
        raise InputError(f"invalid JSON: {exc}", Location(source, line)) from None
    if not isinstance(value, dict):
        raise InputError("a line must hold one transfer, a JSON object", Location(source, line))
    brackets = text.count("[") + text.count("{")  # cheap bound: few brackets, shallow line
    if brackets > MAX_LINE_DEPTH and not _depth(value, MAX_LINE_DEPTH):
        raise InputError(f"line nests deeper than {MAX_LINE_DEPTH} levels", Location(source, line))
    return value


def read_line(
    raw: bytes | str,
    source: str,
    line: int | None,
    policies: Policies,
    vocabulary: Vocabulary | None = None,
) -> Transfer:
    """Parse and check one line exactly as ``check`` checks a transfer.

    ``vocabulary``: the policies' words (:class:`.vocabulary.Vocabulary`, made once by a
    caller reading many lines), which makes the reference check of a clean line cheap.
    """
    if len(raw) > MAX_LINE_BYTES:
        raise InputError(f"line is longer than {MAX_LINE_BYTES} bytes", Location(source, line))
    # pydantic's JSON parser first (batch/jsonline.py); None: the strict reading, which
    # refuses and words every fault as it always did
    fast = transfer_from_json(raw)
    value = parse_line(raw, source, line) if fast is None else None

    def document() -> Document:  # made only to place a fault (only its marks are read)
        return Document(source, value, {(): (line or 1, 1)})

    try:
        if fast is not None:
            transfer = fast
        else:
            try:
                transfer = Transfer.model_validate(value)
            except ValidationError:
                transfer = validate(Transfer, document(), InputError, value)  # raises, located
        if vocabulary is None:
            check_references(Located(transfer, document(), ()), policies)
        else:
            vocabulary.check(transfer, document)
    except DataflowRulesError as exc:
        # JSON lines have no useful column: name the file, line and field only.
        field = exc.location.field if exc.location else None
        raise type(exc)(exc.message, Location(source, line, None, field)) from None
    return transfer


@dataclass(frozen=True)
class LineError:
    """Why a line was not decided: the exit code its kind of fault maps to, and one line."""

    exit_code: int
    message: str

    @property
    def outcome(self) -> str:
        return _error_outcome(self.exit_code)

    def record(self, line: int | None) -> bytes:
        head: dict[str, Any] = {} if line is None else {"line": line}
        return dumps({**head, "error": {"exit_code": self.exit_code, "message": self.message}})


@dataclass
class LineDecider:
    """Decides lines with one engine; one per process (durable-rules is per process)."""

    engine: Engine
    as_of: dt.date | None = None
    ledger: CorpusLedger | None = None
    """``--cumulative``: the corpus's transfers, counted where the law counts across them."""
    vocabulary: Vocabulary = field(init=False, repr=False)
    """The engine's policies' words, for :func:`read_line`'s reference check."""

    def __post_init__(self) -> None:
        self.vocabulary = Vocabulary.of(self.engine.policies)

    def decide(self, raw: bytes | str | None, source: str, line: int | None) -> Decision | LineError:
        """The decision for one line, or why there is none. ``raw`` None: the line was too long.

        Never raises for anything the line contains: every fault becomes a :class:`LineError`.
        """
        try:
            if raw is None:
                raise InputError(f"line is longer than {MAX_LINE_BYTES} bytes", Location(source, line))
            transfer = read_line(raw, source, line, self.engine.policies, self.vocabulary)
            try:
                if self.ledger is None or line is None:
                    return self.engine.decide(transfer, self.as_of)
                prior = self.ledger.prior(transfer, line_key(line))
                return self.engine.decide(transfer, self.as_of, prior=prior)
            except EngineError as exc:
                raise EngineError(
                    f"transfer '{transfer.id}': {exc.message}", Location(source, line)
                ) from None
        except DataflowRulesError as exc:
            return LineError(exc.exit_code, exc.one_line())
        except Exception as exc:  # a bug; the line is not decided and the run says so
            where = Location(source, line)
            return LineError(
                CRASH_EXIT, " ".join(f"{where}: internal error: {type(exc).__name__}: {exc}".split())
            )

    def record(self, raw: bytes | str | None, source: str, line: int | None) -> tuple[bytes, str]:
        """The serialised record for one line (newline-ended) and its outcome."""
        result = self.decide(raw, source, line)
        if isinstance(result, LineError):
            return result.record(line), result.outcome
        return decision_record(line, result), result.verdict.value


def exit_code(tally: dict[str, int]) -> int:
    """The run's exit code from its outcomes: a fault outranks every verdict.

    7 if any line hit an engine error, else 1 if any line crashed, else 5 if any line was
    malformed, else the strictest verdict (0 allow, 3 review, 4 restrict).
    """
    if tally.get("engine_error"):
        return EngineError.exit_code
    if tally.get("crash"):
        return CRASH_EXIT
    if tally.get("input_error"):
        return InputError.exit_code
    if tally.get(RESTRICT):
        return 4
    if tally.get(REVIEW):
        return 3
    return 0


# -- shipping policies to other processes ----------------------------------------------


def ship(policies: Policies) -> bytes:
    """Policies as bytes for another process (a batch worker, a Spark executor).

    The parsed catalogues travel, not file paths, so every process decides against exactly
    what the driver loaded and checked. Source documents (kept only to place load errors)
    are left behind. The receiving process must run the same dataflow-rules version.
    """
    slim = replace(
        policies,
        catalogues={
            code: replace(lc, document=Document(lc.source, None)) for code, lc in policies.catalogues.items()
        },
    )
    return pickle.dumps((__version__, slim), protocol=pickle.HIGHEST_PROTOCOL)


def unship(blob: bytes) -> Policies:
    version, policies = pickle.loads(blob)  # bytes made by ship() in our own driver, never user input
    if version != __version__:
        raise EngineError(
            f"policies were shipped by dataflow-rules {version} but this process runs {__version__}"
        )
    if not isinstance(policies, Policies):
        raise EngineError("shipped policies are not dataflow-rules policies")
    return policies


def fingerprint(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


_DECIDERS: dict[tuple[str, str | None, dt.date | None, str | None], LineDecider] = {}
_MAX_DECIDERS = 4
_BUILDS = 0


def decider_for(
    blob: bytes,
    unlisted: Verdict | None,
    as_of: dt.date | None,
    key: str | None = None,
    *,
    freeze: bool = False,
    ledger: bytes | None = None,
    ledger_key: str | None = None,
) -> LineDecider:
    """This process's decider for shipped policies: built on first use, then reused.

    Building compiles every catalogue into durable-rules rulesets; a worker process does
    it once, not once per line, batch or partition. At most a few are kept (the oldest
    is closed). ``freeze``: a process that exists to decide (a batch worker, a Spark
    worker) moves the long-lived objects out of the garbage collector's view
    (``gc.freeze``), so the many collections a stream of decisions triggers never walk
    the catalogues again; that keeps the slowest decisions close to the median.
    ``ledger``: a :class:`.cumulative.CorpusLedger`'s bytes (``--cumulative``).
    """
    global _BUILDS
    if ledger is not None and ledger_key is None:
        ledger_key = fingerprint(ledger)
    cache_key = (key or fingerprint(blob), unlisted.value if unlisted else None, as_of, ledger_key)
    decider = _DECIDERS.get(cache_key)
    if decider is None:
        corpus = CorpusLedger.loads(ledger) if ledger is not None else None
        decider = LineDecider(Engine(unship(blob), unlisted), as_of, corpus)
        while len(_DECIDERS) >= _MAX_DECIDERS:
            _DECIDERS.pop(next(iter(_DECIDERS))).engine.close()
        _DECIDERS[cache_key] = decider
        _BUILDS += 1
        if freeze:
            gc.collect()
            gc.freeze()
    return decider


def builds() -> int:
    """How many engines this process has built through :func:`decider_for`."""
    return _BUILDS


def tally_records(lines: Iterable[bytes]) -> dict[str, int]:
    """Outcomes of existing output records (for the exit code of a resumed run)."""
    tally = dict.fromkeys(OUTCOMES, 0)
    for raw in lines:
        record = json.loads(raw)
        if "error" in record:
            tally[_error_outcome(int(record["error"].get("exit_code", CRASH_EXIT)))] += 1
        else:
            tally[str(record["verdict"])] += 1
    return tally
