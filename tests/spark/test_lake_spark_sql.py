"""Spark SQL over Delta tables through temporary views ``USING delta``."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable
from jianguan.spark import QUIET_JVM_LOGGERS

pytestmark = pytest.mark.spark

SCHEMA = pa.schema(
    [
        pa.field("item_code", pa.string(), nullable=False, metadata={"comment": "监管事项编码"}),
        pa.field("item_name", pa.string(), metadata={"comment": "监管事项名称"}),
        pa.field("level_code", pa.string()),
        pa.field("check_count", pa.int64()),
    ]
)


def seed(path: Path) -> LakeTable:
    table = LakeTable.create(path, SCHEMA, partition_by=["level_code"])
    table.append(
        pa.table(
            {
                "item_code": ["10000000000001", "10000000000002"],
                "item_name": ["食品生产监督检查", "药品经营监督检查"],
                "level_code": ["province", "city"],
                "check_count": [3, 5],
            },
            schema=SCHEMA,
        )
    )
    return table


def view(spark: SparkSession, name: str, path: Path, extra: str = "", columns: str = "") -> None:
    spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} {columns} USING delta OPTIONS (path '{path}'{extra})")


def codes(spark: SparkSession, sql: str) -> list[str]:
    return sorted(r[0] for r in spark.sql(sql).collect())


def test_select_insert_into_and_insert_overwrite_make_delta_commits(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "bronze" / "catalog__items"
    table = seed(path)
    view(spark, "items", path)
    assert codes(spark, "SELECT item_code FROM items WHERE level_code = 'city'") == ["10000000000002"]
    assert spark.table("items").schema["item_name"].metadata["comment"] == "监管事项名称"

    spark.sql("INSERT INTO items VALUES ('10000000000003', '特种设备检查', 'county', 1)")
    assert table.version() == 2 and table.history(1)[0].parameters["mode"] == "Append"
    # The view's snapshot was fixed when it was created: it does not see its own insert until recreated.
    assert spark.table("items").count() == 2
    view(spark, "items", path)
    assert spark.table("items").count() == 3
    assert sorted(table.read()["level_code"].to_pylist()) == ["city", "county", "province"]

    spark.sql("INSERT OVERWRITE items SELECT item_code, item_name, level_code, check_count * 10 FROM items")
    assert table.version() == 3 and table.history(1)[0].parameters["mode"] == "Overwrite"
    view(spark, "items", path)
    assert sorted(r.check_count for r in spark.table("items").collect()) == [10, 30, 50]


def test_view_with_a_column_list_creates_a_new_table(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "gold" / "rpt_regulator__item_counts"
    view(
        spark,
        "item_counts",
        path,
        extra=", partitionBy 'level_code'",
        columns="(level_code STRING, items BIGINT)",
    )
    source = tmp_path / "bronze" / "items"
    seed(source)
    view(spark, "src_items", source)
    spark.sql("INSERT OVERWRITE item_counts SELECT level_code, count(*) FROM src_items GROUP BY level_code")
    table = LakeTable(path)
    assert table.partition_columns() == ["level_code"]
    assert sorted(table.read()["level_code"].to_pylist()) == ["city", "province"]


def test_views_time_travel_and_global_views(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t"
    table = seed(path)
    table.delete("level_code = 'city'")
    view(spark, "items_v1", path, extra=", versionAsOf '1'")
    assert codes(spark, "SELECT item_code FROM items_v1") == ["10000000000001", "10000000000002"]
    spark.sql(f"CREATE OR REPLACE GLOBAL TEMPORARY VIEW items_now USING delta OPTIONS (path '{path}')")
    assert codes(spark, "SELECT item_code FROM global_temp.items_now") == ["10000000000001"]


def test_harmless_jvm_warnings_are_quiet(spark: SparkSession) -> None:
    jvm = spark._jvm  # type: ignore[attr-defined]
    loader = jvm.org.apache.spark.util.Utils.getContextOrSparkClassLoader()
    for name in QUIET_JVM_LOGGERS:
        jvm.java.lang.Class.forName(name, False, loader)  # a class renamed by a Spark upgrade would fail here
        assert str(jvm.org.apache.logging.log4j.LogManager.getLogger(name).getLevel()) == "ERROR"
