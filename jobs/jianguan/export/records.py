"""Source rows → national records: the layout's fields rendered as text, plus the record id and department.

A projected table has one string column per national field (layout order), then the bookkeeping columns
:data:`RECORD_ID`, :data:`DEPARTMENT` and :data:`CONTENT_SHA`. Only the layout's fields are ever projected:
token columns and personal fields the layout does not require cannot reach an export file.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.export.layouts import RECORD_ID_SEPARATOR, Dataset
from jianguan.export.values import coalesce, render
from jianguan.spec.model import ExportField

RECORD_ID = "_record_id"
DEPARTMENT = "_department"
CONTENT_SHA = "_content_sha256"
BOOKKEEPING = (RECORD_ID, DEPARTMENT, CONTENT_SHA)


def record_ids(dataset: Dataset, rows: pa.Table) -> pa.Array:
    """The record unique identity of each row: the record id field(s) as text, composite ones joined by ``|``."""
    parts: list[pa.Array] = []
    for name in dataset.key_fields:
        spec = dataset.table.field(name)
        date_format = "%Y-%m-%d" if spec.type == "date" else "%Y-%m-%d %H:%M:%S"
        parts.append(
            render(rows.column(name), ExportField(code=name, label_zh=spec.label_zh, date_format=date_format))
        )
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, RECORD_ID_SEPARATOR)


def content_hashes(columns: list[pa.Array]) -> pa.Array:
    """SHA-256 of each record's national values: equal hashes mean the national side sees no change.

    Values are joined with a unit separator, nulls written as NUL (rendering turns empty strings into nulls, so
    the two cannot be confused).
    """
    if not columns:
        return pa.array([], pa.string())
    joined = pc.binary_join_element_wise(*columns, "\x1f", null_handling="replace", null_replacement="\x00")
    return pa.array(
        [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in joined.to_pylist()], pa.string()
    )


def project(dataset: Dataset, rows: pa.Table) -> pa.Table:
    """National records of ``rows`` (source columns of :attr:`Dataset.read_columns`), in input order."""
    columns: list[pa.Array] = []
    for spec in dataset.layout.fields:
        primary = render(rows.column(spec.source_field), spec) if spec.source_field else None
        fallback = render(rows.column(spec.fallback), spec) if spec.fallback else None
        if primary is None:
            primary = pa.nulls(rows.num_rows, pa.string())
        columns.append(coalesce(primary, fallback))
    if dataset.has_department:
        department = render(rows.column("department_code"), dataset.layout.fields[0])
    else:
        department = pa.nulls(rows.num_rows, pa.string())
    names = [f.code for f in dataset.layout.fields]
    return pa.table(
        [*columns, record_ids(dataset, rows), department, content_hashes(columns)],
        names=[*names, *BOOKKEEPING],
    )


def empty(dataset: Dataset) -> pa.Table:
    names = [f.code for f in dataset.layout.fields]
    return pa.table({n: pa.array([], pa.string()) for n in [*names, *BOOKKEEPING]})
