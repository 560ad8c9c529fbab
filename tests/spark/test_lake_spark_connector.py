"""The ``delta`` format in Spark through the Python data source: reads, writes, time travel, faults."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, TableFeatures
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jianguan.lake import LakeTable

pytestmark = pytest.mark.spark

SCHEMA = pa.schema(
    [
        pa.field(
            "case_id", pa.int64(), nullable=False, metadata={"comment": "案件编号", "label_zh": "案件编号"}
        ),
        pa.field("region_code", pa.string(), nullable=False),
        pa.field("party_name", pa.string(), metadata={"label_zh": "当事人名称"}),
        pa.field("fine_amount", pa.decimal128(18, 2)),
        pa.field("decided_date", pa.date32()),
        pa.field("decided_at", pa.timestamp("us", tz="UTC")),
        pa.field("is_closed", pa.bool_()),
        pa.field("risk_score", pa.float64()),
    ]
)
REGIONS = ["420100", "420200", "420500"]


def arrow_rows(ids: range, *, region: str | None = None) -> pa.Table:
    return pa.table(
        {
            "case_id": list(ids),
            "region_code": [region or REGIONS[i % 3] for i in ids],
            "party_name": [None if i % 5 == 0 else f"湖北某某{i}有限公司" for i in ids],
            "fine_amount": [Decimal(i) / 4 for i in ids],
            "decided_date": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 10) for i in ids],
            "decided_at": [
                dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(seconds=i, microseconds=i)
                for i in ids
            ],
            "is_closed": [i % 2 == 0 for i in ids],
            "risk_score": [i / 3 for i in ids],
        },
        schema=SCHEMA,
    )


def spark_rows(spark: SparkSession, ids: range) -> DataFrame:
    """The same rows as :func:`arrow_rows`, built in Spark."""
    return spark.createDataFrame(arrow_rows(ids).to_pandas()).select(
        F.col("case_id").cast("bigint"),
        "region_code",
        "party_name",
        F.col("fine_amount").cast("decimal(18,2)"),
        F.col("decided_date").cast("date"),
        F.col("decided_at").cast("timestamp"),
        "is_closed",
        "risk_score",
    )


def read(spark: SparkSession, path: Path, **options: Any) -> DataFrame:
    reader = spark.read.format("delta")
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load(str(path))


def from_delta_rs(spark: SparkSession, path: Path) -> DataFrame:
    """The table as delta-rs reads it, turned into a Spark DataFrame."""
    return spark.createDataFrame(DeltaTable(str(path)).to_pyarrow_table())


def test_table_written_by_delta_rs_reads_identically_in_spark(spark: SparkSession, tmp_path: Path) -> None:
    table = LakeTable.create(tmp_path / "bronze" / "cases", SCHEMA, partition_by=["region_code"])
    table.append(arrow_rows(range(0, 40)))
    table.append(arrow_rows(range(40, 50)))
    df = read(spark, tmp_path / "bronze" / "cases")
    assertDataFrameEqual(df, from_delta_rs(spark, tmp_path / "bronze" / "cases"))
    # Declared types, nullability and the Chinese comments come from the Delta schema.
    fields = {f.name: f for f in df.schema.fields}
    assert fields["case_id"].dataType.simpleString() == "bigint" and not fields["case_id"].nullable
    assert fields["fine_amount"].dataType.simpleString() == "decimal(18,2)"
    assert fields["decided_at"].dataType.simpleString() == "timestamp"
    assert fields["case_id"].metadata["comment"] == "案件编号"
    assert df.where("region_code = '420200'").count() == len([i for i in range(50) if i % 3 == 1])
    assert df.count() == 50


def test_table_written_by_spark_reads_identically_with_delta_rs(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "silver" / "cases"
    source = spark_rows(spark, range(100)).repartition(3)
    source.write.format("delta").option("partitionBy", "region_code").mode("append").save(str(path))
    assertDataFrameEqual(from_delta_rs(spark, path), source)
    assertDataFrameEqual(read(spark, path), source)
    table = LakeTable(path)
    assert table.partition_columns() == ["region_code"]
    assert table.version() == 0 and table.history()[0].operation == "CREATE TABLE"
    assert table.count() == 100  # from the statistics the tasks wrote
    spark_rows(spark, range(100, 110)).write.format("delta").mode("append").save(str(path))
    assert table.version() == 1 and table.count() == 110


def test_read_after_overwrite_returns_only_the_new_data(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    spark_rows(spark, range(20)).write.format("delta").mode("append").save(str(path))
    spark_rows(spark, range(100, 105)).write.format("delta").mode("overwrite").save(str(path))
    assert sorted(r.case_id for r in read(spark, path).select("case_id").collect()) == list(range(100, 105))
    LakeTable(path).overwrite(arrow_rows(range(200, 202)))  # and after an overwrite by delta-rs
    assert sorted(r.case_id for r in read(spark, path).select("case_id").collect()) == [200, 201]


def test_partition_values_and_partition_pruning(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = LakeTable.create(path, SCHEMA, partition_by=["region_code", "decided_date"])
    table.append(arrow_rows(range(30)))
    df = read(spark, path)
    assertDataFrameEqual(
        df.groupBy("region_code").count(),
        spark.createDataFrame([(r, 10) for r in REGIONS], "region_code string, count bigint"),
    )
    all_files = df.rdd.getNumPartitions()
    assert all_files == len(table.files()) == 30
    pruned = read(spark, path, partitionFilter="region_code = '420100' AND decided_date >= '2024-01-05'")
    expected = [i for i in range(30) if i % 3 == 0 and i % 10 >= 4]
    assert pruned.rdd.getNumPartitions() == len(expected) == 6  # one file per (region, day) here
    assert sorted(r.case_id for r in pruned.select("case_id").collect()) == expected
    with pytest.raises(Exception, match="not partition columns"):
        read(spark, path, partitionFilter="case_id = 1").count()


def test_filtered_then_unfiltered_queries_on_one_dataframe(spark: SparkSession, tmp_path: Path) -> None:
    """Spark caches a Python source's planned partitions per relation; no pruned plan may be reused."""
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA, partition_by=["region_code"]).append(arrow_rows(range(30)))
    df = read(spark, path)
    assert df.where("region_code = '420100'").count() == 10
    assert df.count() == 30
    assert df.where("case_id + 1 > 20").count() == 10


def test_time_travel_by_version_and_timestamp(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = LakeTable.create(path, SCHEMA)
    table.append(arrow_rows(range(3)))
    table.append(arrow_rows(range(3, 5)))
    table.delete("case_id < 2")
    assert read(spark, path, versionAsOf=1).count() == 3
    assert read(spark, path, versionAsOf=2).count() == 5
    assert read(spark, path).count() == 3
    committed = {c.version: c.timestamp for c in table.history()}
    at = committed[2].astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
    assert read(spark, path, timestampAsOf=at).count() == 5
    naive_shanghai = (
        committed[1].astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None).isoformat()
    )
    assert read(spark, path, timestampAsOf=naive_shanghai).count() == 3


def test_a_repeated_idempotent_write_is_a_no_op(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    df = spark_rows(spark, range(10))
    for _ in range(2):
        df.write.format("delta").option("txnAppId", "export__national").option("txnVersion", "20240102").mode(
            "append"
        ).save(str(path))
    assert LakeTable(path).version() == 0 and read(spark, path).count() == 10
    assert not [
        p for p in path.rglob("*.parquet") if Path(p) not in {Path(f.path) for f in LakeTable(path).files()}
    ]
    df.write.format("delta").option("txnAppId", "export__national").option("txnVersion", "20240103").mode(
        "append"
    ).save(str(path))
    assert read(spark, path).count() == 20


def test_schema_mismatch_gives_a_clear_error(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA).append(arrow_rows(range(3)))
    wrong = (
        spark_rows(spark, range(3))
        .drop("risk_score")
        .withColumn("fine_amount", F.col("fine_amount").cast("string"))
    )
    with pytest.raises(
        Exception,
        match=r"missing columns \['risk_score'\].*'fine_amount' is string but the table has decimal",
    ):
        wrong.write.format("delta").mode("append").save(str(path))
    # Widening is accepted and cast: an int case_id goes into the bigint column.
    spark_rows(spark, range(3, 4)).withColumn("case_id", F.col("case_id").cast("int")).write.format(
        "delta"
    ).mode("append").save(str(path))
    assert LakeTable(path).version() == 2 and read(spark, path).count() == 4


def test_null_in_a_not_null_column_fails_the_write(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA).append(arrow_rows(range(3)))
    with_null = spark_rows(spark, range(3)).withColumn("region_code", F.lit(None).cast("string"))
    with pytest.raises(Exception, match="'region_code' is NOT NULL"):
        with_null.write.format("delta").mode("append").save(str(path))
    assert LakeTable(path).version() == 1
    assert len(list(path.glob("*.parquet"))) == 1  # the failed job's files are gone


@pytest.mark.parametrize("feature", [TableFeatures.DeletionVectors, TableFeatures.ColumnMapping])
def test_unsupported_protocol_features_are_refused(
    spark: SparkSession, tmp_path: Path, feature: TableFeatures
) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA).append(arrow_rows(range(3)))
    DeltaTable(str(path)).alter.add_feature(feature, allow_protocol_versions_increase=True)
    with pytest.raises(Exception, match="does not implement"):
        read(spark, path).count()
    with pytest.raises(Exception, match="does not implement"):
        spark_rows(spark, range(3)).write.format("delta").mode("append").save(str(path))


def test_failed_job_leaves_no_commit_and_no_files(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA).append(arrow_rows(range(3)))
    before = set(path.rglob("*.parquet"))
    ours = f"{path}/part-{'?' * 32}-*.parquet"  # files of connector jobs: part-<job id>-<uuid>

    @F.udf("bigint")
    def fail_in_last_task(case_id):  # type: ignore[no-untyped-def]  (hints would make Spark guess a UDF kind)
        if case_id == 399:  # the last of 4 tasks: wait until the 3 others have written their files, then fail
            import glob
            import time

            deadline = time.monotonic() + 30
            while len(glob.glob(ours)) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            raise ValueError(f"simulated task failure after {len(glob.glob(ours))} files")
        return case_id

    df = spark.range(0, 400, 1, 4).select(
        fail_in_last_task("id").alias("case_id"),
        F.lit("420100").alias("region_code"),
        F.lit("某某").alias("party_name"),
        F.lit(1).cast("decimal(18,2)").alias("fine_amount"),
        F.lit(dt.date(2024, 1, 1)).alias("decided_date"),
        F.lit(dt.datetime(2024, 1, 1, 8)).alias("decided_at"),
        F.lit(True).alias("is_closed"),
        F.lit(0.5).alias("risk_score"),
    )
    with pytest.raises(Exception, match="simulated task failure after 3 files"):
        df.write.format("delta").mode("append").save(str(path))
    assert LakeTable(path).version() == 1
    assert set(path.rglob("*.parquet")) == before


def test_spark_and_delta_rs_writers_appending_concurrently_lose_nothing(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA)
    errors: list[BaseException] = []

    def delta_rs_writer() -> None:
        try:
            for i in range(10):
                LakeTable(path).append(arrow_rows(range(1000 + i * 10, 1010 + i * 10)))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=delta_rs_writer)
    thread.start()
    for i in range(3):
        spark_rows(spark, range(i * 100, i * 100 + 100)).write.format("delta").mode("append").save(str(path))
    thread.join(timeout=120)
    assert not errors
    ids = sorted(r.case_id for r in read(spark, path).select("case_id").collect())
    assert ids == sorted([*range(300), *range(1000, 1100)])
    assert LakeTable(path).version() == 13


def test_column_pruning_by_option_or_user_schema(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA, partition_by=["region_code"]).append(arrow_rows(range(6)))
    narrow = read(spark, path, columns="case_id,region_code")
    assert narrow.columns == ["case_id", "region_code"]
    assert sorted(tuple(r) for r in narrow.collect()) == [(i, REGIONS[i % 3]) for i in range(6)]
    by_schema = spark.read.format("delta").schema("party_name string").load(str(path))
    assert sorted(r.party_name or "" for r in by_schema.collect())[-1] == "湖北某某4有限公司"


def test_replace_one_partition(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA, partition_by=["region_code"]).append(arrow_rows(range(30)))
    new = spark_rows(spark, range(500, 502)).withColumn("region_code", F.lit("420200"))
    new.write.format("delta").mode("overwrite").option("replacePartitions", '{"region_code": "420200"}').save(
        str(path)
    )
    counts = {r.region_code: r["count"] for r in read(spark, path).groupBy("region_code").count().collect()}
    assert counts == {"420100": 10, "420200": 2, "420500": 10}
    with pytest.raises(Exception, match="outside the replaced partition"):
        spark_rows(spark, range(3)).write.format("delta").mode("overwrite").option(
            "replacePartitions", '{"region_code": "420200"}'
        ).save(str(path))


def test_replace_files_rewrites_only_the_named_files(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = LakeTable.create(path, SCHEMA)
    table.append(arrow_rows(range(0, 10)))
    (first,) = table.files()  # cases 0-9
    table.append(arrow_rows(range(10, 20)))
    (second,) = [e for e in table.files() if e.path != first.path]  # cases 10-19
    # the copy-on-write merge of case 3: the rows of its file, changed, replace that file (named as Spark's
    # input_file_name() names it)
    rows_of_3 = (
        read(spark, path)
        .where("case_id < 10")
        .withColumn("party_name", F.when(F.col("case_id") == 3, F.lit("改")).otherwise(F.col("party_name")))
    )
    named = [f"file://{first.path}"]
    rows_of_3.write.format("delta").mode("append").option("replaceFiles", json.dumps(named)).save(str(path))
    after = {e.path for e in table.files()}
    assert first.path not in after and second.path in after and len(after) == 2
    assert table.count() == 20
    changed = {r.case_id: r.party_name for r in read(spark, path).collect()}
    assert len(changed) == 20 and changed[3] == "改" and changed[13] == "湖北某某13有限公司"
    # A file that is no longer in the table (another writer replaced it): nothing is committed.
    version = table.version()
    with pytest.raises(Exception, match="no longer in the table"):
        spark_rows(spark, range(31, 32)).write.format("delta").mode("append").option(
            "replaceFiles", json.dumps([first.path])
        ).save(str(path))
    assert table.version() == version and table.count() == 20
    with pytest.raises(Exception, match="replaceFiles goes with an append"):
        spark_rows(spark, range(31, 32)).write.format("delta").mode("overwrite").option(
            "replaceFiles", json.dumps([second.path])
        ).save(str(path))
    with pytest.raises(Exception, match="is not a file of"):
        spark_rows(spark, range(31, 32)).write.format("delta").mode("append").option(
            "replaceFiles", json.dumps([str(tmp_path / "elsewhere.parquet")])
        ).save(str(path))


def test_empty_dataframe_creates_an_empty_table(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    spark_rows(spark, range(3)).limit(0).write.format("delta").mode("append").save(str(path))
    assert LakeTable(path).version() == 0
    assert read(spark, path).count() == 0
    assert read(spark, path).columns == SCHEMA.names


def changed_rows(frame: DataFrame) -> list[tuple[int, str, int, Any]]:
    """(version, change type, case id, party name) of change rows, sorted."""
    rows = frame.select("_commit_version", "_change_type", "case_id", "party_name").collect()
    return sorted((r[0], r[1], r[2], r[3] or "") for r in rows)


@pytest.mark.parametrize("feed", ["true", "false"])
def test_change_feed_reads_the_rows_each_commit_changed(
    spark: SparkSession, tmp_path: Path, feed: str
) -> None:
    """Spark's change-feed read gives exactly the rows ``LakeTable.changes`` gives, with or without the feed."""
    path = tmp_path / "t"
    table = LakeTable.create(
        path, SCHEMA, partition_by=["region_code"], properties={"delta.enableChangeDataFeed": feed}
    )
    table.append(arrow_rows(range(6)))  # v1
    renamed = arrow_rows(range(4, 8)).set_column(2, "party_name", pa.array(["改名"] * 4, pa.string()))
    table.merge(renamed, ["case_id"])  # v2: 4, 5 updated, 6, 7 inserted
    table.delete("case_id = 0")  # v3
    table.optimize()  # v4: files rearranged, no row changed
    table.replace_where(arrow_rows(range(100, 101), region="420100"), "region_code = '420100'")  # v5

    changes = read(spark, path, readChangeFeed="true", startingVersion=2)
    assert changes.columns == [*SCHEMA.names, "_change_type", "_commit_version", "_commit_timestamp"]
    expected = spark.createDataFrame(table.changes(2))
    assert changed_rows(changes) == changed_rows(expected)
    assertDataFrameEqual(changes, expected)
    seen = changed_rows(changes)
    assert not [row for row in seen if row[0] == 4]  # OPTIMIZE changed nothing
    assert (5, "insert", 100, "") in seen  # case 100 has no party name (every fifth)
    if feed == "true":  # the merge's change data files: pre- and post-images of exactly the changed rows
        assert [row for row in seen if row[0] == 2] == [
            (2, "insert", 6, "改名"),
            (2, "insert", 7, "改名"),
            (2, "update_postimage", 4, "改名"),
            (2, "update_postimage", 5, "改名"),
            (2, "update_preimage", 4, "湖北某某4有限公司"),
            (2, "update_preimage", 5, ""),
        ]
    only_merge = read(spark, path, readChangeFeed="true", startingVersion=2, endingVersion=2)
    assert {r[0] for r in changed_rows(only_merge)} == {2}
    narrow = read(spark, path, readChangeFeed="true", startingVersion=3, columns="case_id")
    assert narrow.columns == ["case_id", "_change_type", "_commit_version", "_commit_timestamp"]
    at_delete = narrow.where("_commit_version = 3").collect()
    deleted = {r.case_id for r in at_delete if r._change_type == "delete"}
    inserted = {r.case_id for r in at_delete if r._change_type == "insert"}
    # with the feed exactly the deleted row; without it the rewritten file's rows go out and the kept ones back in
    assert deleted - inserted == {0} and (feed == "false" or not inserted)
    commits = {c.version: c.timestamp for c in table.history()}
    stamps = {r[0]: r[1] for r in changes.select("_commit_version", "_commit_timestamp").distinct().collect()}
    assert stamps[5].timestamp() == pytest.approx(commits[5].timestamp(), abs=0.001)


def test_change_feed_options_are_checked(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    LakeTable.create(path, SCHEMA).append(arrow_rows(range(3)))
    with pytest.raises(Exception, match="needs startingVersion"):
        read(spark, path, readChangeFeed="true").count()
    with pytest.raises(Exception, match="after the latest version"):
        read(spark, path, readChangeFeed="true", startingVersion=5).count()
    with pytest.raises(Exception, match="not versionAsOf"):
        read(spark, path, readChangeFeed="true", startingVersion=1, versionAsOf=1).count()
    assert read(spark, path, readChangeFeed="true", startingVersion=0).count() == 3
