"""Benchmark of the lakehouse storage paths: Spark through the ``delta`` connector vs Spark on plain Parquet, and
delta-rs (``deltalake``) directly.

    .venv/bin/python benchmarks/bench_delta.py --rows 1000000 10000000

For each row count it writes a realistic 10-column table (strings, longs, decimals, a date, a timestamp) and
prints seconds and rows per second for:

* Spark write: ``df.write.format("delta")`` (connector) vs ``df.write.parquet`` (native);
* Spark read: ``spark.read.format("delta")`` vs ``spark.read.parquet`` on the *same* data files of the table;
  every column is materialised (``write.format("noop")``), plus an aggregation over a few columns;
* delta-rs: ``LakeTable.append`` of Arrow data and ``LakeTable.read`` to Arrow.

Each figure is the best of ``--repeat`` runs; the Spark contenders run in alternation (the machine is shared). It is a script, not a test: it takes minutes and needs memory.
"""

from __future__ import annotations

import argparse
import gc
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jianguan.lake import LakeTable
from jianguan.settings import Settings
from jianguan.spark import spark_session

REGIONS = ["420100", "420200", "420300", "420500", "420600", "420700", "420800", "420900", "421000", "421100"]


@dataclass
class Figure:
    rows: int
    what: str
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def best_of(repeat: int, run: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def measured(rows: int, what: str, repeat: int, run: Callable[[], None]) -> Figure:
    """Measure one figure and print it at once (a 10M-row run takes long; partial results are useful)."""
    figure = Figure(rows, what, best_of(repeat, run))
    print(f"  {rows:>12,}  {what:<52} {figure.seconds:>9.2f} s", flush=True)
    return figure


def interleaved(rows: int, repeat: int, runs: dict[str, Callable[[], None]]) -> list[Figure]:
    """Best of ``repeat`` for each of ``runs``, taken in rounds (A, B, A, B …) rather than one after the other.

    The machine is shared: its load drifts over minutes. Alternating the contenders exposes them to the same
    drift, so their ratio is fairer than when all of A's runs come before all of B's.
    """
    times: dict[str, list[float]] = {what: [] for what in runs}
    for _ in range(repeat):
        for what, run in runs.items():
            times[what].append(best_of(1, run))
    figures = [Figure(rows, what, min(seconds)) for what, seconds in times.items()]
    for figure in figures:
        print(f"  {rows:>12,}  {figure.what:<52} {figure.seconds:>9.2f} s", flush=True)
    return figures


def spark_source(spark: SparkSession, rows: int) -> DataFrame:
    """A realistic enforcement-record table generated from ``range`` (cheap, identical for both writers)."""
    rid = F.col("id")
    regions = F.array(*[F.lit(r) for r in REGIONS])
    return spark.range(0, rows, 1, spark.sparkContext.defaultParallelism).select(
        rid.alias("record_id"),
        F.concat(F.lit("91420100MA4K"), F.lpad((rid % 1_000_000).cast("string"), 6, "0")).alias("entity_id"),
        F.concat(F.lit("湖北省某某市场监管相关企业有限公司"), (rid % 5000).cast("string")).alias(
            "entity_name"
        ),
        F.element_at(regions, (rid % 10 + 1).cast("int")).alias("region_code"),
        F.concat(F.lit("1042"), F.lpad((rid % 9973).cast("string"), 10, "0")).alias("item_code"),
        ((rid % 100_000) / F.lit(4)).cast("decimal(18,2)").alias("fine_amount"),
        (rid % 17).alias("check_count"),
        F.date_add(F.lit("2024-01-01").cast("date"), (rid % 365).cast("int")).alias("decided_date"),
        F.timestamp_seconds(F.lit(1_704_067_200) + rid % 31_536_000).alias("decided_at"),
        F.when(rid % 7 == 0, F.lit(None)).otherwise(F.lit("已结案")).alias("status_name"),
    )


def arrow_source(rows: int, start: int = 0) -> pa.Table:
    """The same shape as :func:`spark_source`, built with Arrow for the delta-rs figures."""
    rid = np.arange(start, start + rows, dtype=np.int64)
    as_text = pc.cast(pa.array(rid % 1_000_000), pa.string())
    return pa.table(
        {
            "record_id": rid,
            "entity_id": pc.binary_join_element_wise("91420100MA4K", pc.utf8_lpad(as_text, 6, "0"), ""),
            "entity_name": pc.binary_join_element_wise(
                "湖北省某某市场监管相关企业有限公司", pc.cast(pa.array(rid % 5000), pa.string()), ""
            ),
            "region_code": pa.array(np.array(REGIONS)[rid % 10]),
            "item_code": pc.binary_join_element_wise(
                "1042", pc.utf8_lpad(pc.cast(pa.array(rid % 9973), pa.string()), 10, "0"), ""
            ),
            "fine_amount": pa.array((rid % 100_000) / 4).cast(pa.decimal128(18, 2)),  # quarters: exact
            "check_count": rid % 17,
            "decided_date": pa.array((np.datetime64("2024-01-01") + (rid % 365)).astype("datetime64[D]")),
            "decided_at": pa.array(
                (np.datetime64("2024-01-01T00:00:00") + (rid % 31_536_000)).astype("datetime64[us]")
            ).cast(pa.timestamp("us", tz="UTC")),
            "status_name": pa.array(np.where(rid % 7 == 0, None, "已结案"), pa.string()),
        }
    )


def bench_spark(spark: SparkSession, rows: int, work: Path, repeat: int) -> list[Figure]:
    delta_path = work / f"delta_{rows}"
    parquet_path = work / f"parquet_{rows}"
    source = spark_source(spark, rows)
    figures = []

    def write_delta() -> None:
        source.write.format("delta").mode("overwrite").save(str(delta_path))

    def write_parquet() -> None:
        source.write.mode("overwrite").parquet(str(parquet_path))

    figures += interleaved(
        rows,
        repeat,
        {"Spark write: delta connector": write_delta, "Spark write: native parquet": write_parquet},
    )

    files = [f.path for f in LakeTable(delta_path).files()]
    connector = spark.read.format("delta").load(str(delta_path))
    # Python data sources get no projection pushdown from Spark 4.2: the connector prunes columns when asked to.
    connector_pruned = (
        spark.read.format("delta")
        .option("columns", "region_code,fine_amount,decided_at")
        .load(str(delta_path))
    )
    native = spark.read.parquet(*files)
    print(
        f"  {rows:>12,}  {len(files)} data file(s), {sum(f.size for f in LakeTable(delta_path).files()) / 1e6:.0f} MB;"
        f" read tasks: connector {connector.rdd.getNumPartitions()}, native {native.rdd.getNumPartitions()}",
        flush=True,
    )

    def scan(df: DataFrame) -> Callable[[], None]:
        return lambda: df.write.format("noop").mode("overwrite").save()

    def aggregate(df: DataFrame) -> Callable[[], None]:
        return lambda: df.groupBy("region_code").agg(F.sum("fine_amount"), F.max("decided_at")).collect()

    figures += interleaved(
        rows,
        repeat,
        {
            "Spark read all columns: delta connector": scan(connector),
            "Spark read all columns: native parquet": scan(native),
        },
    )
    figures += interleaved(
        rows,
        repeat,
        {
            "Spark aggregate 3 columns: delta connector": aggregate(connector),
            "Spark aggregate 3 columns: delta connector, columns=": aggregate(connector_pruned),
            "Spark aggregate 3 columns: native parquet": aggregate(native),
        },
    )
    return figures


def bench_delta_rs(rows: int, work: Path, repeat: int) -> list[Figure]:
    data = arrow_source(rows)
    path = work / f"deltars_{rows}"

    def write() -> None:
        shutil.rmtree(path, ignore_errors=True)
        LakeTable.create(path, data.schema)
        LakeTable(path).append(data)

    return [
        measured(rows, "delta-rs write (LakeTable.append)", repeat, write),
        measured(rows, "delta-rs read to Arrow (LakeTable.read)", repeat, lambda: LakeTable(path).read()),
    ]


def print_table(figures: list[Figure]) -> None:
    print()
    print(f"{'rows':>12}  {'what':<52} {'seconds':>9} {'rows/s':>14}")
    for figure in figures:
        print(
            f"{figure.rows:>12,}  {figure.what:<52} {figure.seconds:>9.2f} {figure.rows_per_second:>14,.0f}"
        )
    by_key = {(f.rows, f.what): f.seconds for f in figures}
    print()
    for rows in sorted({f.rows for f in figures}):
        pairs = [
            ("write", "Spark write: delta connector", "Spark write: native parquet"),
            ("read", "Spark read all columns: delta connector", "Spark read all columns: native parquet"),
            (
                "aggregate",
                "Spark aggregate 3 columns: delta connector",
                "Spark aggregate 3 columns: native parquet",
            ),
            (
                "aggregate with columns=",
                "Spark aggregate 3 columns: delta connector, columns=",
                "Spark aggregate 3 columns: native parquet",
            ),
        ]
        for name, ours, theirs in pairs:
            if (rows, ours) in by_key and (rows, theirs) in by_key:
                ratio = by_key[(rows, theirs)] / by_key[(rows, ours)]
                print(f"{rows:>12,}  connector {name} speed = {ratio:.0%} of native Parquet", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=2, help="runs per figure; the best is reported")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="where tables are written (default: a temp dir)"
    )
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--skip-delta-rs", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench_delta_"))
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(lakehouse_root=work, spark_master=args.master, spark_driver_memory=args.driver_memory)
    spark = spark_session(settings, app_name="bench_delta")
    spark.sparkContext.setLogLevel("ERROR")
    # Warm up the Python workers and the JIT so the first figure does not pay for them.
    print("warming up", flush=True)
    bench_spark(spark, 20_000, work / "warmup", 1)

    figures: list[Figure] = []
    try:
        for rows in args.rows:
            figures += bench_spark(spark, rows, work, args.repeat)
            if not args.skip_delta_rs:
                figures += bench_delta_rs(rows, work, args.repeat)
            print_table(figures)
    finally:
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
        spark.stop()


if __name__ == "__main__":
    main()
