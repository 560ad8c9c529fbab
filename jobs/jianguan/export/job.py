"""``run(settings, logical_date)``: cut, check, write and record the national export batch of one date.

Steps (one logical date, one batch ``<YYYYMMDD>00001``):

1. Find the last successful export (``export_batches``) and the source version each dataset was exported at.
2. Apply receipts that landed up to the date to the ledger (accepted / rejected with reasons).
3. Per dataset: netted changes since the exported version (a full load the first time), plus the records held
   at the previous run and the rejected records awaiting resubmission, re-read from the source at the new
   version — by Spark tasks for a source of at least ``spark_min_rows`` rows
   (:mod:`~jianguan.export.spark_changes`), on the driver otherwise (:mod:`~jianguan.export.changes`).
4. 质检 (:mod:`~jianguan.export.quality`); failing records go to ``export_holds`` with reasons.
5. ``cd_operation``: ``u`` for what the national side already holds and for resubmissions, ``i`` otherwise,
   ``d`` for deletes of records it holds (deletes of never-sent records send nothing).
6. Write the files and manifest into a hidden folder, publish it by rename, then commit the ledger rows, the
   receipt outcomes, the holds, and last the batch row (the commit point).

A rerun of a date that has a batch row cuts from the recorded versions; when the result equals the recorded
manifest and the folder verifies, nothing is written at all. Exports run in date order: a date before the last
exported one cannot be cut anew.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.errors import ExportValidationError
from jianguan.export import writers
from jianguan.export.changes import ChangeReader, DatasetChanges, DriverReader
from jianguan.export.config import ExportConfig, load_config
from jianguan.export.layouts import Dataset, datasets
from jianguan.export.ledger import (
    LEDGER_SCHEMA,
    STATUS_REJECTED,
    STATUS_SENT,
    BatchRecord,
    ExportTables,
    apply_receipts,
    batch_number,
    national_holdings,
)
from jianguan.export.manifest import DatasetEntry, Manifest
from jianguan.export.quality import Finding, check_records, reasons_json
from jianguan.export.records import CONTENT_SHA, DEPARTMENT, RECORD_ID
from jianguan.export.verify import verify_dir
from jianguan.lake import LakeTable
from jianguan.rules.context import format_checks
from jianguan.settings import Settings
from jianguan.spec.loader import Standard, load_standard
from jianguan.spec.types import TIMEZONE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

SEQUENCE = 1
"""One submission per logical date; a rerun reproduces it."""
DRIVER = DriverReader()


@dataclass
class _Outcome:
    """What one dataset contributes to the batch."""

    entry: DatasetEntry
    ledger: pa.Table
    holds: list[dict[str, Any]]
    resubmitted: set[str] = field(default_factory=set)


def export_tables(settings: Settings, config: ExportConfig) -> ExportTables:
    return ExportTables(
        settings.table_path("gold", config.tables.batches),
        settings.table_path("gold", config.tables.ledger),
        settings.table_path("gold", config.tables.holds),
        library=config.library_property,
    )


def batch_time(logical_date: dt.date, config: ExportConfig) -> str:
    """``cd_time`` of a batch: a fixed local time on the next day (never the wall clock: reruns match)."""
    moment = dt.datetime.combine(logical_date + dt.timedelta(days=1), config.batch_time_next_day)
    return moment.replace(tzinfo=ZoneInfo(TIMEZONE)).strftime("%Y-%m-%d %H:%M:%S")


def read_receipts(
    settings: Settings, std: Standard, config: ExportConfig, logical_date: dt.date
) -> list[dict[str, Any]]:
    """Receipts landed up to ``logical_date``: the staging table when dbt built it, else the bronze table."""
    table = std.table(config.receipts_table)
    candidates = [
        settings.table_path("silver", f"stg_{table.library}__{table.name}"),
        settings.table_path("bronze", table.name),
    ]
    for path in candidates:
        source = LakeTable(path)
        if source.exists():
            rows = source.read(columns=[*table.field_names, "logical_date"])
            rows = rows.filter(
                pc.less_equal(rows.column("logical_date"), pa.scalar(logical_date, pa.date32()))
            )
            return rows.to_pylist()
    return []


def _pending_resubmissions(
    ledger_before: pa.Table, updates: pa.Table, batch_no: str, rerun: bool
) -> dict[tuple[str, str], dict[str, Any]]:
    """Rejected ledger rows to resubmit in this batch, by (dataset, record)."""
    rejected = ledger_before.filter(pc.equal(ledger_before.column("status"), STATUS_REJECTED)).to_pylist()
    rows = {(r["batch_no"], r["dataset"], r["record_unique_identity"]): r for r in rejected}
    for row in updates.filter(pc.equal(updates.column("status"), STATUS_REJECTED)).to_pylist():
        rows[(row["batch_no"], row["dataset"], row["record_unique_identity"])] = row
    pending: dict[tuple[str, str], dict[str, Any]] = {}
    allowed: set[str | None] = {batch_no} if rerun else {None, batch_no}
    for row in sorted(rows.values(), key=lambda r: (r["logical_date"], r["batch_no"])):
        if row["status"] == STATUS_REJECTED and row["resubmitted_in"] in allowed:
            pending[(row["dataset"], row["record_unique_identity"])] = row
    return pending


def _dedupe(table: pa.Table) -> pa.Table:
    """First row per record id (change-feed rows come before re-read held/resubmitted rows)."""
    seen: set[str] = set()
    keep = []
    for index, record_id in enumerate(table.column(RECORD_ID).to_pylist()):
        if record_id not in seen:
            seen.add(record_id)
            keep.append(index)
    return table.take(pa.array(keep, pa.int64()))


class _Batch:
    """The state of one run (kept together so each dataset step stays small)."""

    def __init__(
        self,
        settings: Settings,
        std: Standard,
        config: ExportConfig,
        logical_date: dt.date,
        spark: SparkSession | None = None,
    ) -> None:
        self.settings = settings
        self.std = std
        self.config = config
        self.logical_date = logical_date
        self.tables = export_tables(settings, config)
        records = self.tables.batch_records()
        self.existing: BatchRecord | None = next((b for b in records if b.logical_date == logical_date), None)
        earlier = [b for b in records if b.logical_date < logical_date]
        self.previous: BatchRecord | None = earlier[-1] if earlier else None
        later = [b for b in records if b.logical_date > logical_date]
        if later and self.existing is None:
            raise ExportValidationError(
                f"export {logical_date}: batch {later[0].batch_no} of a later date exists; exports run in date order"
            )
        self.batch_no = self.existing.batch_no if self.existing else batch_number(logical_date, SEQUENCE)
        self.cd_time = batch_time(logical_date, config)
        self.ledger_before = self.tables.ledger_before(logical_date)
        self.holdings = national_holdings(self.ledger_before)
        receipts = read_receipts(settings, std, config, logical_date)
        self.fate_updates = apply_receipts(self.ledger_before, [] if self.existing else receipts)
        self.pending = _pending_resubmissions(
            self.ledger_before, self.fate_updates, self.batch_no, rerun=self.existing is not None
        )
        self.previous_holds = (
            self.tables.holds_of(self.previous.logical_date).to_pylist() if self.previous else []
        )
        self.checks = format_checks(std)
        self.source_versions: dict[str, list[int | None]] = {}
        self.spark = spark
        self.readers: dict[str, str] = {}

    def reader_for(self, source: LakeTable, version: int) -> ChangeReader:
        """Spark tasks for a source of at least ``spark_min_rows`` rows, the driver otherwise."""
        if source.count(version) < self.config.spark_min_rows:
            return DRIVER
        from jianguan.export.spark_changes import SparkReader
        from jianguan.ingest.sinks import STAGING_FOLDER

        if self.spark is None:
            from jianguan.spark import spark_session

            self.spark = spark_session(self.settings, app_name="export_national")
        return SparkReader(self.spark, self.settings.resolved_lakehouse_root / STAGING_FOLDER / "export")

    def versions(self, dataset: Dataset, source: LakeTable) -> tuple[int | None, int] | None:
        """(exported version or None for a full load, version to cut at); None when the source is absent."""
        if self.existing is not None:
            recorded = self.existing.source_versions.get(dataset.name)
            if recorded is None:
                return None
            return recorded[0], int(recorded[1])  # type: ignore[arg-type]
        if not source.exists():
            return None
        exported = self.previous.source_versions.get(dataset.name) if self.previous else None
        current = source.version()
        if exported is not None and exported[1] is not None and current < exported[1]:
            # the table was dropped and recreated: its change feed no longer continues from the exported version
            raise ExportValidationError(
                f"export {dataset.name}: {source.uri} is at version {current}, before the exported version "
                f"{exported[1]}; the table was recreated and changes since the last export cannot be derived"
            )
        return (None if exported is None else exported[1]), current

    def cut(self, dataset: Dataset, tmp: Path) -> _Outcome | None:
        source = LakeTable(dataset.source_path(self.settings, self.config.source_layer))
        span = self.versions(dataset, source)
        if span is None:
            log.warning("export %s: source %s does not exist, dataset skipped", dataset.name, source.uri)
            return None
        exported, to_version = span
        self.source_versions[dataset.name] = [exported, to_version]
        reader = self.reader_for(source, to_version)
        self.readers[dataset.name] = reader.name
        changes: DatasetChanges = (
            reader.full_load(source, dataset, to_version)
            if exported is None
            else reader.changes_since(source, dataset, exported, to_version)
        )
        touched = changes.inserted | changes.updated | changes.deleted
        held = {h["record_unique_identity"] for h in self.previous_holds if h["dataset"] == dataset.name}
        pending = {rid for (name, rid) in self.pending if name == dataset.name}
        reread = reader.records_for(source, dataset, to_version, (held | pending) - touched)
        candidates = _dedupe(pa.concat_tables([changes.upserts, reread]))
        holding = self.holdings.get(dataset.name, set())
        ids = candidates.column(RECORD_ID).to_pylist()
        operations = ["u" if (rid in holding or rid in pending) else "i" for rid in ids]
        findings = check_records(self.std, dataset, candidates, self.checks)
        envelope_findings(dataset, candidates, findings)
        passing = [i for i in range(len(ids)) if i not in findings]
        deletes = changes.deletes.filter(
            pc.is_in(changes.deletes.column(RECORD_ID), value_set=pa.array(sorted(holding), pa.string()))
        )
        sent = pa.concat_tables([candidates.take(pa.array(passing, pa.int64())), deletes])
        sent_ops = [operations[i] for i in passing] + ["d"] * deletes.num_rows
        sent = sent.append_column("_op", pa.array(sent_ops, pa.string()))
        sent = sent.sort_by([(RECORD_ID, "ascending")])
        written = self._write(dataset, sent, tmp)
        resubmitted = {rid for rid in sent.column(RECORD_ID).to_pylist() if rid in pending}
        counts = {op: sent_ops.count(op) for op in ("i", "u", "d")}
        entry = DatasetEntry(
            dataset=dataset.name,
            file=written.file,
            format=dataset.layout.format,
            encoding=dataset.layout.encoding,
            layout_version=dataset.layout.version,
            records=written.records,
            operations=counts,
            bytes=written.bytes,
            sha256=written.sha256,
            source_table=dataset.source_name,
            source_version_from=exported,
            source_version_to=to_version,
        )
        first_held = {
            h["record_unique_identity"]: h["first_held_date"]
            for h in self.previous_holds
            if h["dataset"] == dataset.name
        }
        holds = [
            {
                "logical_date": self.logical_date,
                "batch_no": self.batch_no,
                "dataset": dataset.name,
                "record_unique_identity": ids[i],
                "cd_operation": operations[i],
                "reasons": reasons_json(found),
                "first_held_date": first_held.get(ids[i], self.logical_date),
                "source_table": dataset.source_name,
                "source_version": to_version,
            }
            for i, found in sorted(findings.items())
        ]
        return _Outcome(
            entry=entry,
            ledger=self._ledger_rows(dataset, sent, pending),
            holds=holds,
            resubmitted=resubmitted,
        )

    def _envelope(self, dataset: Dataset, sent: pa.Table) -> dict[str, pa.Array]:
        ids = sent.column(RECORD_ID)
        department = pc.fill_null(sent.column(DEPARTMENT), self.config.department_for(dataset.name))
        n = sent.num_rows
        return {
            "cd_id": pc.binary_join_element_wise(pa.array([dataset.name] * n, pa.string()), ids, ":"),
            "cd_id_bef": pa.nulls(n, pa.string()),
            "cd_time": pa.array([self.cd_time] * n, pa.string()),
            "cd_source": pc.binary_join_element_wise(
                pa.array([self.settings.province_code] * n, pa.string()), department, ""
            ),
            "cd_batch": pa.array([self.batch_no] * n, pa.string()),
            "cd_operation": sent.column("_op"),
            "record_unique_identity": ids,
        }

    def _write(self, dataset: Dataset, sent: pa.Table, tmp: Path) -> writers.WrittenFile:
        envelope = self.std.envelope
        assert envelope is not None  # load_standard guarantees it when exports exist
        values = self._envelope(dataset, sent)
        header = [f.code for f in envelope.fields] + [f.code for f in dataset.layout.fields]
        columns = [values[f.code] for f in envelope.fields] + [
            sent.column(f.code) for f in dataset.layout.fields
        ]
        text = [f.type == "string" for f in envelope.fields] + [
            f.type == "string" for f in dataset.layout.fields
        ]
        table = pa.table(columns, names=header)
        return writers.write_records(
            tmp / dataset.file_name,
            fmt=dataset.layout.format,
            encoding=dataset.layout.encoding,
            table=table,
            text_fields=text,
        )

    def _ledger_rows(self, dataset: Dataset, sent: pa.Table, pending: set[str]) -> pa.Table:
        ids = sent.column(RECORD_ID).to_pylist()
        originals = [self.pending[(dataset.name, rid)]["batch_no"] if rid in pending else None for rid in ids]
        n = len(ids)
        return pa.table(
            {
                "batch_no": pa.array([self.batch_no] * n, pa.string()),
                "logical_date": pa.array([self.logical_date] * n, pa.date32()),
                "dataset": pa.array([dataset.name] * n, pa.string()),
                "record_unique_identity": pa.array(ids, pa.string()),
                "cd_id": pa.array([f"{dataset.name}:{rid}" for rid in ids], pa.string()),
                "cd_operation": sent.column("_op"),
                "content_sha256": sent.column(CONTENT_SHA),
                "status": pa.array([STATUS_SENT] * n, pa.string()),
                "resubmission_of": pa.array(originals, pa.string()),
                "resubmitted_in": pa.nulls(n, pa.string()),
                "error_code": pa.nulls(n, pa.string()),
                "error_message": pa.nulls(n, pa.string()),
                "receipt_processed_at": pa.nulls(n, pa.timestamp("us", tz="UTC")),
            }
        )


def envelope_findings(dataset: Dataset, records: pa.Table, findings: dict[int, list[Finding]]) -> None:
    """Envelope limits a record id can break (cd_id is ``<dataset>:<id>``, at most 100 characters)."""
    limit = 100 - len(dataset.name) - 1
    lengths = pc.utf8_length(records.column(RECORD_ID)).to_pylist()
    for index, length in enumerate(lengths):
        if length is None or length > limit:
            findings.setdefault(index, []).append(
                Finding("max_length", "cd_id", f"记录唯一标识过长或为空，主键超过100个字符：{length}")
            )


def run(
    settings: Settings,
    logical_date: dt.date,
    spark: SparkSession | None = None,
    *,
    std: Standard | None = None,
    config: ExportConfig | None = None,
) -> dict[str, Any]:
    """Export the batch of ``logical_date``; returns a summary (counts, batch number, versions, paths).

    Datasets whose source holds at least ``spark_min_rows`` rows are read and netted by Spark tasks (``spark``,
    or the process's session started when first needed); the others on the driver. Checks, files, manifest and
    ledger are the driver's: one file per dataset, written once.
    """
    started = time.monotonic()
    std = std or load_standard(settings.schemas_root)
    config = config or load_config()
    batch = _Batch(settings, std, config, logical_date, spark)
    root = settings.export_root.expanduser().resolve()
    name = f"{logical_date:%Y%m%d}"
    tmp = writers.stage(root, name)
    try:
        outcomes = [o for o in (batch.cut(d, tmp) for d in datasets(std)) if o is not None]
        holds = [h for o in outcomes for h in o.holds]
        resubmitted = sum(len(o.resubmitted) for o in outcomes)
        manifest = Manifest(
            batch=batch.batch_no,
            directory=name,
            logical_date=logical_date.isoformat(),
            province_code=settings.province_code,
            envelope_version=std.envelope.version if std.envelope else "",
            datasets=[o.entry for o in outcomes],
            holds=len(holds),
            resubmissions=resubmitted,
            config_version=config.version,
            totals={op: sum(o.entry.operations.get(op, 0) for o in outcomes) for op in ("i", "u", "d")},
        )
        manifest_bytes = manifest.to_bytes()
        writers.write_manifest(tmp, manifest_bytes)
        if batch.existing is not None:
            return _rerun(batch, manifest, tmp, root, name, started)
        final = writers.publish(tmp, root, name)
    except BaseException:
        writers.discard(tmp)
        raise
    _commit(batch, outcomes, holds, manifest, final)
    return _summary(batch, manifest, final, started, status="exported")


def _rerun(
    batch: _Batch, manifest: Manifest, tmp: Path, root: Path, name: str, started: float
) -> dict[str, Any]:
    """A rerun of a recorded batch: identical output or an error; never a second ledger advance."""
    assert batch.existing is not None
    if manifest.sha256() != batch.existing.manifest_sha256:
        raise ExportValidationError(
            f"rerun of {batch.batch_no} does not reproduce the recorded manifest "
            f"({manifest.sha256()[:12]} != {batch.existing.manifest_sha256[:12]}); the inputs, layouts or export code changed since"
        )
    final = root / name
    if final.is_dir() and not verify_dir(final, batch.std):
        writers.discard(tmp)
        status = "unchanged"
    else:
        final = writers.publish(tmp, root, name)
        status = "restored"
    return _summary(batch, manifest, final, started, status=status)


def _commit(
    batch: _Batch, outcomes: list[_Outcome], holds: list[dict[str, Any]], manifest: Manifest, final: Path
) -> None:
    tables = batch.tables
    ledger_rows = pa.concat_tables([o.ledger for o in outcomes]) if outcomes else None
    if ledger_rows is not None:
        tables.ledger.replace_where(ledger_rows.cast(LEDGER_SCHEMA), f"batch_no = '{batch.batch_no}'")
    # resubmitted originals get `resubmitted_in`; their row replaces the receipt outcome of the same key
    links: dict[tuple[str, str, str], dict[str, Any]] = {}
    for outcome in outcomes:
        for rid in outcome.resubmitted:
            original = batch.pending[(outcome.entry.dataset, rid)]
            links[(original["batch_no"], original["dataset"], rid)] = {
                **original,
                "resubmitted_in": batch.batch_no,
            }
    updates = batch.fate_updates
    if links:
        keys = pc.binary_join_element_wise(
            updates.column("batch_no"),
            updates.column("dataset"),
            updates.column("record_unique_identity"),
            "\x1f",
        )
        linked = pa.array(sorted("\x1f".join(k) for k in links), pa.string())
        updates = updates.filter(pc.invert(pc.is_in(keys, value_set=linked)))
        updates = pa.concat_tables(
            [updates, pa.Table.from_pylist(list(links.values()), schema=LEDGER_SCHEMA)]
        )
    tables.update_rows(updates)
    tables.write_holds(batch.logical_date, holds)
    tables.record_batch(
        {
            "batch_no": batch.batch_no,
            "logical_date": batch.logical_date,
            "sequence": SEQUENCE,
            "record_count": sum(o.entry.records for o in outcomes),
            "hold_count": len(holds),
            "resubmission_count": manifest.resubmissions,
            "manifest_sha256": manifest.sha256(),
            "source_versions": json.dumps(batch.source_versions, sort_keys=True),
            "export_dir": str(final),
        }
    )


def _summary(
    batch: _Batch, manifest: Manifest, final: Path, started: float, *, status: str
) -> dict[str, Any]:
    return {
        "status": status,
        "batch": batch.batch_no,
        "logical_date": batch.logical_date.isoformat(),
        "export_dir": str(final),
        "records": sum(e.records for e in manifest.datasets),
        "operations": manifest.totals,
        "holds": manifest.holds,
        "resubmissions": manifest.resubmissions,
        "datasets": {e.dataset: e.records for e in manifest.datasets},
        "source_versions": {
            e.dataset: [e.source_version_from, e.source_version_to] for e in manifest.datasets
        },
        "readers": dict(sorted(batch.readers.items())),
        "seconds": round(time.monotonic() - started, 3),
    }
