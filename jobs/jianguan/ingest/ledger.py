"""The ingestion log (``ops/ingestion_log``) and the file quarantine.

One log row per batch (landed file): its accounting ``rows_read = rows_loaded + rows_rejected + rows_held``, status,
reason, gate result and table versions. The log is MERGEd by ``batch_id``, so rerunning a task updates its row
instead of adding one. It also answers "was this content already ingested under another name or date?" — a file
is ingested once per content hash; a redelivery of the same bytes is logged as ``duplicate_delivery``.

Whole files that cannot be ingested (unrecognised name, unreadable, wrong header) are copied — landing stays
immutable — to ``<lakehouse>/quarantine/<source>/<date>/`` next to a ``<file>.reason.json``.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from jianguan.ingest.file_ingest import FileOutcome
from jianguan.ingest.sinks import with_conflict_retries
from jianguan.lake.tables import LIBRARY_PROPERTY, LakeTable

LOG_LAYER = "ops"
LOG_TABLE = "ingestion_log"
QUARANTINE_FOLDER = "quarantine"

LOG_SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("feed", pa.string()),
        pa.field("table", pa.string()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("logical_date", pa.date32(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("rows_read", pa.int64()),
        pa.field("rows_loaded", pa.int64()),
        pa.field("rows_rejected", pa.int64()),
        pa.field("rows_held", pa.int64()),
        pa.field("rows_warned", pa.int64()),
        pa.field("reject_ratio", pa.float64()),
        pa.field("reason_rule_id", pa.string()),
        pa.field("reason_zh", pa.string()),
        pa.field("notes", pa.string()),
        pa.field("rule_counts", pa.string()),
        pa.field("bronze_version", pa.int64()),
        pa.field("rejected_version", pa.int64()),
        pa.field("gate_success", pa.bool_()),
        pa.field("gate_report", pa.string()),
        pa.field("profile", pa.string()),
        pa.field("duration_seconds", pa.float64()),
        pa.field("logged_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
"""Kept here, not in ``schemas/``: the log is the platform's own operational table, not a national field list."""


class IngestionLog:
    def __init__(self, lakehouse_root: Path) -> None:
        self.path = lakehouse_root / LOG_LAYER / LOG_TABLE

    def _table(self) -> LakeTable:
        return LakeTable.create(
            self.path,
            LOG_SCHEMA,
            partition_by=("logical_date",),
            properties={LIBRARY_PROPERTY: "ops"},
            name=LOG_TABLE,
            description="ingestion log: one row per landed file (batch), with its row accounting",
            exist_ok=True,
        )

    def record(self, outcomes: list[FileOutcome]) -> int | None:
        """Upsert the outcomes' rows by batch id (one commit); return the log version."""
        if not outcomes:
            return None
        now = datetime.now(UTC)
        rows = [_log_row(o, now) for o in outcomes]
        unique = {
            r["batch_id"]: r for r in rows
        }  # one row per batch (a rerun within one call keeps the last)
        data = pa.Table.from_pylist(list(unique.values()), schema=LOG_SCHEMA)
        table = self._table()
        result = with_conflict_retries(
            lambda: table.merge(data, ["batch_id"], metadata={"batches": len(unique)}), what="ingestion log"
        )
        return result.version

    def read(
        self,
        logical_date: Any | None = None,
        *,
        on_or_before: Any | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """Log rows of one logical date (or of every date up to ``on_or_before``), only ``columns``.

        Only the partition column is filtered in the scan (files of other dates are skipped); other predicates
        are applied to the projected rows, since files written by delta-rs may store strings as ``string_view``,
        which Arrow's scanner cannot compare with a plain string literal."""
        table = LakeTable(self.path)
        if not table.exists():
            schema = LOG_SCHEMA if columns is None else pa.schema([LOG_SCHEMA.field(c) for c in columns])
            return schema.empty_table()
        where = None
        if logical_date is not None:
            where = pads.field("logical_date") == pa.scalar(logical_date, pa.date32())
        elif on_or_before is not None:
            where = pads.field("logical_date") <= pa.scalar(on_or_before, pa.date32())
        return table.read(columns=columns, filter=where)

    def loaded_elsewhere(self, content_hash: str, batch_id: str) -> str | None:
        """The batch that already loaded these bytes under another name or date, if any."""
        data = self.read(columns=["batch_id", "content_hash", "status"])
        same = data.filter(
            pc.and_(
                pc.equal(data.column("content_hash"), content_hash),
                pc.and_(
                    pc.not_equal(data.column("batch_id"), batch_id), pc.equal(data.column("status"), "loaded")
                ),
            )
        )
        return str(same.column("batch_id")[0].as_py()) if same.num_rows else None

    def previous_profile(self, feed: str, before_batch: str, logical_date: Any) -> dict[str, Any] | None:
        """The profile (rows, non-null ratios) of the feed's latest earlier loaded batch, for the batch gate."""
        data = self.read(
            on_or_before=logical_date,
            columns=["batch_id", "feed", "status", "logical_date", "logged_at", "profile"],
        )
        candidates = [
            r
            for r in data.to_pylist()
            if r["feed"] == feed
            and r["batch_id"] != before_batch
            and r["profile"]
            and r["status"] == "loaded"
        ]
        if not candidates:
            return None
        latest = max(candidates, key=lambda r: (r["logical_date"], r["logged_at"]))
        profile: dict[str, Any] = json.loads(latest["profile"])
        return profile


def _log_row(outcome: FileOutcome, now: datetime) -> dict[str, Any]:
    record = outcome.as_record()
    record["source"] = outcome.source
    record["logged_at"] = now
    return {name: record.get(name) for name in LOG_SCHEMA.names}


def quarantine_file(lakehouse_root: Path, landing_root: Path, path: Path, outcome: FileOutcome) -> Path:
    """Copy an un-ingestible file into the quarantine with a reason file; return the copy's path."""
    relative = path.relative_to(landing_root)
    target = lakehouse_root / QUARANTINE_FOLDER / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)
    reason = {
        "source_file": outcome.source_file,
        "batch_id": outcome.batch_id,
        "content_hash": outcome.content_hash,
        "feed": outcome.feed,
        "rule_id": outcome.reason_rule_id,
        "reason_zh": outcome.reason_zh,
        "notes": outcome.notes,
        "quarantined_at": datetime.now(UTC).isoformat(),
    }
    target.with_name(target.name + ".reason.json").write_text(
        json.dumps(reason, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return target
