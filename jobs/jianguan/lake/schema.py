"""Schemas between Arrow, Delta and Spark, and the schema check every write makes.

The Delta schema string is, by design of the protocol, the JSON form of a Spark ``StructType``; the conversions
therefore go through JSON and keep every field's metadata (``comment``, ``label_zh``, ``pii`` …), so the Chinese
column comments written from ``schemas/`` survive in the log and show up as Spark column comments.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
from deltalake import Schema as DeltaSchema

from jianguan.errors import StorageError

_CHAR_VARCHAR = re.compile(r"^(char|varchar)\(\d+\)$")


class SchemaMismatchError(StorageError):
    """Data written to a table does not have the table's columns and types."""


def delta_schema_from_arrow(schema: pa.Schema) -> DeltaSchema:
    """The Delta schema of an Arrow schema; field metadata (bytes in Arrow) is kept as strings."""
    return DeltaSchema.from_arrow(schema)


def arrow_schema(schema: DeltaSchema) -> pa.Schema:
    """The Arrow schema of a Delta schema (microsecond timestamps, UTC for ``timestamp``), metadata kept."""
    return pa.schema(schema.to_arrow())


def schema_json(schema: DeltaSchema) -> dict[str, Any]:
    """The Delta schema as a Spark ``StructType`` JSON object."""
    result: dict[str, Any] = json.loads(schema.to_json())
    return result


def delta_schema_from_spark_json(spark_json: str | Mapping[str, Any]) -> DeltaSchema:
    """The Delta schema of a Spark schema (``StructType.json()``).

    ``char(n)``/``varchar(n)`` become ``string`` (Delta has no length-limited strings); other types Delta does
    not know (intervals, ``void``) raise :class:`SchemaMismatchError` naming the column.
    """
    parsed = json.loads(spark_json) if isinstance(spark_json, str) else dict(spark_json)

    def fix(data_type: Any, column: str) -> Any:
        if isinstance(data_type, str):
            if _CHAR_VARCHAR.match(data_type):
                return "string"
            if data_type in ("void", "null") or "interval" in data_type:
                raise SchemaMismatchError(
                    f"column {column!r}: Spark type {data_type!r} cannot be stored in Delta"
                )
            return data_type
        if data_type.get("type") == "struct":
            return {**data_type, "fields": [fix_field(f, column) for f in data_type["fields"]]}
        if data_type.get("type") == "array":
            return {**data_type, "elementType": fix(data_type["elementType"], column)}
        if data_type.get("type") == "map":
            return {
                **data_type,
                "keyType": fix(data_type["keyType"], column),
                "valueType": fix(data_type["valueType"], column),
            }
        return data_type

    def fix_field(field: dict[str, Any], parent: str = "") -> dict[str, Any]:
        name = f"{parent}.{field['name']}" if parent else field["name"]
        metadata = {k: v for k, v in field.get("metadata", {}).items() if k != "__CHAR_VARCHAR_TYPE_STRING"}
        return {**field, "type": fix(field["type"], name), "metadata": metadata}

    fixed = {"type": "struct", "fields": [fix_field(f) for f in parsed["fields"]]}
    try:
        return DeltaSchema.from_json(json.dumps(fixed))
    except Exception as exc:  # deltalake raises plain exceptions for unknown types
        raise SchemaMismatchError(f"the Spark schema cannot be stored in Delta: {exc}") from exc


def _type_signature(data_type: Any) -> Any:
    """A type without nullability and metadata, for comparisons."""
    if isinstance(data_type, str):
        return data_type
    kind = data_type.get("type")
    if kind == "struct":
        return ("struct", tuple((f["name"], _type_signature(f["type"])) for f in data_type["fields"]))
    if kind == "array":
        return ("array", _type_signature(data_type["elementType"]))
    if kind == "map":
        return ("map", _type_signature(data_type["keyType"]), _type_signature(data_type["valueType"]))
    return json.dumps(data_type, sort_keys=True)


_INTEGER_WIDTH = {"byte": 1, "short": 2, "integer": 4, "long": 8}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def widens_to(incoming: Any, table: Any) -> bool:
    """Whether values of Delta type ``incoming`` convert to ``table`` without loss (int8→int64, decimal(3,2)→
    decimal(18,2), float→double); used by writers that cast Arrow data to the table's types."""
    if not isinstance(incoming, str) or not isinstance(table, str):
        return False
    if incoming in _INTEGER_WIDTH and table in _INTEGER_WIDTH:
        return _INTEGER_WIDTH[incoming] <= _INTEGER_WIDTH[table]
    if incoming == "float" and table == "double":
        return True
    small, large = _DECIMAL.match(incoming), _DECIMAL.match(table)
    if small and large:
        precision, scale = int(small[1]), int(small[2])
        to_precision, to_scale = int(large[1]), int(large[2])
        return to_scale >= scale and to_precision - to_scale >= precision - scale
    if incoming in _INTEGER_WIDTH and large:
        digits = {"byte": 3, "short": 5, "integer": 10, "long": 19}[incoming]
        return int(large[1]) - int(large[2]) >= digits
    return False


def _type_name(data_type: Any) -> str:
    return data_type if isinstance(data_type, str) else str(data_type.get("type"))


def schema_differences(
    table: Mapping[str, Any], incoming: Mapping[str, Any], *, allow_widening: bool = False
) -> list[str]:
    """Human-readable differences between a table's schema and incoming data's schema (both as JSON objects).

    Column order and nullability are not compared: writers reorder columns by name, and nulls in a
    ``NOT NULL`` column are checked on the data itself. With ``allow_widening`` lossless widenings
    (:func:`widens_to`) are accepted.
    """
    table_fields = {f["name"]: f for f in table["fields"]}
    incoming_fields = {f["name"]: f for f in incoming["fields"]}
    problems: list[str] = []
    missing = [name for name in table_fields if name not in incoming_fields]
    extra = [name for name in incoming_fields if name not in table_fields]
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"columns not in the table {extra}")
    for name, field in table_fields.items():
        other = incoming_fields.get(name)
        if other is None or _type_signature(field["type"]) == _type_signature(other["type"]):
            continue
        if not (allow_widening and widens_to(other["type"], field["type"])):
            problems.append(
                f"column {name!r} is {_type_name(other['type'])} but the table has {_type_name(field['type'])}"
            )
    return problems


def check_same_schema(
    where: str, table: Mapping[str, Any], incoming: Mapping[str, Any], *, allow_widening: bool = False
) -> None:
    """Raise :class:`SchemaMismatchError` listing every difference (see :func:`schema_differences`)."""
    problems = schema_differences(table, incoming, allow_widening=allow_widening)
    if problems:
        raise SchemaMismatchError(f"schema mismatch writing {where}: " + "; ".join(problems))


def strip_metadata(schema: pa.Schema) -> pa.Schema:
    """The same Arrow schema without schema- or field-level metadata (what data files and batches carry)."""
    return pa.schema([field.remove_metadata() for field in schema])
