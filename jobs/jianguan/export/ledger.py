"""The export's gold tables: batches, the ledger of sent records, receipts processing, holds.

* ``export_batches`` — one row per logical date: batch number, counts, manifest SHA-256 and the source table
  versions it was cut from. Its row is committed last; it marks the *last successful export* and makes a rerun
  reproduce the same batch instead of cutting a new one.
* ``export_ledger`` — one row per record sent in a batch (``cd_operation``, content hash) with its fate:
  ``sent`` → ``accepted`` | ``rejected`` (with the national reason). A rejected record is resubmitted in a
  later batch with ``cd_operation=u``; the rejected row names that batch in ``resubmitted_in`` and the new row
  names the original in ``resubmission_of``.
* ``export_holds`` — records that failed 质检, per run (logical date), with reasons as JSON. The next run
  re-reads them from the source and evaluates them again.

Writes are idempotent: ledger rows of a batch and holds of a date are replaced by predicate, receipt outcomes
are merged by key, so a rerun never counts anything twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from jianguan.lake import LakeTable
from jianguan.lake.catalog import LIBRARY_PROPERTY

STATUS_SENT = "sent"
STATUS_ACCEPTED = "accepted"
STATUS_REJECTED = "rejected"
RECEIPT_ACCEPTED = "1"
RECEIPT_REJECTED = "2"
LEDGER_KEY = ["batch_no", "dataset", "record_unique_identity"]

BATCHES_SCHEMA = pa.schema(
    [
        pa.field("batch_no", pa.string(), nullable=False),
        pa.field("logical_date", pa.date32(), nullable=False),
        pa.field("sequence", pa.int32(), nullable=False),
        pa.field("record_count", pa.int64(), nullable=False),
        pa.field("hold_count", pa.int64(), nullable=False),
        pa.field("resubmission_count", pa.int64(), nullable=False),
        pa.field("manifest_sha256", pa.string(), nullable=False),
        pa.field("source_versions", pa.string(), nullable=False),
        pa.field("export_dir", pa.string(), nullable=False),
    ]
)
LEDGER_SCHEMA = pa.schema(
    [
        pa.field("batch_no", pa.string(), nullable=False),
        pa.field("logical_date", pa.date32(), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("record_unique_identity", pa.string(), nullable=False),
        pa.field("cd_id", pa.string(), nullable=False),
        pa.field("cd_operation", pa.string(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("resubmission_of", pa.string()),
        pa.field("resubmitted_in", pa.string()),
        pa.field("error_code", pa.string()),
        pa.field("error_message", pa.string()),
        pa.field("receipt_processed_at", pa.timestamp("us", tz="UTC")),
    ]
)
HOLDS_SCHEMA = pa.schema(
    [
        pa.field("logical_date", pa.date32(), nullable=False),
        pa.field("batch_no", pa.string(), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("record_unique_identity", pa.string(), nullable=False),
        pa.field("cd_operation", pa.string(), nullable=False),
        pa.field("reasons", pa.string(), nullable=False),
        pa.field("first_held_date", pa.date32(), nullable=False),
        pa.field("source_table", pa.string(), nullable=False),
        pa.field("source_version", pa.int64(), nullable=False),
    ]
)


@dataclass(frozen=True)
class BatchRecord:
    batch_no: str
    logical_date: dt.date
    sequence: int
    manifest_sha256: str
    source_versions: dict[str, list[int | None]]
    export_dir: str


def batch_number(logical_date: dt.date, sequence: int) -> str:
    """``cd_batch``: the date and a 5-digit sequence (2019041100002 = the 2nd submission of 2019-04-11)."""
    return f"{logical_date:%Y%m%d}{sequence:05d}"


class ExportTables:
    """The three gold tables of the export, created on first use with the export library property."""

    def __init__(self, batches: Path, ledger: Path, holds: Path, library: str) -> None:
        self.library = library
        self.batches = self._table(batches, BATCHES_SCHEMA, "national export batches (one per logical date)")
        self.ledger = self._table(ledger, LEDGER_SCHEMA, "records sent to the national system and their fate")
        self.holds = self._table(holds, HOLDS_SCHEMA, "records held back by 质检, per run, with reasons")

    def _table(self, path: Path, schema: pa.Schema, description: str) -> LakeTable:
        return LakeTable.create(
            path,
            schema,
            properties={LIBRARY_PROPERTY: self.library},
            description=description,
            exist_ok=True,
        )

    # ---- batches -----------------------------------------------------------------------------------------

    def batch_records(self) -> list[BatchRecord]:
        rows = self.batches.read().sort_by("logical_date").to_pylist()
        return [
            BatchRecord(
                batch_no=r["batch_no"],
                logical_date=r["logical_date"],
                sequence=r["sequence"],
                manifest_sha256=r["manifest_sha256"],
                source_versions=json.loads(r["source_versions"]),
                export_dir=r["export_dir"],
            )
            for r in rows
        ]

    def record_batch(self, row: dict[str, Any]) -> None:
        """Commit the batch row (the commit point of a run), replacing a row of the same date."""
        data = pa.Table.from_pylist([row], schema=BATCHES_SCHEMA)
        self.batches.replace_where(data, f"logical_date = '{row['logical_date'].isoformat()}'")

    # ---- ledger ------------------------------------------------------------------------------------------

    def ledger_before(self, logical_date: dt.date) -> pa.Table:
        """Ledger rows of batches before ``logical_date``."""
        rows = self.ledger.read()
        return rows.filter(pc.less(rows.column("logical_date"), pa.scalar(logical_date, pa.date32())))

    def write_batch_rows(self, batch_no: str, rows: list[dict[str, Any]]) -> None:
        data = pa.Table.from_pylist(rows, schema=LEDGER_SCHEMA)
        self.ledger.replace_where(data, f"batch_no = '{batch_no}'")

    def update_rows(self, rows: pa.Table) -> None:
        """Merge new fates (receipts, resubmission links) of earlier rows, by batch, dataset and record."""
        if rows.num_rows:
            self.ledger.merge(rows.cast(LEDGER_SCHEMA), LEDGER_KEY)

    # ---- holds -------------------------------------------------------------------------------------------

    def holds_of(self, logical_date: dt.date) -> pa.Table:
        rows = self.holds.read()
        return rows.filter(pc.equal(rows.column("logical_date"), pa.scalar(logical_date, pa.date32())))

    def write_holds(self, logical_date: dt.date, rows: list[dict[str, Any]]) -> None:
        data = pa.Table.from_pylist(rows, schema=HOLDS_SCHEMA)
        self.holds.replace_where(data, f"logical_date = '{logical_date.isoformat()}'")


def national_holdings(ledger: pa.Table) -> dict[str, set[str]]:
    """Per dataset, the records the national side holds: the last operation sent was ``i`` or ``u``."""
    if ledger.num_rows == 0:
        return {}
    ordered = ledger.select(["dataset", "record_unique_identity", "logical_date", "batch_no", "cd_operation"]).sort_by(
        [("dataset", "ascending"), ("record_unique_identity", "ascending"), ("logical_date", "ascending"),
         ("batch_no", "ascending")]
    )  # fmt: skip
    last = ordered.group_by(["dataset", "record_unique_identity"], use_threads=False).aggregate(
        [("cd_operation", "last")]
    )
    live = last.filter(pc.not_equal(last.column("cd_operation_last"), "d"))
    held: dict[str, set[str]] = {}
    for dataset, record_id in zip(
        live.column("dataset").to_pylist(), live.column("record_unique_identity").to_pylist(), strict=True
    ):
        held.setdefault(dataset, set()).add(record_id)
    return held


def _keys(table: pa.Table) -> pa.Array:
    return pc.binary_join_element_wise(
        table.column("batch_no"), table.column("dataset"), table.column("record_unique_identity"), "\x1f"
    )


def apply_receipts(ledger: pa.Table, receipts: Iterable[dict[str, Any]]) -> pa.Table:
    """Ledger rows whose fate a receipt changes (to be merged back), in the ledger's schema.

    A receipt row names a record of a batch as accepted or rejected (with the reason); records of a batch that
    has a receipt but are not named in it are accepted (column at a time: a full-load batch has millions).
    Rows already carrying the same fate are not returned. The latest receipt of a record wins.
    """
    named: dict[str, dict[str, Any]] = {}
    for receipt in receipts:
        key = "\x1f".join((receipt["batch_no"], receipt["dataset_code"], receipt["record_unique_identity"]))
        previous = named.get(key)
        if previous is None or (receipt["processed_at"], receipt["receipt_status_code"]) >= (
            previous["processed_at"],
            previous["receipt_status_code"],
        ):
            named[key] = receipt
    answered = sorted({r["batch_no"] for r in named.values()})
    concerned = ledger.filter(pc.is_in(ledger.column("batch_no"), value_set=pa.array(answered, pa.string())))
    is_named = pc.is_in(_keys(concerned), value_set=pa.array(sorted(named), pa.string()))
    silent = concerned.filter(pc.and_(pc.invert(is_named), pc.equal(concerned.column("status"), STATUS_SENT)))
    silent = silent.set_column(
        silent.schema.get_field_index("status"),
        "status",
        pa.array([STATUS_ACCEPTED] * silent.num_rows, pa.string()),
    )
    changed: list[dict[str, Any]] = []
    for row in concerned.filter(is_named).to_pylist():
        answer = named["\x1f".join((row["batch_no"], row["dataset"], row["record_unique_identity"]))]
        rejected = answer["receipt_status_code"] == RECEIPT_REJECTED
        updated = dict(row)
        updated["status"] = STATUS_REJECTED if rejected else STATUS_ACCEPTED
        updated["error_code"] = answer.get("error_code") if rejected else None
        updated["error_message"] = answer.get("error_message") if rejected else None
        updated["receipt_processed_at"] = answer["processed_at"]
        if updated != row:
            changed.append(updated)
    return pa.concat_tables([silent.cast(LEDGER_SCHEMA), pa.Table.from_pylist(changed, schema=LEDGER_SCHEMA)])
