"""Partition values: their string form in the Delta log, their typed form in data, their folder names.

Partition column values are not stored in the Parquet files of a Delta table; they live in each ``add`` action's
``partitionValues`` map as strings (serialised as the Delta protocol prescribes) and every reader re-creates the
columns from there. Folder names (``col=value/``) are only a convention, but the one delta-spark and delta-rs use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from jianguan.errors import StorageError

NULL_FOLDER = "__HIVE_DEFAULT_PARTITION__"
"""Folder name of a null partition value (the Hive convention both engines follow)."""


def _is_supported_partition_type(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_integer(data_type)
        or pa.types.is_date32(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_decimal(data_type)
        or pa.types.is_timestamp(data_type)
    )


def check_partition_columns(schema: pa.Schema, partition_by: list[str]) -> None:
    """Raise :class:`StorageError` for unknown partition columns or types without a partition encoding here."""
    for name in partition_by:
        if name not in schema.names:
            raise StorageError(f"partition column {name!r} is not a column of the table ({schema.names})")
        data_type = schema.field(name).type
        if not _is_supported_partition_type(data_type):
            raise StorageError(
                f"partition column {name!r} has type {data_type}, which cannot be a partition column"
            )


def serialize(value: Any) -> str | None:
    """The Delta log's string form of a typed partition value (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def typed_scalar(text: str | None, data_type: pa.DataType) -> pa.Scalar:
    """The typed value of a partition value's string form (timestamps without an offset are UTC)."""
    if text is None or (text == "" and not pa.types.is_string(data_type)):
        return pa.scalar(None, data_type)
    if pa.types.is_timestamp(data_type):
        cleaned = text.replace("T", " ").removesuffix("Z")
        naive = pa.array([cleaned]).cast(pa.timestamp(data_type.unit))
        return naive.cast(data_type)[0]
    return pa.array([text], pa.string()).cast(data_type)[0]


def folder_segment(column: str, text: str | None) -> str:
    """``column=value`` with the value percent-encoded (UTF-8) except for unreserved characters.

    This is what delta-rs does; it keeps folder names ASCII, and delta-rs resolves log paths back to exactly
    such names (it does not find files whose folder names hold spaces or non-ASCII characters).
    """
    if text is None:
        return f"{column}={NULL_FOLDER}"
    return f"{quote(column, safe='')}={quote(text, safe='')}"


def partition_folder(partition_by: list[str], values: Mapping[str, str | None]) -> str:
    """The relative folder of a partition (``a=1/b=x``); empty for an unpartitioned table."""
    return "/".join(folder_segment(name, values.get(name)) for name in partition_by)
