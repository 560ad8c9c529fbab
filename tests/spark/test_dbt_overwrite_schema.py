"""The connector option the dbt materializations rely on: ``overwriteSchema`` (+ ``tableName``/``description``).

``INSERT OVERWRITE`` into a view ``USING delta`` with ``overwriteSchema 'true'`` replaces schema, column comments,
name and description of the table in one ``CREATE OR REPLACE TABLE`` commit, and keeps the older versions.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession

from jianguan.lake import LakeTable

pytestmark = pytest.mark.spark


def sink(spark: SparkSession, path: Path, columns: str, extra: str = "") -> None:
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW dbt_sink ({columns}) USING delta "
        f"OPTIONS (path '{path}', overwriteSchema 'true', tableName 'dim_demo'{extra})"
    )


def test_overwrite_schema_replaces_columns_and_comments_in_one_commit(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "gold" / "dim_demo"
    table = LakeTable.create(path, pa.schema([pa.field("old_key", pa.int64())]))
    table.append(pa.table({"old_key": [1, 2, 3]}))

    sink(
        spark,
        path,
        "entity_key STRING, mentions BIGINT",
        ", description '监管对象维表', columnComments '{\"entity_key\": \"主体键\"}'",
    )
    spark.sql("INSERT OVERWRITE dbt_sink SELECT 'k1', 2L UNION ALL SELECT 'k2', 5L")

    delta = DeltaTable(str(path))
    assert delta.version() == 2
    assert delta.history(1)[0]["operation"] == "CREATE OR REPLACE TABLE"
    schema = pa.schema(delta.schema().to_arrow())
    assert schema.names == ["entity_key", "mentions"]
    assert schema.field("entity_key").metadata[b"comment"].decode() == "主体键"
    assert delta.metadata().name == "dim_demo" and delta.metadata().description == "监管对象维表"
    assert sorted(delta.to_pyarrow_table()["entity_key"].to_pylist()) == ["k1", "k2"]
    # history kept: the old schema and rows are still there, and the table properties survived
    assert DeltaTable(str(path), version=1).to_pyarrow_table().num_rows == 3
    assert LakeTable(path).properties()["delta.enableChangeDataFeed"] == "true"


def test_overwrite_schema_creates_a_new_table_and_refuses_partial_replacement(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "silver" / "fresh"
    sink(spark, path, "day STRING, n INT", ", partitionBy 'day'")
    spark.sql("INSERT OVERWRITE dbt_sink SELECT '2026-11-02', 1")
    table = LakeTable(path)
    assert table.version() == 0 and table.partition_columns() == ["day"]

    sink(
        spark, path, "day STRING, n INT", ", partitionBy 'day', replacePartitions '{\"day\": \"2026-11-02\"}'"
    )
    with pytest.raises(Exception, match="overwriteSchema replaces the whole table"):
        spark.sql("INSERT OVERWRITE dbt_sink SELECT '2026-11-02', 2")
    assert table.version() == 0
