"""Schema conversions and checks, and which Delta protocol features are accepted."""

from __future__ import annotations

import json

import pytest
from pyspark.sql.types import (
    DecimalType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
    VarcharType,
)

from jianguan.errors import StorageError
from jianguan.lake import protocol
from jianguan.lake.schema import (
    SchemaMismatchError,
    delta_schema_from_spark_json,
    schema_differences,
    schema_json,
    widens_to,
)


def test_spark_schema_round_trips_through_delta_with_comments() -> None:
    spark = StructType(
        [
            StructField("entity_id", LongType(), False, {"comment": "主体编号", "label_zh": "主体编号"}),
            StructField("amount", DecimalType(18, 2)),
            StructField("checked_at", TimestampType()),
        ]
    )
    delta = delta_schema_from_spark_json(spark.json())
    assert StructType.fromJson(schema_json(delta)) == spark


def test_varchar_becomes_string_and_unknown_types_are_refused() -> None:
    spark = StructType([StructField("code", VarcharType(10))])
    assert schema_json(delta_schema_from_spark_json(spark.json()))["fields"][0]["type"] == "string"
    interval = {
        "type": "struct",
        "fields": [{"name": "x", "type": "interval day", "nullable": True, "metadata": {}}],
    }
    with pytest.raises(SchemaMismatchError, match="'x'"):
        delta_schema_from_spark_json(json.dumps(interval))


def test_differences_name_every_column() -> None:
    table = StructType(
        [StructField("a", LongType()), StructField("b", StringType()), StructField("c", LongType())]
    )
    incoming = StructType(
        [StructField("a", StringType()), StructField("c", LongType()), StructField("d", LongType())]
    )
    problems = schema_differences(json.loads(table.json()), json.loads(incoming.json()))
    assert problems == [
        "missing columns ['b']",
        "columns not in the table ['d']",
        "column 'a' is string but the table has long",
    ]


@pytest.mark.parametrize(
    ("incoming", "table", "ok"),
    [
        ("integer", "long", True),
        ("long", "integer", False),
        ("decimal(3,2)", "decimal(18,2)", True),
        ("decimal(18,2)", "decimal(18,4)", False),
        ("decimal(10,2)", "decimal(12,4)", True),
        ("float", "double", True),
        ("integer", "decimal(12,2)", True),
        ("long", "decimal(18,0)", False),
        ("string", "long", False),
    ],
)
def test_widening(incoming: str, table: str, ok: bool) -> None:
    assert widens_to(incoming, table) is ok


def test_protocol_checks() -> None:
    protocol.check_readable("t", 1, None, {})
    protocol.check_readable("t", 3, ["timestampNtz"], {})
    with pytest.raises(StorageError, match="deletionVectors"):
        protocol.check_readable("t", 3, ["deletionVectors"], {})
    with pytest.raises(StorageError, match="columnMapping"):
        protocol.check_readable("t", 2, None, {"delta.columnMapping.mode": "name"})
    with pytest.raises(StorageError, match="newer than supported"):
        protocol.check_readable("t", 4, None, {})
    fields = {"fields": [{"name": "a", "metadata": {"delta.generationExpression": "b + 1"}}]}
    protocol.check_writable("t", 4, None, {"delta.enableChangeDataFeed": "true"}, {"fields": []})
    with pytest.raises(StorageError, match="generatedColumns"):
        protocol.check_writable("t", 4, None, {}, fields)
    with pytest.raises(StorageError, match="checkConstraints"):
        protocol.check_writable("t", 3, None, {"delta.constraints.positive": "a > 0"}, {"fields": []})
    with pytest.raises(StorageError, match="deletionVectors"):
        protocol.check_writable("t", 7, ["deletionVectors"], {}, {"fields": []})
