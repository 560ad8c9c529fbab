"""Delta sinks for one ingestion batch: rows go straight into data files while a file streams, one commit publishes.

A batch is everything one landed file produced for one table (bronze, or its ``__rejected`` twin). Its rows are
written as Parquet data files into the table folder as they are validated (:class:`~jianguan.lake.files.
DataFileWriter`: one open file per partition, rolled at a target size, so memory is bounded by a row group
whatever the file's size), and :meth:`DeltaBatchSink.commit` publishes them in one Delta commit that also removes
the files an earlier run of the same batch committed. Rerunning a task therefore never duplicates rows, and a
crash before the commit leaves the table at its last committed version.

Every file a batch writes is named ``part-b<tag>-<uuid>…`` with the batch's tag (16 hex digits of a hash of the
batch id, :func:`batch_file_prefix`), which is how a rerun finds what to replace without reading any data: the
committed files with its tag are removed in its commit, and uncommitted ones (a killed run's) are deleted when its
sink starts. Files without a tag (written by ``OPTIMIZE``, or by the earlier staged writer) are checked through
their Parquet footer and, when they do hold rows of the batch together with other batches' rows, the batch is
published by a predicate replace (``replace_where batch_id = …``, which rewrites those files) instead. Files a
killed run left that nobody reruns are removed by ``VACUUM`` (no snapshot references them).
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from jianguan.errors import CommitConflictError, StorageError
from jianguan.lake.files import DataFile, DataFileWriter, delete_files, filesystem_for, read_data_file
from jianguan.lake.tables import LIBRARY_PROPERTY, CommitResult, FileEntry, LakeTable, snapshot_files

log = logging.getLogger(__name__)

BRONZE_PARTITION = ("logical_date",)
"""Bronze and quarantine tables are partitioned by delivery date: date backfills and batch replacement prune."""
STAGING_FOLDER = "_staging"
"""Scratch space under the lakehouse root for files outside any table (the export's reader; a very large ingested
file's duplicate index spills to ``ingest/``)."""
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


def batch_file_prefix(batch_id: str) -> str:
    """The name prefix of every data file one batch writes (a batch id holds slashes and Chinese text)."""
    return f"part-b{hashlib.sha256(batch_id.encode('utf-8')).hexdigest()[:16]}"


_TAGGED = re.compile(r"part-b[0-9a-f]{16}-")
"""The name of a file one batch wrote (:func:`batch_file_prefix`): it holds that batch's rows only."""


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _MixedFile(Exception):
    """A committed file holds rows of the batch beside other batches' rows: whole-file replacement is not enough."""


def _file_holds(path: str, column: str, value: str) -> bool:
    """Whether a data file holds a row with ``column == value``: the footer's bounds first, then the column."""
    parquet = pq.ParquetFile(path)
    if column not in parquet.schema_arrow.names:
        return False
    index = parquet.schema_arrow.names.index(column)
    for group in range(parquet.metadata.num_row_groups):
        stats = parquet.metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or stats.min <= value <= stats.max:
            break
    else:
        return False  # every row group's bounds exclude the value
    values = parquet.read(columns=[column]).column(column)
    return bool(pc.any(pc.equal(values, value)).as_py())


class DeltaBatchSink:
    """Writes one batch's rows into a Delta table's folder and publishes them in one commit (creating the table)."""

    def __init__(
        self,
        table_path: Path,
        batch_id: str,
        schema: pa.Schema,
        *,
        logical_date: date,
        library: str,
        description: str | None = None,
    ) -> None:
        self.table_path = table_path
        self.batch_id = batch_id
        self.day = logical_date.isoformat()
        """The batch's partition (every row of one landed file has its delivery date)."""
        self.schema = schema
        self.library = library
        self.description = description
        self.prefix = batch_file_prefix(batch_id)
        self._writer: DataFileWriter | None = None
        self.rows = 0
        self.removed_leftovers = self._remove_uncommitted()

    def _remove_uncommitted(self) -> int:
        """Delete this batch's files that no snapshot holds: an earlier run of the batch was killed before its
        commit. (Were it still running, its commit would fail on the missing files; it never publishes part.)"""
        candidates = list(self.table_path.glob(f"*/{self.prefix}-*")) if self.table_path.is_dir() else []
        if not candidates:
            return 0  # the usual case: no snapshot to load
        table = LakeTable(self.table_path)
        committed = {entry.path for entry in table.files()} if table.exists() else set()
        leftovers = [
            str(path)
            for path in candidates
            if str(path) not in committed and str(path.resolve()) not in committed
        ]
        if leftovers:
            log.warning(
                "batch %s: removing %d uncommitted file(s) of a killed run", self.batch_id, len(leftovers)
            )
        return delete_files(filesystem_for(str(self.table_path))[0], leftovers)

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        if self._writer is None:
            self._writer = DataFileWriter(
                str(self.table_path), self.schema, BRONZE_PARTITION, file_prefix=self.prefix
            )
        for batch in rows.select(self.schema.names).cast(self.schema).to_batches():
            self._writer.write(batch)
        self.rows += rows.num_rows

    def commit(self) -> int | None:
        """Publish the written rows in one commit that replaces the batch's earlier rows; return the version.

        With nothing written the commit still runs when an earlier run left rows of this batch (they are
        removed); when there is nothing to replace either, no table is created and ``None`` is returned.
        """
        writer, self._writer = self._writer, None
        try:
            missing = [p for p in (writer.created_paths if writer else []) if not Path(p).is_file()]
            if missing:
                raise StorageError(
                    f"batch {self.batch_id}: files written for {self.table_path.name} vanished before the commit "
                    f"({len(missing)}, e.g. {missing[0]}): another run of the same batch removed them; "
                    "nothing was committed"
                )
            return self._publish(writer.close() if writer is not None else [])
        except BaseException:
            if writer is not None:
                writer.abort()
            raise

    def _publish(self, files: list[DataFile]) -> int | None:
        what = f"batch {self.batch_id} → {self.table_path.name}"
        table = LakeTable(self.table_path)
        if not files and not table.exists():
            return None
        if files:
            table = self._table()
        try:
            result = with_conflict_retries(
                lambda: table.commit_files(
                    files,
                    mode="append",
                    schema=self.schema,
                    partition_by=BRONZE_PARTITION,
                    metadata={"batch_id": self.batch_id, "rows": self.rows},
                    replaces=self._earlier_files,
                ),
                what=what,
            )
        except _MixedFile as mixed:
            log.info("%s: %s holds other batches' rows too; replacing by predicate", what, mixed)
            result = self._replace_by_predicate(table, files, what)
        log.debug("%s: %d rows in version %d", what, self.rows, result.version)
        return result.version

    def _earlier_files(self, snapshot: DeltaTable) -> list[FileEntry]:
        """The committed files holding the batch's earlier rows: its own, found by name. An untagged file of the
        batch's day that holds some of them (a compacted file) raises :class:`_MixedFile`."""
        earlier = []
        for entry in snapshot_files(snapshot):
            name = entry.path.rsplit("/", 1)[-1]
            if name.startswith(self.prefix + "-"):
                earlier.append(entry)
            elif (
                not _TAGGED.match(name)
                and entry.partition_values.get(BRONZE_PARTITION[0]) == self.day
                and _file_holds(entry.path, "batch_id", self.batch_id)
            ):
                raise _MixedFile(entry.path)
        return earlier

    def _replace_by_predicate(self, table: LakeTable, files: list[DataFile], what: str) -> CommitResult:
        """Publish through delta-rs, which rewrites the files that mix the batch's rows with others'."""
        predicate = f"batch_id = {_quoted(self.batch_id)}"
        if not files:
            return with_conflict_retries(
                lambda: table.delete(predicate, metadata={"batch_id": self.batch_id}), what=what
            )
        result = with_conflict_retries(
            lambda: table.replace_where(
                self._read_back(files), predicate, metadata={"batch_id": self.batch_id, "rows": self.rows}
            ),
            what=what,
        )
        # what this run wrote was copied by the replace; its own files were never committed
        delete_files(filesystem_for(str(self.table_path))[0], [str(self.table_path / f.path) for f in files])
        return result

    def _read_back(self, files: Sequence[DataFile]) -> pa.RecordBatchReader:
        filesystem, root = filesystem_for(str(self.table_path))

        def batches() -> Iterator[pa.RecordBatch]:
            for f in files:
                yield from read_data_file(filesystem, f"{root}/{f.path}", self.schema, f.partition_values)

        return pa.RecordBatchReader.from_batches(self.schema, batches())

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

    def abort(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()


class DeltaSinkFactory:
    """Bronze and quarantine sinks of a lakehouse (``<root>/bronze/<table>`` and ``<table>__rejected``)."""

    def __init__(self, lakehouse_root: Path, libraries: dict[str, str]) -> None:
        self.root = lakehouse_root
        self.libraries = libraries
        """table name → library slug (stored as a table property for ``jianguan tables``)."""

    def _sink(
        self, name: str, table: str, batch_id: str, schema: pa.Schema, day: date, description: str
    ) -> DeltaBatchSink:
        return DeltaBatchSink(
            self.root / "bronze" / name,
            batch_id,
            schema,
            logical_date=day,
            library=self.libraries[table],
            description=description,
        )

    def bronze(self, table: str, batch_id: str, schema: pa.Schema, logical_date: date) -> DeltaBatchSink:
        return self._sink(table, table, batch_id, schema, logical_date, f"bronze {table}")

    def rejected(self, table: str, batch_id: str, schema: pa.Schema, logical_date: date) -> DeltaBatchSink:
        from jianguan.spec.render.schemas import REJECTED_SUFFIX

        return self._sink(
            table + REJECTED_SUFFIX,
            table,
            batch_id,
            schema,
            logical_date,
            f"rows of {table} rejected at ingestion",
        )
