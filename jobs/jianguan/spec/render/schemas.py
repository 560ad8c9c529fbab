"""Arrow and Spark schemas of bronze and quarantine tables, with Chinese comments as column metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from jianguan.spec.loader import Standard
from jianguan.spec.model import FieldSpec
from jianguan.spec.types import arrow_type, column_comment, spark_type

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

REJECTED_SUFFIX = "__rejected"


def _metadata(spec: FieldSpec) -> dict[str, str]:
    return {"comment": column_comment(spec), "label_zh": spec.label_zh, "pii": spec.pii}


def arrow_schema_of(fields: Sequence[FieldSpec]) -> pa.Schema:
    """Arrow schema; a required field is non-nullable (the row rules guarantee it before a write)."""
    return pa.schema(
        [pa.field(f.name, arrow_type(f.type), nullable=not f.required, metadata=_metadata(f)) for f in fields]
    )


def spark_schema_of(fields: Sequence[FieldSpec]) -> StructType:
    from pyspark.sql.types import StructField, StructType

    return StructType(
        [
            StructField(f.name, spark_type(f.type), nullable=not f.required, metadata=_metadata(f))
            for f in fields
        ]
    )


def bronze_arrow_schema(std: Standard, table: str) -> pa.Schema:
    return arrow_schema_of(std.bronze_fields(table))


def rejected_arrow_schema(std: Standard) -> pa.Schema:
    """Quarantine tables share one shape: lineage, raw payload as JSON strings, reasons."""
    return arrow_schema_of(std.lineage.rejected)


def bronze_spark_schema(std: Standard, table: str) -> StructType:
    return spark_schema_of(std.bronze_fields(table))
