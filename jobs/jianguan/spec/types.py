"""The schema type names and their Arrow and Spark renderings — the only place the mapping is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from jianguan.spec.model import DECIMAL_TYPE, FieldSpec

if TYPE_CHECKING:
    from pyspark.sql.types import DataType

TIMEZONE = "Asia/Shanghai"
"""Timestamps are stored as UTC instants; Spark's session time zone and all rendering use Asia/Shanghai."""


def arrow_type(type_name: str) -> pa.DataType:
    simple: dict[str, pa.DataType] = {
        "string": pa.string(),
        "integer": pa.int32(),
        "long": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        # Delta's `timestamp` type is an instant in microseconds, adjusted to UTC.
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    if type_name in simple:
        return simple[type_name]
    match = DECIMAL_TYPE.match(type_name)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"unknown schema type {type_name!r}")


def spark_type(type_name: str) -> DataType:
    from pyspark.sql import types as T

    simple: dict[str, DataType] = {
        "string": T.StringType(),
        "integer": T.IntegerType(),
        "long": T.LongType(),
        "double": T.DoubleType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
        "timestamp": T.TimestampType(),
    }
    if type_name in simple:
        return simple[type_name]
    match = DECIMAL_TYPE.match(type_name)
    if match:
        return T.DecimalType(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"unknown schema type {type_name!r}")


def sql_type(type_name: str) -> str:
    """Spark SQL type name (for dbt casts and DDL)."""
    names = {"integer": "int", "long": "bigint"}
    return names.get(type_name, type_name)


def column_comment(spec: FieldSpec) -> str:
    """The comment carried by a column: Chinese label first (what analysts search for), then the description."""
    return f"{spec.label_zh}：{spec.description}"
