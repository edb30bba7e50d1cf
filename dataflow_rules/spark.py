"""Deciding a Spark DataFrame of transfers, on the executors (docs/spark.md).

    from dataflow_rules import load_policies
    from dataflow_rules.spark import decide_dataframe

    decided = decide_dataframe(df, load_policies())          # one column per field
    decided = decide_dataframe(df, load_policies(), json_column="transfer")  # JSON text
    decided.select("id", "verdict", "reasons", "error")

The driver loads and checks the catalogues once and ships them, parsed, inside the task
(``dataflow_rules.batch.ship``); each executor's Python worker process builds its engine
on first use and keeps it for every later batch and partition (durable-rules is per
process, so one engine per process is also what makes this safe). Rows travel as Arrow
batches through a pandas UDF, so the input columns are untouched and stay in order.

Each row is decided exactly as one line of ``dataflow-rules batch``: the same strict
reading and checks, the same decision JSON. A row that cannot be read or decided gets a
null ``verdict`` and an ``error``, never a verdict.

Requires the ``spark`` extra (``pip install 'dataflow-rules[spark]'``): pyspark, pandas
and pyarrow, and dataflow-rules itself installed on the executors at the same version.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

try:
    import pandas as pd
    from pyspark.sql import Column, DataFrame
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.functions import pandas_udf
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "dataflow_rules.spark needs pyspark, pandas and pyarrow: pip install 'dataflow-rules[spark]'"
    ) from exc

from .models.decision import Verdict
from .models.policies import Policies
from .models.transfer import Transfer

if TYPE_CHECKING:
    from .batch.records import LineDecider

RESULT_COLUMNS = ("verdict", "reasons", "decision", "error")
"""Columns added, in this order (after ``prefix``)."""

REASONS_SCHEMA = (
    "array<struct<jurisdiction:string,side:string,kind:string,verdict:string,entry_id:string,"
    "title:string,requirement:string,items:array<int>,categories:array<string>,"
    "missing:array<string>,cleared:array<string>,citations:array<struct<instrument:string,"
    "article:string,date:string,url:string,note:string>>,sentence:string>>"
)
"""The ``reasons`` column: the decision's reasons with their main fields. The
``decision`` column holds the whole decision as JSON (docs/semantics.md, section 10)."""

_UDF_SCHEMA = "verdict string, reasons string, decision string, error string"


def transfer_json(df: DataFrame) -> Column:
    """A JSON text column of the transfer fields among ``df``'s columns.

    Columns named like a transfer's fields (``id``, ``origin``, ``destination``,
    ``date``, ``data``, ``recipient``, ...) are taken; other columns are left out. Null
    values are left out too, so an unknown fact reads as unstated, as in a YAML file.
    """
    fields = [c for c in df.columns if c in Transfer.model_fields]
    if not fields:
        raise ValueError(
            "the DataFrame has no transfer columns (id, origin, destination, data, ...); "
            "pass json_column= for a column of JSON text"
        )
    return F.to_json(F.struct(*[F.col(c) for c in fields]))


def decide_dataframe(
    df: DataFrame,
    policies: Policies,
    *,
    json_column: str | None = None,
    as_of: dt.date | None = None,
    unlisted: Verdict | None = None,
    prefix: str = "",
) -> DataFrame:
    """``df`` with four columns added: ``verdict``, ``reasons``, ``decision``, ``error``.

    ``verdict`` is allow/review/restrict, or null when the row was not decided; then
    ``error`` says why (``field: message``), else it is null. ``reasons`` is an array of
    structs (:data:`REASONS_SCHEMA`); ``decision`` the full decision as JSON text,
    identical to a ``batch`` record without its ``line``. ``json_column``: read each
    transfer from this column of JSON text instead of from one column per field.
    """
    from .batch.records import fingerprint, ship

    names = [prefix + c for c in RESULT_COLUMNS]
    clash = [n for n in names if n in df.columns]
    if clash:
        raise ValueError(f"the DataFrame already has columns {clash}; pass prefix= to rename ours")
    source = transfer_json(df) if json_column is None else F.col(json_column).cast("string")
    blob = ship(policies)
    udf = _udf(blob, fingerprint(blob), unlisted.value if unlisted else "", as_of)
    tmp = prefix + "__dataflow_rules"
    out = df.withColumn(tmp, udf(source))
    return out.select(
        *[F.col(f"`{c}`") for c in df.columns],
        F.col(f"{tmp}.verdict").alias(names[0]),
        F.from_json(F.col(f"{tmp}.reasons"), REASONS_SCHEMA).alias(names[1]),
        F.col(f"{tmp}.decision").alias(names[2]),
        F.col(f"{tmp}.error").alias(names[3]),
    )


def _udf(blob: bytes, key: str, unlisted: str, as_of: dt.date | None) -> Any:
    """The pandas UDF, closing over the shipped policies (bytes) and options only."""

    def decide_batches(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        decider = executor_decider(blob, key, unlisted, as_of)
        for batch in batches:
            yield pd.DataFrame([decide_text(decider, text) for text in batch], columns=list(RESULT_COLUMNS))

    return pandas_udf(decide_batches, _UDF_SCHEMA)  # type: ignore[call-overload]  # iterator UDF to a struct


def executor_decider(blob: bytes, key: str, unlisted: str, as_of: dt.date | None) -> LineDecider:
    """This Python worker's decider: built on the first batch, reused for the rest."""
    from .batch.records import decider_for

    return decider_for(blob, Verdict(unlisted) if unlisted else None, as_of, key, freeze=True)


def decide_text(
    decider: LineDecider, text: str | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """(verdict, reasons JSON, decision JSON, error) for one row's transfer JSON."""
    from .batch.records import LineError

    if text is None:
        return None, None, None, "the row has no transfer (null)"
    result = decider.decide(text, "row", None)
    if isinstance(result, LineError):
        return None, None, None, result.message.removeprefix("row: ")
    reasons = json.dumps([r.model_dump(mode="json") for r in result.reasons], ensure_ascii=False)
    return result.verdict.value, reasons, result.model_dump_json(), None
