"""Ingest one landed file: read → row rules → personal data protected → bronze + quarantine, all accounted for.

Row accounting per file: ``rows_read = rows_loaded + rows_rejected + rows_held``. ``rows_held`` is non-zero only
when the batch failed its reject-ratio gate: the good rows are then not published (the file stays in landing
and the department resends), while the rejected rows still land in quarantine so the clerks see why.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa

from jianguan.errors import SourceFileError
from jianguan.ingest.discovery import LandedFile, batch_id, content_hash
from jianguan.ingest.personal_data import protect_columns, protect_payload
from jianguan.ingest.prefetch import map_ahead, prefetch
from jianguan.ingest.readers import BadRecord, FeedFileReader, RawBatch
from jianguan.rules.context import table_validator
from jianguan.rules.engine import BatchResult
from jianguan.spec.loader import Standard
from jianguan.spec.model import TableSpec
from jianguan.spec.render.schemas import bronze_arrow_schema, rejected_arrow_schema

log = logging.getLogger(__name__)

UNPARSEABLE_RULE = "record_unparseable"


class BatchSink(Protocol):
    """Where one batch's rows go: staged while the file is read, published in one commit, or discarded."""

    def write(self, rows: pa.Table) -> None: ...

    def commit(self) -> int | None:
        """Publish everything written (replacing an earlier commit of the same batch); return the version."""
        ...

    def abort(self) -> None:
        """Discard everything written; the table stays at its last committed version."""
        ...


class SinkFactory(Protocol):
    def bronze(self, table: str, batch_id: str, schema: pa.Schema, logical_date: date) -> BatchSink: ...

    def rejected(self, table: str, batch_id: str, schema: pa.Schema, logical_date: date) -> BatchSink: ...


@dataclass
class FileOutcome:
    """One line of the ingestion log."""

    batch_id: str
    source: str
    feed: str | None
    table: str | None
    source_file: str
    logical_date: date
    content_hash: str
    status: str  # loaded | quarantined_file | failed_gate
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_held: int = 0
    rows_warned: int = 0
    reject_ratio: float = 0.0
    reason_rule_id: str | None = None
    reason_zh: str | None = None
    notes: list[str] = field(default_factory=list)
    rule_counts: dict[str, int] = field(default_factory=dict)
    bronze_version: int | None = None
    rejected_version: int | None = None
    gate_success: bool | None = None
    gate_report: str | None = None
    profile: str | None = None
    duration_seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_rejected + self.rows_held

    def as_record(self) -> dict[str, object]:
        record = asdict(self)
        record["notes"] = json.dumps(self.notes, ensure_ascii=False)
        record["rule_counts"] = json.dumps(self.rule_counts, ensure_ascii=False, sort_keys=True)
        return record


@dataclass(frozen=True)
class IngestContext:
    std: Standard
    landing_root: Path
    secret: str
    ingested_at: datetime
    sinks: SinkFactory
    scratch_dir: Path | None = None
    """Where a very large file's duplicate index spills (under the lakehouse root: on its disk, not in RAM)."""


def ingest_file(landed: LandedFile, ctx: IngestContext, *, sha256: str | None = None) -> FileOutcome:
    """Ingest one landed file (``sha256``: its content hash when the caller has already computed it)."""
    started = time.monotonic()
    sha256 = sha256 or content_hash(landed.path)
    relative = landed.relative_to(ctx.landing_root)
    feed = landed.feed
    outcome = FileOutcome(
        batch_id=batch_id(
            feed.name if feed else "unrecognised", landed.logical_date, landed.path.name, sha256
        ),
        source=landed.source,
        feed=feed.name if feed else None,
        table=feed.table if feed else None,
        source_file=relative,
        logical_date=landed.logical_date,
        content_hash=sha256,
        status="loaded",
    )
    if feed is None:
        outcome.status = "quarantined_file"
        outcome.reason_rule_id, outcome.reason_zh = "file_unrecognised", "文件名不符合任何约定的数据接口"
        return _finish(outcome, started)
    table = ctx.std.table(feed.table)
    day = landed.logical_date
    bronze = ctx.sinks.bronze(table.name, outcome.batch_id, bronze_arrow_schema(ctx.std, table.name), day)
    rejected = ctx.sinks.rejected(table.name, outcome.batch_id, rejected_arrow_schema(ctx.std), day)
    try:
        _stream(landed, table, ctx, outcome, bronze, rejected)
    except SourceFileError as exc:
        bronze.abort()
        rejected.abort()
        outcome.status = "quarantined_file"
        outcome.reason_rule_id, outcome.reason_zh = exc.rule_id, exc.reason
        outcome.rows_read = outcome.rows_loaded = outcome.rows_rejected = outcome.rows_warned = 0
        outcome.rule_counts = {}
        return _finish(outcome, started)
    except BaseException:
        bronze.abort()
        rejected.abort()
        raise
    outcome.reject_ratio = outcome.rows_rejected / outcome.rows_read if outcome.rows_read else 0.0
    if outcome.reject_ratio > feed.reject_threshold and outcome.rows_read >= feed.reject_gate_min_rows:
        bronze.abort()
        outcome.status = "failed_gate"
        outcome.rows_held, outcome.rows_loaded = outcome.rows_loaded, 0
        outcome.reason_rule_id = "reject_ratio"
        outcome.reason_zh = f"拒收比例{outcome.reject_ratio:.1%}超过阈值{feed.reject_threshold:.0%}"
    else:
        outcome.bronze_version = bronze.commit()
    outcome.rejected_version = rejected.commit()
    return _finish(outcome, started)


def _finish(outcome: FileOutcome, started: float) -> FileOutcome:
    outcome.duration_seconds = round(time.monotonic() - started, 3)
    log.info(
        "file %s: %s read=%d loaded=%d rejected=%d held=%d in %.2fs",
        outcome.source_file, outcome.status, outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected,
        outcome.rows_held, outcome.duration_seconds,
    )  # fmt: skip
    return outcome


def _stream(
    landed: LandedFile,
    table: TableSpec,
    ctx: IngestContext,
    outcome: FileOutcome,
    bronze: BatchSink,
    rejected: BatchSink,
) -> None:
    assert landed.feed is not None
    required = {f.name for f in table.fields if f.required}
    reader = FeedFileReader(landed.path, landed.feed, required)
    validator = table_validator(ctx.std, table.name, today=landed.logical_date, spill_dir=ctx.scratch_dir)
    validator.start_file()
    try:
        bronze_schema = bronze_arrow_schema(ctx.std, table.name)
        rejected_schema = rejected_arrow_schema(ctx.std)

        def check(raw: RawBatch) -> tuple[RawBatch, BatchResult | None, pa.Table | None]:
            """The per-row work, which keeps no state: runs for the next batches while this one is written."""
            if not raw.table.num_rows:
                return raw, None, None
            result = validator.check_rows(raw.table)
            return raw, result, _protected_rows(ctx, table, result)

        batches = prefetch(reader.batches(), name=f"read {landed.path.name}")
        for raw, result, protected in map_ahead(check, batches):
            outcome.rows_read += raw.table.num_rows + len(raw.bad_records)
            if result is not None and protected is not None:
                validator.flag_duplicates(result)  # in file order: a repeat is judged against earlier rows
                good = ~result.error_mask
                bronze_rows = _bronze_rows(ctx, outcome, raw, result, protected, good, bronze_schema)
                bronze.write(bronze_rows)
                outcome.rows_loaded += bronze_rows.num_rows
                outcome.rows_warned += int((result.warn_mask & good).sum())
                for key, count in result.rule_counts().items():
                    outcome.rule_counts[key] = outcome.rule_counts.get(key, 0) + count
                rejected_rows = _rejected_rows(ctx, table, outcome, raw, result, rejected_schema)
            else:
                rejected_rows = None
            unparseable = _unparseable_rows(ctx, outcome, raw.bad_records, rejected_schema)
            for rows in (rejected_rows, unparseable):
                if rows is not None and rows.num_rows:
                    rejected.write(rows)
                    outcome.rows_rejected += rows.num_rows
            if raw.bad_records:
                outcome.rule_counts[UNPARSEABLE_RULE] = outcome.rule_counts.get(UNPARSEABLE_RULE, 0) + len(
                    raw.bad_records
                )
        outcome.notes.extend(reader.notes)
        if reader.header is not None:
            outcome.notes.extend(reader.header.warnings)
    finally:
        validator.finish_file()  # the file's duplicate index (and any spill files) goes with it


def _lineage(ctx: IngestContext, outcome: FileOutcome, numbers: np.ndarray) -> dict[str, pa.Array]:
    n = len(numbers)

    def constant(value: object, data_type: pa.DataType) -> pa.Array:
        return pa.repeat(pa.scalar(value, data_type), n)

    return {
        "batch_id": constant(outcome.batch_id, pa.string()),
        "source_system": constant(outcome.source, pa.string()),
        "source_file": constant(outcome.source_file, pa.string()),
        "source_row_number": pa.array(numbers, pa.int64()),
        "content_hash": constant(outcome.content_hash, pa.string()),
        "logical_date": constant(outcome.logical_date, pa.date32()),
        "ingested_at": constant(ctx.ingested_at, pa.timestamp("us", tz="UTC")),
    }


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = np.stack([_HEX_DIGITS.repeat(16), np.tile(_HEX_DIGITS, 16)], axis=1)
"""The two ASCII hex digits of every byte value (row b holds the digits of b)."""


def row_hashes(hashes: np.ndarray) -> pa.Array:
    """Rows' 64-bit content hashes (:attr:`BatchResult.content_hashes`) as 16 lower-case hex digits: identical
    redeliveries alike. Built as one Arrow buffer (no Python string per row: this runs for every row loaded)."""
    count = len(hashes)
    digits = _HEX_PAIRS[np.asarray(hashes, dtype=">u8").view(np.uint8)].reshape(-1)
    offsets = np.arange(0, 16 * count + 1, 16, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(digits)])


def _protected_rows(ctx: IngestContext, table: TableSpec, result: BatchResult) -> pa.Table:
    """Every row's typed values with personal data masked/tokenised, and its ``row_hash`` (before the duplicate
    check decides which rows are loaded, so this can run ahead of it)."""
    columns = {name: result.typed.column(name).combine_chunks() for name in result.typed.column_names}
    columns["row_hash"] = row_hashes(result.content_hashes)
    return pa.table(protect_columns(ctx.std, table, columns, ctx.secret))


def _bronze_rows(
    ctx: IngestContext,
    outcome: FileOutcome,
    raw: RawBatch,
    result: BatchResult,
    protected: pa.Table,
    good: np.ndarray,
    schema: pa.Schema,
) -> pa.Table:
    kept = protected if good.all() else protected.filter(pa.array(good))
    rows = np.flatnonzero(good)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {name: kept.column(name) for name in kept.column_names}
    columns.update(_lineage(ctx, outcome, raw.row_numbers[rows]))
    warnings = result.findings_json("warn", rows) if result.warn_mask.any() else [None] * len(rows)
    columns["row_warnings"] = pa.array(warnings, pa.string())
    return pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema)


def _rejected_rows(
    ctx: IngestContext,
    table: TableSpec,
    outcome: FileOutcome,
    raw: RawBatch,
    result: BatchResult,
    schema: pa.Schema,
) -> pa.Table | None:
    rows = np.flatnonzero(result.error_mask)
    if not rows.size:
        return None
    subset = protect_payload(ctx.std, table, raw.table.take(pa.array(rows)))
    payloads = [json.dumps(record, ensure_ascii=False, sort_keys=True) for record in subset.to_pylist()]
    columns = _lineage(ctx, outcome, raw.row_numbers[rows])
    columns["raw_payload"] = pa.array(payloads, pa.string())
    columns["reject_reasons"] = pa.array(result.findings_json("error", rows), pa.string())
    return pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema)


def _unparseable_rows(
    ctx: IngestContext, outcome: FileOutcome, bad: list[BadRecord], schema: pa.Schema
) -> pa.Table | None:
    if not bad:
        return None
    from jianguan.privacy import mask

    columns = _lineage(ctx, outcome, np.asarray([b.row_number for b in bad], dtype=np.int64))
    columns["raw_payload"] = pa.array(
        [json.dumps({"raw_text": mask(b.raw_text, "redact_embedded")}, ensure_ascii=False) for b in bad],
        pa.string(),
    )
    columns["reject_reasons"] = pa.array(
        [
            json.dumps(
                [{"rule_id": UNPARSEABLE_RULE, "column": "", "message_zh": b.reason_zh}], ensure_ascii=False
            )
            for b in bad
        ],
        pa.string(),
    )
    return pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema)
