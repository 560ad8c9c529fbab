"""Delta sinks for one ingestion batch: rows are staged on disk while a file streams, published in one commit.

A batch is everything one landed file produced for one table (bronze, or its ``__rejected`` twin). Publishing
replaces whatever an earlier run of the same batch committed (``replace_where batch_id = …`` is a single Delta
commit), so rerunning a task never duplicates rows, and a crash before :meth:`DeltaBatchSink.commit` leaves the
table at its last committed version.

Rows are staged in a Parquet file under ``<lakehouse>/_staging/`` rather than kept in memory: a file larger than
memory streams through in bounded memory, and the commit reads the staged file back as a stream. A process killed
mid-file leaves its staged rows behind (nothing reads them); the next sink of the same batch removes them, and
staged rows of any batch left untouched for :data:`STAGING_STALE_AFTER` are removed when sinks are next created.
"""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jianguan.errors import CommitConflictError
from jianguan.lake.tables import LIBRARY_PROPERTY, CommitResult, LakeTable

log = logging.getLogger(__name__)

BRONZE_PARTITION = ("logical_date",)
"""Bronze and quarantine tables are partitioned by delivery date: date backfills and batch replacement prune."""
STAGING_FOLDER = "_staging"
STAGING_STALE_AFTER = 24 * 3600.0
"""Seconds after which untouched staged rows are a crashed run's leftovers (a live run writes them as it reads)."""
CONFLICT_RETRIES = 8


def with_conflict_retries(commit: Callable[[], CommitResult], *, what: str) -> CommitResult:
    """Retry a commit that is safe to replay against a newer snapshot (it touches only its own batch's rows).

    Parallel ingestion tasks write different batches of the same table; delta-rs reports a conflict when two
    touch the same partition at once, and the loser simply recomputes against the winner's version.
    """
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return commit()
        except CommitConflictError:
            if attempt == CONFLICT_RETRIES:
                raise
            log.warning("%s: commit conflict (attempt %d), retrying", what, attempt)
            time.sleep(random.uniform(0.05, 0.3) * attempt)
    raise AssertionError("unreachable")


def _staging_prefix(table_name: str, batch_id: str) -> str:
    """The staging folder name shared by every run of one batch of one table (a batch id holds slashes)."""
    return f"{table_name}.{hashlib.sha256(batch_id.encode('utf-8')).hexdigest()[:16]}"


def remove_stale_staging(staging_root: Path, *, older_than: float = STAGING_STALE_AFTER) -> list[Path]:
    """Remove staging folders none of whose files changed for ``older_than`` seconds; return them."""
    if not staging_root.is_dir():
        return []
    cutoff = time.time() - older_than
    removed = []
    for folder in staging_root.iterdir():
        try:
            newest = max(p.stat().st_mtime for p in (folder, *folder.rglob("*")))
        except OSError:  # removed meanwhile by its own sink
            continue
        if newest < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if removed:
        log.warning("removed %d stale staging folder(s) of killed runs under %s", len(removed), staging_root)
    return removed


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class DeltaBatchSink:
    """Stages one batch's rows and publishes them to a Delta table in one commit (creating the table if new)."""

    def __init__(
        self,
        table_path: Path,
        batch_id: str,
        schema: pa.Schema,
        *,
        staging_root: Path,
        library: str,
        description: str | None = None,
    ) -> None:
        self.table_path = table_path
        self.batch_id = batch_id
        self.schema = schema
        self.library = library
        self.description = description
        prefix = _staging_prefix(table_path.name, batch_id)
        # Whatever an earlier run of this batch staged is garbage now: that run was killed before its commit.
        # (Were it still running, its commit would fail on the missing file; it never publishes a partial one.)
        for leftover in staging_root.glob(prefix + "-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        self._staging_dir = staging_root / f"{prefix}-{uuid.uuid4().hex}"
        self._staged = self._staging_dir / "rows.parquet"
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        if self._writer is None:
            self._staging_dir.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self._staged, self.schema)
        self._writer.write_table(rows.select(self.schema.names).cast(self.schema))
        self.rows += rows.num_rows

    def _table(self) -> LakeTable:
        return LakeTable.create(
            self.table_path,
            self.schema,
            partition_by=BRONZE_PARTITION,
            properties={LIBRARY_PROPERTY: self.library},
            name=self.table_path.name,
            description=self.description,
            exist_ok=True,
        )

    def commit(self) -> int | None:
        """Replace the batch's rows by the staged rows in one commit; return the table version.

        With nothing staged the commit still runs when an earlier run left rows of this batch (they are
        removed); when there is nothing to replace either, no table is created and ``None`` is returned.
        """
        try:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            predicate = f"batch_id = {_quoted(self.batch_id)}"
            if not self.rows:
                table = LakeTable(self.table_path)
                if not table.exists():
                    return None
                result = with_conflict_retries(
                    lambda: table.delete(predicate, metadata={"batch_id": self.batch_id}),
                    what=f"batch {self.batch_id} → {self.table_path.name}",
                )
                return result.version
            table = self._table()
            result = with_conflict_retries(
                lambda: table.replace_where(
                    self._staged_reader(), predicate, metadata={"batch_id": self.batch_id, "rows": self.rows}
                ),
                what=f"batch {self.batch_id} → {self.table_path.name}",
            )
            log.debug("batch %s: %d rows → %s v%d", self.batch_id, self.rows, self.table_path, result.version)
            return result.version
        finally:
            self._cleanup()

    def _staged_reader(self) -> pa.RecordBatchReader:
        staged = pq.ParquetFile(self._staged)
        return pa.RecordBatchReader.from_batches(self.schema, staged.iter_batches(batch_size=65_536))

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self._staging_dir, ignore_errors=True)


class DeltaSinkFactory:
    """Bronze and quarantine sinks of a lakehouse (``<root>/bronze/<table>`` and ``<table>__rejected``)."""

    def __init__(self, lakehouse_root: Path, libraries: dict[str, str]) -> None:
        self.root = lakehouse_root
        self.libraries = libraries
        """table name → library slug (stored as a table property for ``jianguan tables``)."""
        self.staging_root = lakehouse_root / STAGING_FOLDER
        remove_stale_staging(self.staging_root)

    def _sink(
        self, name: str, table: str, batch_id: str, schema: pa.Schema, description: str
    ) -> DeltaBatchSink:
        return DeltaBatchSink(
            self.root / "bronze" / name,
            batch_id,
            schema,
            staging_root=self.staging_root,
            library=self.libraries[table],
            description=description,
        )

    def bronze(self, table: str, batch_id: str, schema: pa.Schema) -> DeltaBatchSink:
        return self._sink(table, table, batch_id, schema, f"bronze {table}")

    def rejected(self, table: str, batch_id: str, schema: pa.Schema) -> DeltaBatchSink:
        from jianguan.spec.render.schemas import REJECTED_SUFFIX

        return self._sink(
            table + REJECTED_SUFFIX, table, batch_id, schema, f"rows of {table} rejected at ingestion"
        )
