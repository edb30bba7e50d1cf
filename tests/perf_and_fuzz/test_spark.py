"""``dataflow_rules.spark`` in local mode: the same decisions as ``batch``, per row.

Spark runs here as a local[2] master bound to 127.0.0.1 (no network beyond loopback),
with Python workers from this interpreter. Skipped where pyspark is not installed (the
``spark`` extra) or, outside CI, where no Java runtime is found; CI installs pyspark
with the ``test`` extra and runs these on the machine's Java 17.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("CI"):  # in CI a missing Java fails
    pytest.skip("Spark needs a Java runtime (java on PATH)", allow_module_level=True)
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from dataflow_rules import Policies  # noqa: E402
from dataflow_rules.batch import run_batch  # noqa: E402
from dataflow_rules.spark import RESULT_COLUMNS, decide_dataframe  # noqa: E402

from .jsonl import example_values, jsonl, records  # noqa: E402

# Slow lane (Spark in local mode starts a JVM): `pytest -m slow`, run by .ci/run as its own step.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("dataflow-rules-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def lines(policies: Policies) -> list[bytes]:
    values = example_values(policies)
    bad = [
        b'{"id": "bad-1", "origin": "CN", "destination": "US", "data": [{"category": "personal.contcat"}]}',
        b'{"id": "bad-2", "origin": "CN"}',
        b"not json",
        b'{"id": "bad-3", "origin": "CN", "destination": "US", "data": [{"category": "personal.contact", "individuals": -1}]}',
    ]
    return jsonl(values, copies=3).splitlines() + bad


@pytest.fixture(scope="module")
def batch_records(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], policies: Policies
) -> list[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("spark")
    src, out = tmp / "in.jsonl", tmp / "out.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    run_batch(src, out, policies)
    return records(out)


def _same_as_batch(rows: list[Any], batch_records: list[dict[str, Any]]) -> None:
    assert len(rows) == len(batch_records)
    for row, record in zip(rows, batch_records, strict=True):
        if "error" in record:
            assert row["verdict"] is None and row["decision"] is None and row["reasons"] is None
            # Same fault, located by row instead of by file and line.
            message = record["error"]["message"].split(": ", 1)[1]
            assert row["error"] == message
        else:
            assert row["error"] is None
            decision = json.loads(row["decision"])
            assert {"line": record["line"], **decision} == record
            assert row["verdict"] == record["verdict"]
            assert [r["entry_id"] for r in row["reasons"]] == [r["entry_id"] for r in record["reasons"]]
            assert [r["sentence"] for r in row["reasons"]] == [r["sentence"] for r in record["reasons"]]
            assert [[c["article"] for c in r["citations"]] for r in row["reasons"]] == [
                [c["article"] for c in r["citations"]] for r in record["reasons"]
            ]


def test_json_column_gives_the_batch_results(
    spark: SparkSession, lines: list[bytes], policies: Policies, batch_records: list[dict[str, Any]]
) -> None:
    df = spark.createDataFrame(
        [(n, line.decode()) for n, line in enumerate(lines, 1)], "n long, transfer string"
    )
    df = df.repartition(4)  # several partitions on two executor threads
    decided = decide_dataframe(df, policies, json_column="transfer")
    assert decided.columns == ["n", "transfer", *RESULT_COLUMNS]
    rows = decided.orderBy("n").collect()
    _same_as_batch(rows, batch_records)


def test_one_column_per_field_gives_the_batch_results(
    spark: SparkSession, lines: list[bytes], policies: Policies, batch_records: list[dict[str, Any]]
) -> None:
    good = [(n, line) for n, line in enumerate(lines, 1) if line.startswith(b"{") and b"bad-" not in line]
    texts = spark.createDataFrame([(n, line.decode()) for n, line in good], "n long, j string")
    # Spark infers the columns (structs, arrays, dates as strings) from the JSON itself.
    inferred = spark.read.json(texts.rdd.map(lambda r: r.j)).schema
    df = texts.select("n", F.from_json("j", inferred).alias("t")).select("n", "t.*")
    df = df.withColumn("note", F.lit("not a transfer field: left out"))
    decided = decide_dataframe(df, policies)
    rows = decided.orderBy("n").collect()
    wanted = [r for r in batch_records if r["line"] in {n for n, _ in good}]
    _same_as_batch(rows, wanted)


def test_engine_is_built_once_per_executor_process(spark: SparkSession, policies: Policies) -> None:
    from pyspark.sql.functions import pandas_udf

    from dataflow_rules.batch.records import fingerprint, ship

    blob = ship(policies)
    key = fingerprint(blob)

    def probe(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        import os as os_

        from dataflow_rules.batch import records
        from dataflow_rules.spark import executor_decider

        for batch in batches:
            decider = executor_decider(blob, key, "review", None)
            yield pd.Series([f"{os_.getpid()}:{id(decider)}:{records.builds()}"] * len(batch))

    df = spark.range(0, 4000, numPartitions=16)
    seen = {r.p for r in df.select(pandas_udf(probe, "string")("id").alias("p")).distinct().collect()}  # type: ignore[call-overload]
    by_pid: dict[str, set[str]] = {}
    for item in seen:
        pid, decider, _ = item.split(":")
        by_pid.setdefault(pid, set()).add(decider)
    # 16 partitions, and every Python worker process holds exactly one engine.
    assert all(len(deciders) == 1 for deciders in by_pid.values()), seen
    assert len(by_pid) <= 4, seen


def test_result_column_clash_and_no_transfer_columns(spark: SparkSession, policies: Policies) -> None:
    df = spark.createDataFrame([("x", "y")], "verdict string, other string")
    with pytest.raises(ValueError, match="already has columns"):
        decide_dataframe(df, policies, json_column="other")
    renamed = decide_dataframe(df, policies, json_column="other", prefix="dfr_")
    row = renamed.collect()[0]
    assert row["dfr_verdict"] is None and "invalid JSON" in row["dfr_error"]
    with pytest.raises(ValueError, match="no transfer columns"):
        decide_dataframe(spark.createDataFrame([("x",)], "other string"), policies)


def test_null_rows_are_errors_not_decisions(spark: SparkSession, policies: Policies, tmp_path: Path) -> None:
    df = spark.createDataFrame([(None,)], "t string")
    row = decide_dataframe(df, policies, json_column="t").collect()[0]
    assert row["verdict"] is None and row["error"]
