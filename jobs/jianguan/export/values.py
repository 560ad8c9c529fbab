"""Typed values → the strings of the national layout, column at a time (pyarrow compute, no per-row Python).

Every national value is written as text: dates and timestamps with the field's ``date_format`` in Asia/Shanghai,
decimals with their scale (``12.50``), booleans as ``1``/``0``, empty values as null. The same rendering feeds
the content hashes of change detection, the 质检 and the writers, so what is checked is exactly what is sent.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.spec.model import ExportField
from jianguan.spec.types import TIMEZONE


def render(column: pa.Array | pa.ChunkedArray, spec: ExportField) -> pa.Array:
    """One source column rendered as the national field ``spec`` writes it (a string array, nulls kept)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.cast(array, pa.string())
        return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar(None, pa.string()), text)
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "1", "0")
    if pa.types.is_timestamp(kind):
        # whole seconds (strftime's %S prints microseconds otherwise), shown in Asia/Shanghai; a naive value is
        # already local wall time
        local = pc.cast(array, pa.timestamp("s", tz=TIMEZONE if kind.tz else None), safe=False)
        return pc.strftime(local, format=spec.date_format or "%Y-%m-%d %H:%M:%S")
    if pa.types.is_date(kind):
        return pc.strftime(pc.cast(array, pa.timestamp("s")), format=spec.date_format or "%Y-%m-%d")
    return pc.cast(array, pa.string())


def coalesce(primary: pa.Array, fallback: pa.Array | None) -> pa.Array:
    return primary if fallback is None else pc.coalesce(primary, fallback)
