"""A Delta snapshot read by Spark's own Parquet reader gives exactly the rows the ``delta`` data source gives."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession

from jianguan.errors import StorageError
from jianguan.lake import FileEntry, LakeTable, native_scan

pytestmark = pytest.mark.spark

SCHEMA = pa.schema(
    [
        pa.field("action_code", pa.string(), nullable=False, metadata={"comment": "行为编码 (the 'code')"}),
        pa.field("day", pa.string()),
        pa.field("check_count", pa.int64()),
        pa.field("level", pa.int16()),
        pa.field("closed", pa.bool_()),
        pa.field("score", pa.float64()),
        pa.field("fine", pa.decimal128(18, 2)),
        pa.field("wide_fine", pa.decimal128(38, 10)),
        pa.field("decided_on", pa.date32()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
        pa.field("tags", pa.list_(pa.string())),
    ]
)


def rows(start: int, count: int, day: str | None) -> pa.Table:
    codes = [f"A{start + i:05d}" for i in range(count)]
    return pa.table(
        {
            "action_code": codes,
            "day": [day] * count,
            "check_count": [i if i % 3 else None for i in range(count)],
            "level": [i % 4 for i in range(count)],
            "closed": [i % 2 == 0 for i in range(count)],
            "score": [i / 7 for i in range(count)],
            "fine": [decimal.Decimal(f"{i}.25") for i in range(count)],
            "wide_fine": [decimal.Decimal(f"{i}.0000000001") for i in range(count)],
            "decided_on": [dt.date(2026, 11, 1) + dt.timedelta(days=i % 5) for i in range(count)],
            "ingested_at": [dt.datetime(2026, 11, 2, 8, i % 60, tzinfo=dt.UTC) for i in range(count)],
            "tags": [["食品", code] if i % 2 else None for i, code in enumerate(codes)],
        },
        schema=SCHEMA,
    )


def described(frame: DataFrame) -> list[tuple[str, str, str | None]]:
    """Name, type and comment of every column."""
    return [(f.name, f.dataType.simpleString(), f.metadata.get("comment")) for f in frame.schema.fields]


def same_rows(left: DataFrame, right: DataFrame) -> bool:
    return left.exceptAll(right).count() == 0 and right.exceptAll(left).count() == 0


def through_delta(spark: SparkSession, path: Path, version: int | None = None) -> DataFrame:
    reader = spark.read.format("delta")
    return (reader.option("versionAsOf", version) if version is not None else reader).load(str(path))


@pytest.mark.parametrize("partition_by", [[], ["day"]], ids=["unpartitioned", "partitioned"])
def test_native_read_gives_the_snapshot_rows_and_columns(
    spark: SparkSession, tmp_path: Path, partition_by: list[str]
) -> None:
    path = tmp_path / "silver" / "actions"
    table = LakeTable.create(path, SCHEMA, partition_by=partition_by)
    table.append(rows(0, 40, "2026-11-02"))
    table.append(rows(40, 30, "2026-11-03"))
    # An overwrite leaves the replaced files in the folder until VACUUM: they must not be read.
    table.overwrite(pa.concat_tables([rows(100, 25, "2026-11-02"), rows(200, 35, "2026-11-04")]))
    table.append(rows(300, 10, "2026-11-04"))
    assert len(list(path.rglob("*.parquet"))) > len(table.files())

    scan = native_scan.plan_scan(str(path))
    assert scan.native and scan.version == table.version()
    native = native_scan.read_snapshot(spark, str(path))
    delta = through_delta(spark, path)
    assert described(native) == described(delta)
    assert described(native)[0] == ("action_code", "string", "行为编码 (the 'code')")
    assert native.count() == 70
    assert same_rows(native, delta)
    # Columns pruned and filters pushed: the plan is Spark's Parquet scan, not the Python source.
    pruned = native.where("day = '2026-11-04'").select("action_code")
    assert "FileScan parquet" in pruned._jdf.queryExecution().executedPlan().toString()
    assert pruned.count() == 45


def test_a_native_view_keeps_its_snapshot(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "gold" / "facts"
    table = LakeTable.create(path, SCHEMA)
    table.append(rows(0, 5, "2026-11-02"))
    native_scan.expose(spark, str(path), "native_scan_facts")
    table.append(rows(5, 7, "2026-11-03"))
    assert spark.table("global_temp.native_scan_facts").count() == 5
    native_scan.expose(spark, str(path), "native_scan_facts")
    assert spark.table("global_temp.native_scan_facts").count() == 12
    # An older version on request, equal to the delta source's time travel.
    first = native_scan.read_snapshot(spark, str(path), version=1)
    assert same_rows(first, through_delta(spark, path, version=1)) and first.count() == 5


def test_an_empty_table_reads_as_no_rows_with_its_columns(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "silver" / "empty"
    LakeTable.create(path, SCHEMA, partition_by=["day"])
    native = native_scan.read_snapshot(spark, str(path))
    assert described(native) == described(through_delta(spark, path)) and native.count() == 0


def test_a_null_partition_value_reads_through_the_delta_source(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "bronze" / "actions"
    table = LakeTable.create(path, SCHEMA, partition_by=["day"])
    table.append(pa.concat_tables([rows(0, 4, None), rows(4, 3, "2026-11-02")]))
    scan = native_scan.plan_scan(str(path))
    assert not scan.native and "partition values" in (scan.reason or "")
    native = native_scan.read_snapshot(spark, str(path))
    assert same_rows(native, through_delta(spark, path)) and native.where("day is null").count() == 4


def entry(log_path: str, **partition_values: str | None) -> FileEntry:
    return FileEntry(
        path=f"/t/{log_path}", size=1, partition_values=partition_values, num_records=1, log_path=log_path
    )


def test_only_plain_local_layouts_read_natively() -> None:
    reason = native_scan._unreadable_reason
    assert reason("/t", (), [entry("part-0.parquet")]) is None
    assert reason("/t", ("day",), [entry("day=2026-11-02/part-0.parquet", day="2026-11-02")]) is None
    assert "local" in (reason("s3://bucket/t", (), [entry("part-0.parquet")]) or "")
    assert "plain" in (reason("/t", (), [entry("part 0,1.parquet")]) or "")
    assert "plain" in (reason("/t", (), [entry("../other/part-0.parquet")]) or "")
    # an unpartitioned table's file in a folder that looks like a partition would gain a column in Spark
    assert reason("/t", (), [entry("day=2026-11-02/part-0.parquet")]) is not None
    assert reason("/t", ("day",), [entry("day=2026-11-03/part-0.parquet", day="2026-11-02")]) is not None


def test_delta_scan_hands_sql_a_parquet_path_that_reads_the_snapshot(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "gold" / "chain"
    table = LakeTable.create(path, SCHEMA)
    table.append(rows(0, 20, "2026-11-02"))
    table.overwrite(rows(50, 15, "2026-11-03"))
    table.append(rows(80, 6, "2026-11-03"))
    spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW chain_scan USING delta_scan OPTIONS (path '{path}')")
    scan = spark.table("chain_scan").collect()[0]
    assert scan["parquet_path"].startswith(f"{path}/{{") and scan["reason"] is None
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW chain_native ({scan['columns']}) "
        f"USING parquet OPTIONS (path '{scan['parquet_path']}')"
    )
    native = spark.table("chain_native")
    delta = through_delta(spark, path)
    assert described(native) == described(delta) and native.count() == 21 and same_rows(native, delta)

    partitioned = tmp_path / "bronze" / "chain"
    LakeTable.create(partitioned, SCHEMA, partition_by=["day"]).append(rows(0, 3, "2026-11-02"))
    spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW chain_scan USING delta_scan OPTIONS (path '{partitioned}')")
    scan = spark.table("chain_scan").collect()[0]
    assert scan["parquet_path"] is None and scan["reason"] == "partitioned" and scan["files"] == 1
    assert scan["bytes"] == sum(entry.size for entry in LakeTable(partitioned).files())


def test_the_rows_a_range_of_appends_inserted_equal_its_change_feed(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "bronze" / "deliveries"
    table = LakeTable.create(path, SCHEMA, partition_by=["day"])
    table.append(rows(0, 20, "2026-11-02"))  # version 1
    table.append(rows(20, 6, "2026-11-03"))
    table.append(rows(30, 4, "2026-11-03"))
    inserted = native_scan.read_inserts(spark, str(path), 2, 3)
    feed = (
        spark.read.format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", 2)
        .option("endingVersion", 3)
        .load(str(path))
        .drop("_change_type", "_commit_version", "_commit_timestamp")
    )
    assert "FileScan parquet" in inserted._jdf.queryExecution().executedPlan().toString()
    assert described(inserted) == described(feed) and inserted.count() == 10 and same_rows(inserted, feed)
    # A range that deleted rows is not a list of inserts.
    table.delete("action_code = 'A00021'")
    with pytest.raises(StorageError, match="otherwise than by inserting"):
        native_scan.plan_inserts(str(path), 2, table.version())
